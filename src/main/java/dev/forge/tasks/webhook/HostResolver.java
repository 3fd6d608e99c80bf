package dev.forge.tasks.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Resolves receivers' host names for the sender, on a small worker pool of its own
 * ({@code webhooks-dns}): the JDK's resolver blocks, and a slow DNS server must not hold the
 * shared worker threads that other blocking work needs. Answers are kept for {@link #TTL_MS}, so
 * that a busy endpoint costs one lookup per few seconds, not a thread hop per delivery; the caller
 * checks every address it gets and connects to the very one it checked.
 */
final class HostResolver {

  /** Threads of the resolver pool: lookups in flight at once (each for another host). */
  static final int THREADS = 4;
  /** How long an answer is reused (the JDK caches its own for 30 s). */
  static final long TTL_MS = 5000;
  private static final int MAX_HOSTS = 1024;

  private record Answer(InetAddress[] addresses, long expires) {
  }

  private final Vertx vertx;
  private final WorkerExecutor pool;
  private final Map<String, Answer> cache = new LruMap<>(MAX_HOSTS);

  /** Only from the sender's event loop: the cache is not shared between threads. */
  HostResolver(Vertx vertx, long maxLookupMs) {
    this.vertx = vertx;
    this.pool = vertx.createSharedWorkerExecutor("webhooks-dns", THREADS, maxLookupMs, TimeUnit.MILLISECONDS);
  }

  /** Every address of {@code host}; fails with {@link UnknownHostException} when it does not resolve. */
  Future<InetAddress[]> resolve(String host) {
    Answer known = cache.get(host);
    long now = System.nanoTime();
    if (known != null && now - known.expires() < 0) {
      return Future.succeededFuture(known.addresses());
    }
    return pool.executeBlocking(() -> InetAddress.getAllByName(host), false)
      .andThen(done -> {
        if (done.succeeded()) {
          cache.put(host, new Answer(done.result(), System.nanoTime() + TTL_MS * 1_000_000));
        }
      });
  }

  Future<Void> close() {
    return pool.close();
  }
}
