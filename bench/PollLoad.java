import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Rate-limited polling client for bench/run: {@code --connections} kept-alive HTTP/1.1 connections,
 * each sending {@code GET <path-prefix><id>} on a fixed schedule (together {@code --rate} requests
 * per second, spread evenly), with an id drawn at random from {@code <id-prefix>%013d}, 1..count.
 *
 * <p>Open loop: every request has a send time on the schedule; when a connection's previous request
 * has not answered yet, the next one waits for it, and its latency is counted from the moment its
 * timer fired, not from when it could be written (no coordinated omission). A connection never has
 * two requests in flight.
 *
 * <p>Caveat: on the shared 2-CPU machine its own tail dominated (p99 about 200 ms against
 * {@code /bench/constant}, where hey measured 1.8 ms at 12,000 req/s), so bench/run uses it only to
 * fill caches ({@code --warm}); the latency figures come from hey and bench/paced.c.
 *
 * <p>{@code --warm} instead asks for every id once, closed-loop, over the connections, and prints
 * how long that took (used to fill the node's cache before a steady-state run).
 *
 * <pre>
 * java -cp target/tasks-server.jar bench/PollLoad.java --port 10000 --id-prefix task_bench000001 \
 *   --count 10000 --connections 64 --rate 12000 --seconds 20
 * </pre>
 * Prints one line {@code POLL_RESULT key=value ...}. Loopback only; bounded by {@code --seconds}.
 */
public class PollLoad {

  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 10000;
    String pathPrefix = "/v1/tasks/";
    String idPrefix = null;
    int count = 10000;
    int connections = 64;
    double rate = 1000;
    double seconds = 10;
    boolean warm = false;
    int eventLoops = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--host" -> host = args[++i];
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--path-prefix" -> pathPrefix = args[++i];
        case "--id-prefix" -> idPrefix = args[++i];
        case "--count" -> count = Integer.parseInt(args[++i]);
        case "--connections" -> connections = Integer.parseInt(args[++i]);
        case "--rate" -> rate = Double.parseDouble(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--event-loops" -> eventLoops = Integer.parseInt(args[++i]);
        case "--warm" -> warm = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (idPrefix == null) {
      throw new IllegalArgumentException("--id-prefix is required");
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
      .setConnectTimeout(10_000), new PoolOptions().setHttp1MaxSize(1));
    List<User> users = new ArrayList<>();
    CountDownLatch connected = new CountDownLatch(connections);
    AtomicLong connectErrors = new AtomicLong();
    for (int i = 0; i < connections; i++) {
      Context ctx = vertx.getOrCreateContext();
      User u = new User(ctx, pathPrefix, idPrefix, count);
      users.add(u);
      String h = host;
      int p = port;
      ctx.runOnContext(v -> client.connect(new HttpConnectOptions().setHost(h).setPort(p)).onComplete(ar -> {
        if (ar.succeeded()) {
          u.conn = ar.result();
        } else {
          connectErrors.incrementAndGet();
        }
        connected.countDown();
      }));
      if (i % 256 == 255) {
        Thread.sleep(20); // do not flood the accept queue
      }
    }
    if (!connected.await(60, TimeUnit.SECONDS) || connectErrors.get() > 0) {
      System.out.println("POLL_RESULT error=connect connect_errors=" + connectErrors.get());
      vertx.close();
      System.exit(2);
    }
    long t0 = System.nanoTime();
    long deadline = t0 + (long) (seconds * 1e9);
    if (warm) {
      AtomicLong next = new AtomicLong(1);
      CountDownLatch done = new CountDownLatch(connections);
      int total = count;
      for (User u : users) {
        u.ctx.runOnContext(v -> u.warm(next, total, deadline, done));
      }
      done.await((long) seconds + 30, TimeUnit.SECONDS);
      double s = (System.nanoTime() - t0) / 1e9;
      long asked = Math.min(next.get() - 1, count);
      long errors = users.stream().mapToLong(x -> x.errors).sum();
      System.out.printf("POLL_RESULT mode=warm ids=%d seconds=%.1f rps=%.0f errors=%d complete=%s%n",
        asked, s, asked / s, errors, asked >= count ? "yes" : "no");
    } else {
      long periodNs = (long) (connections / rate * 1e9);
      Recorder recorder = new Recorder(3);
      for (int i = 0; i < users.size(); i++) {
        User u = users.get(i);
        long first = t0 + periodNs * i / users.size();
        u.ctx.runOnContext(v -> u.schedule(first, periodNs, deadline, recorder));
      }
      long waitMs = (deadline - System.nanoTime()) / 1_000_000 + 5000;
      Thread.sleep(Math.max(0, waitMs));
      Histogram h = recorder.getIntervalHistogram();
      long sent = users.stream().mapToLong(x -> x.sent).sum();
      long ok = users.stream().mapToLong(x -> x.ok).sum();
      long errors = users.stream().mapToLong(x -> x.errors).sum();
      long unfinished = users.stream().mapToLong(x -> x.queue.size() + (x.busy ? 1 : 0)).sum();
      System.out.printf("POLL_RESULT mode=rate target_rps=%.0f rps=%.0f sent=%d ok=%d errors=%d unfinished=%d"
          + " p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f%n",
        rate, ok / seconds, sent, ok, errors, unfinished,
        h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(99) / 1e6,
        h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(0);
  }

  /** One connection and its schedule; touched only on its own context. */
  static final class User {
    final Context ctx;
    final String pathPrefix;
    final String idPrefix;
    final int count;
    HttpClientConnection conn;
    final ArrayDeque<Long> queue = new ArrayDeque<>();
    boolean busy;
    long sent;
    long ok;
    long errors;

    User(Context ctx, String pathPrefix, String idPrefix, int count) {
      this.ctx = ctx;
      this.pathPrefix = pathPrefix;
      this.idPrefix = idPrefix;
      this.count = count;
    }

    String path(long n) {
      return pathPrefix + idPrefix + String.format("%013d", n);
    }

    Future<Integer> get(long n) {
      return conn.request(new RequestOptions().setMethod(HttpMethod.GET).setURI(path(n)))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    void warm(AtomicLong next, int total, long deadline, CountDownLatch done) {
      long n = next.getAndIncrement();
      if (n > total || System.nanoTime() > deadline) {
        done.countDown();
        return;
      }
      get(n).onComplete(ar -> {
        if (ar.failed() || ar.result() != 200) {
          errors++;
        }
        warm(next, total, deadline, done);
      });
    }

    void schedule(long at, long periodNs, long deadline, Recorder recorder) {
      if (at >= deadline) {
        return;
      }
      long delayMs = Math.max(1, (at - System.nanoTime()) / 1_000_000);
      ctx.owner().setTimer(delayMs, t -> {
        queue.add(System.nanoTime()); // client timer jitter is not the server's latency; queueing behind a slow reply is
        pump(recorder);
        schedule(at + periodNs, periodNs, deadline, recorder);
      });
    }

    void pump(Recorder recorder) {
      if (busy || queue.isEmpty()) {
        return;
      }
      long intended = queue.poll();
      busy = true;
      sent++;
      get(ThreadLocalRandom.current().nextLong(1, count + 1L)).onComplete(ar -> {
        busy = false;
        long now = System.nanoTime();
        if (ar.succeeded() && ar.result() == 200) {
          ok++;
          recorder.recordValue(Math.max(0, now - Math.min(intended, now)));
        } else {
          errors++;
        }
        pump(recorder);
      });
    }
  }
}
