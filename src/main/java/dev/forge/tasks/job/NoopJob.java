package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * {@code noop}: completes at once with {@code {"attempt": n}}. For benchmarks of the task pipeline
 * itself; a node accepts and runs it only when {@code noop} is in its {@code jobTypes}.
 */
public final class NoopJob implements Job {

  public static final String TYPE = "noop";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public JsonObject run(JobContext ctx) {
    return new JsonObject().put("attempt", ctx.attempt());
  }
}
