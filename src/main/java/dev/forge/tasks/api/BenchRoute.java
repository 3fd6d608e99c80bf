package dev.forge.tasks.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * A constant Trace-sized JSON reply, present only when {@code benchRoutes} is on: the benchmark's
 * measure of what HTTP alone costs on this machine, next to {@code GET /v1/tasks/{id}}.
 */
final class BenchRoute {

  private static final Buffer BODY = new JsonObject()
    .put("id", "task_7bQ2mZp0Lx9aRt4kWc1YeN3s").put("object", "task").put("type", "document_analysis")
    .put("status", "completed").put("progress", 1.0)
    .put("data", new JsonObject().put("operation", "document_analysis").put("summary", "A constant reply."))
    .put("created_at", 1699061776L).put("updated_at", 1699061876L).putNull("failure_reason").toBuffer();

  private BenchRoute() {
  }

  static void constant(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON).putHeader(HttpHeaders.ETAG, "\"bench-1\"").end(BODY);
  }
}
