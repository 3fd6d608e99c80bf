package dev.forge.tasks.api;

import static dev.forge.tasks.api.HttpFixture.assertError;
import static dev.forge.tasks.api.HttpFixture.failing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Failures of the store, as the bus delivers them, turned into the errors of API.md. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpStoreErrorsTest {

  private static final JsonObject CREATE_BODY = new JsonObject().put("type", "video_rendering");

  @Test
  void unknownTaskTypeFromTheStoreIsPassedThrough(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx).compose(http -> http.on(Addresses.CREATE, failing(ApiError.unknownType("video_rendering")))
        .compose(v -> http.client.post("/v1/tasks").sendJsonObject(CREATE_BODY)))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertError(r, 400, "invalid_request_error", "unknown_task_type", "type");
        assertTrue(r.bodyAsJsonObject().getJsonObject("error").getString("message").contains("video_rendering"));
        tc.completeNow();
      })));
  }

  @Test
  void invalidParameterFromTheStoreKeepsItsParam(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx)
      .compose(http -> http.on(Addresses.LIST, failing(ApiError.invalidParameter("after", "No task 'a0' to list after.")))
        .compose(v -> http.client.get("/v1/tasks?after=a0").send()))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertError(r, 400, "invalid_request_error", "invalid_parameter", "after");
        tc.completeNow();
      })));
  }

  @Test
  void taskNotFoundFromTheStoreIs404OnEveryRoute(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx).compose(http -> Future.all(List.of(
          http.on(Addresses.GET, failing(ApiError.taskNotFound("task_x"))),
          http.on(Addresses.CANCEL, failing(ApiError.taskNotFound("task_x"))),
          http.on(Addresses.DELETE, failing(ApiError.taskNotFound("task_x")))))
        .compose(v -> Future.all(
          http.client.get("/v1/tasks/task_x").send(),
          http.client.post("/v1/tasks/task_x/cancel").send(),
          http.client.delete("/v1/tasks/task_x").send())))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < 3; i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertError(r, 404, "not_found_error", "task_not_found", null);
          assertEquals("No task with id 'task_x'.", r.bodyAsJsonObject().getJsonObject("error").getString("message"));
        }
        tc.completeNow();
      })));
  }

  @Test
  void conflictsFromTheStoreArePassedThrough(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx).compose(http -> Future.all(List.of(
          http.on(Addresses.CANCEL, failing(ApiError.conflict("task_not_cancellable", "Task 'task_x' is completed."))),
          http.on(Addresses.DELETE, failing(ApiError.conflict("task_not_deletable", "Task 'task_x' is in progress."))),
          http.on(Addresses.CREATE, failing(ApiError.conflict("id_conflict", "Id 'task_x' has another type.")))))
        .compose(v -> Future.all(
          http.client.post("/v1/tasks/task_x/cancel").send(),
          http.client.delete("/v1/tasks/task_x").send(),
          http.client.post("/v1/tasks").sendJsonObject(CREATE_BODY.copy().put("id", "task_x")))))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        List<String> codes = List.of("task_not_cancellable", "task_not_deletable", "id_conflict");
        for (int i = 0; i < codes.size(); i++) {
          assertError(all.resultAt(i), 409, "conflict_error", codes.get(i), null);
        }
        tc.completeNow();
      })));
  }

  @Test
  void noStoreAtAllIs503WithRetryAfter(Vertx vertx, VertxTestContext tc) {
    // No consumer registered: every request fails with NO_HANDLERS.
    HttpFixture.start(vertx).compose(http -> Future.all(List.of(
        http.client.get("/v1/tasks/task_x").send(),
        http.client.get("/v1/tasks").send(),
        http.client.post("/v1/tasks").sendJsonObject(CREATE_BODY),
        http.client.post("/v1/tasks/task_x/cancel").send(),
        http.client.delete("/v1/tasks/task_x").send(),
        http.client.get("/ready").send())))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < all.size(); i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertError(r, 503, "service_unavailable_error", "store_unavailable", null);
          String retryAfter = r.getHeader("Retry-After");
          assertTrue(retryAfter != null && Integer.parseInt(retryAfter) > 0, "Retry-After: " + retryAfter);
        }
        tc.completeNow();
      })));
  }

  @Test
  void aStoreThatNeverAnswersIs504(Vertx vertx, VertxTestContext tc) {
    long started = System.nanoTime();
    HttpFixture.start(vertx, 300, Map.of()).compose(http -> Future.all(List.of(
          http.on(Addresses.GET, m -> { }),
          http.on(Addresses.LIST, m -> { }),
          http.on(Addresses.CREATE, m -> { }),
          http.on(Addresses.CANCEL, m -> { }),
          http.on(Addresses.DELETE, m -> { }),
          http.on(Addresses.PING, m -> { })))
        .compose(v -> Future.all(List.of(
          http.client.get("/v1/tasks/task_x").send(),
          http.client.get("/v1/tasks").send(),
          http.client.post("/v1/tasks").sendJsonObject(CREATE_BODY),
          http.client.post("/v1/tasks/task_x/cancel").send(),
          http.client.delete("/v1/tasks/task_x").send(),
          http.client.get("/ready").send()))))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < all.size(); i++) {
          assertError(all.resultAt(i), 504, "timeout_error", "store_timeout", null);
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(elapsedMs >= 300, "answered only after the bus timeout: " + elapsedMs + " ms");
        tc.completeNow();
      })));
  }

  @Test
  void aFailureThatIsNotAnApiErrorIs500WithAReferenceAndNoDetail(Vertx vertx, VertxTestContext tc) {
    String secret = "java.lang.IllegalStateException: SELECT * FROM tasks WHERE host='db-7.internal'\n"
      + "\tat dev.forge.tasks.task.TaskStore.get(TaskStore.java:42)";
    HttpFixture.start(vertx).compose(http -> Future.all(List.of(
          http.on(Addresses.GET, m -> m.fail(500, secret)),
          http.on(Addresses.LIST, m -> m.fail(400, secret)),
          // JSON, but not an error of ours (no code): still internal.
          http.on(Addresses.CANCEL, m -> m.fail(409, new JsonObject().put("message", secret).encode())),
          http.on(Addresses.CREATE, m -> m.fail(-1, null))))
        .compose(v -> Future.all(List.of(
          http.client.get("/v1/tasks/task_x").send(),
          http.client.get("/v1/tasks").send(),
          http.client.post("/v1/tasks/task_x/cancel").send(),
          http.client.post("/v1/tasks").sendJsonObject(CREATE_BODY)))))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < all.size(); i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertError(r, 500, "server_error", "internal_error", null);
          String body = r.bodyAsString();
          assertFalse(body.contains("IllegalStateException") || body.contains("db-7") || body.contains("TaskStore"),
            "the store's message must not leak: " + body);
          assertTrue(r.bodyAsJsonObject().getJsonObject("error").getString("message").contains("reference"),
            "the message repeats the logged reference: " + body);
        }
        tc.completeNow();
      })));
  }
}
