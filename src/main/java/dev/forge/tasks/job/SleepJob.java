package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * {@code sleep}: input {@code {"ms": N}} (0 to 3,600,000; default 1000); waits N ms, reporting
 * progress every 100 ms, and completes with {@code {"slept_ms": N, "attempt": n}}. For
 * demonstrations and fault tests (a job that is surely running when a node is killed); a node
 * accepts and runs it only when {@code sleep} is in its {@code jobTypes}.
 */
public final class SleepJob implements Job {

  public static final String TYPE = "sleep";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public JsonObject run(JobContext ctx) throws JobFailure, InterruptedException {
    Object ms = ctx.input().getValue("ms", 1000);
    if (!(ms instanceof Number n) || n.longValue() < 0 || n.longValue() > 3_600_000) {
      throw JobFailure.fatal("input.ms must be a number of milliseconds from 0 to 3600000.");
    }
    long total = n.longValue();
    long start = System.nanoTime();
    ctx.progress(0.0, new JsonObject().put("attempt", ctx.attempt()));
    for (long slept = 0; slept < total; slept = (System.nanoTime() - start) / 1_000_000) {
      Thread.sleep(Math.min(100, total - slept));
      ctx.progress(Math.min(1.0, (double) ((System.nanoTime() - start) / 1_000_000) / total));
    }
    return new JsonObject().put("slept_ms", total).put("attempt", ctx.attempt());
  }
}
