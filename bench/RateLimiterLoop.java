package dev.forge.tasks.api;

import dev.forge.tasks.config.RateLimits;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rate limiter's work per request in a loop (issue 15, target 4), in ns: the path before the batches
 * (a compare-and-set on the one AtomicLong and new Strings for the header values, copied here) against
 * RateLimiter.Share (batches, header values reused), on one thread and on two (two event loops).
 *
 *   javac -d /tmp/rl -cp target/tasks-server.jar bench/RateLimiterLoop.java
 *   java -cp /tmp/rl:target/tasks-server.jar dev.forge.tasks.api.RateLimiterLoop
 */
public final class RateLimiterLoop {
  static volatile long sink;
  static final AtomicLong FULL = new AtomicLong(System.nanoTime());
  static final long INTERVAL = 1000, CAPACITY = 1_000_000_000L;

  static long oldPath(long iters) {
    long s = 0;
    for (long i = 0; i < iters; i++) {
      long now = System.nanoTime();
      long debt;
      while (true) {
        long full = FULL.get();
        debt = (full - now > 0 ? full - now : 0) + INTERVAL;
        if (debt > CAPACITY || FULL.compareAndSet(full, now + debt)) break;
      }
      s += Long.toString((CAPACITY - debt) / INTERVAL).length() + RateLimiter.duration(debt).length();
    }
    return s;
  }

  static long newPath(RateLimiter.Share share, long iters) {
    long s = 0;
    for (long i = 0; i < iters; i++) {
      long debt = share.admit(System.nanoTime());
      s += share.remainingText(debt).length() + RateLimiter.resetText(debt).length();
    }
    return s;
  }

  static double run(int threads, boolean neu, long iters) throws Exception {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("1000000"), null);
    Thread[] ts = new Thread[threads];
    long t0 = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      RateLimiter.Share share = limiter.new Instance().share("default");
      ts[t] = new Thread(() -> sink += neu ? newPath(share, iters) : oldPath(iters));
      ts[t].start();
    }
    for (Thread t : ts) t.join();
    return (System.nanoTime() - t0) / (double) iters;
  }

  public static void main(String[] a) throws Exception {
    long iters = 5_000_000;
    for (int w = 0; w < 3; w++) { run(2, false, iters); run(2, true, iters); }
    for (int threads : new int[] {1, 2}) {
      for (int rep = 0; rep < 3; rep++) {
        System.out.printf("threads=%d old=%.1f ns/req new=%.1f ns/req%n", threads, run(threads, false, iters), run(threads, true, iters));
      }
    }
  }
}
