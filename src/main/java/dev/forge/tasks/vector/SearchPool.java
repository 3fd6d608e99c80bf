package dev.forge.tasks.vector;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The threads that compute searches (embed the query, scan the vectors): a fixed pool, first come
 * first served, so that concurrent searches share the cores fairly and never run on an event loop.
 * A search that finds threads idle splits its scan over them ({@link #topK}).
 */
public final class SearchPool implements AutoCloseable {

  private static final AtomicInteger POOLS = new AtomicInteger();

  private final int threads;
  private final ThreadPoolExecutor pool;

  public SearchPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("A search pool needs at least 1 thread, not " + threads);
    }
    this.threads = threads;
    int id = POOLS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "vector-search-" + id + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    pool.allowCoreThreadTimeOut(true);
  }

  public int threads() {
    return threads;
  }

  /** Runs {@code work} on a search thread. */
  public <T> CompletableFuture<T> submit(Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, pool);
  }

  /**
   * Exact top-k from a search thread: split over the threads that are idle now (none when other
   * searches wait in the queue).
   */
  public List<ExactSearch.Hit> topK(float[] query, List<FileVectors> blocks, int k, float minScore) {
    int idle = pool.getQueue().isEmpty() ? Math.max(0, threads - pool.getActiveCount()) : 0;
    return ExactSearch.topK(query, blocks, k, minScore, pool, 1 + idle);
  }

  @Override
  public void close() {
    pool.shutdown();
  }
}
