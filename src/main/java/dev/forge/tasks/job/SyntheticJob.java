package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * The job types that do no real work, for benchmarks, demonstrations and fault tests; a node
 * accepts and runs each only when it is in its {@code jobTypes}:
 * <ul>
 *   <li>{@link #NOOP}: completes at once with {@code {"attempt": n}}, for benchmarks of the task
 *   pipeline itself;</li>
 *   <li>{@link #SLEEP}: input {@code {"ms": N}} (0 to 3,600,000; default 1000); waits N ms, and
 *   completes with {@code {"slept_ms": N, "attempt": n}} (a job that is surely running when a node
 *   is killed);</li>
 *   <li>{@link #SPIN}: the same input; keeps a core busy for N ms of its own computing, run within
 *   the node's CPU budget (the time spent waiting for a permit does not count towards N), and
 *   completes with {@code {"spun_ms": N, "attempt": n}}, for benchmarks and tests of that budget.</li>
 * </ul>
 * Sleep and spin go in slices of {@code sliceMs}, reporting progress after each; noop has none.
 */
public record SyntheticJob(String type, String resultKey, long sliceMs, Slice slice) implements Job {

  public static final SyntheticJob NOOP = new SyntheticJob("noop", null, 0, null);
  public static final SyntheticJob SLEEP = new SyntheticJob("sleep", "slept_ms", 100, SyntheticJob::sleep);
  public static final SyntheticJob SPIN = new SyntheticJob("spin", "spun_ms", 50, (ctx, ms) -> ctx.cpu(() -> spin(ms)));

  /** One slice of the work, at most {@code ms} long; returns the milliseconds it counts for. */
  @FunctionalInterface
  interface Slice {
    long run(JobContext ctx, long ms) throws Exception;
  }

  @Override
  public JsonObject run(JobContext ctx) throws Exception {
    JsonObject result = new JsonObject();
    if (slice != null) {
      Object ms = ctx.input().getValue("ms", 1000);
      if (!(ms instanceof Number n) || n.longValue() < 0 || n.longValue() > 3_600_000) {
        throw JobFailure.fatal("input.ms must be a number of milliseconds from 0 to 3600000.");
      }
      long total = n.longValue();
      ctx.progress(0.0, new JsonObject().put("attempt", ctx.attempt()));
      long done = 0;
      while (done < total) {
        done += slice.run(ctx, Math.min(sliceMs, total - done));
        ctx.progress(Math.min(1.0, (double) done / total));
      }
      result.put(resultKey, total);
    }
    return result.put("attempt", ctx.attempt());
  }

  /** Sleeps for about {@code ms}; returns the milliseconds that really passed. */
  private static long sleep(JobContext ctx, long ms) throws InterruptedException {
    long start = System.nanoTime();
    Thread.sleep(ms);
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** Keeps this thread computing for {@code ms} milliseconds; returns them. */
  private static long spin(long ms) {
    long end = System.nanoTime() + ms * 1_000_000;
    long now = System.nanoTime();
    while (now < end) {
      now = System.nanoTime(); // reading the clock in a tight loop is the CPU-bound work
    }
    return ms;
  }
}
