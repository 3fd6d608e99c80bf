package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * {@code spin}: input {@code {"ms": N}} (0 to 3,600,000; default 1000); keeps a core busy for N ms
 * of its own computing, in slices of at most 50 ms run within the node's CPU budget, reporting
 * progress between slices, and completes with {@code {"spun_ms": N, "attempt": n}}. For benchmarks
 * and tests of the CPU budget (the time spent waiting for a permit does not count towards N); a
 * node accepts and runs it only when {@code spin} is in its {@code jobTypes}.
 */
public final class SpinJob implements Job {

  public static final String TYPE = "spin";
  private static final long SLICE_MS = 50;

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public JsonObject run(JobContext ctx) throws Exception {
    Object ms = ctx.input().getValue("ms", 1000);
    if (!(ms instanceof Number n) || n.longValue() < 0 || n.longValue() > 3_600_000) {
      throw JobFailure.fatal("input.ms must be a number of milliseconds from 0 to 3600000.");
    }
    long total = n.longValue();
    ctx.progress(0.0, new JsonObject().put("attempt", ctx.attempt()));
    long spun = 0;
    while (spun < total) {
      long slice = Math.min(SLICE_MS, total - spun);
      spun += ctx.cpu(() -> spin(slice));
      ctx.progress((double) spun / total);
    }
    return new JsonObject().put("spun_ms", total).put("attempt", ctx.attempt());
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
