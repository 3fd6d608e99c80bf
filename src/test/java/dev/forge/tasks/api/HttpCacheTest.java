package dev.forge.tasks.api;

import static dev.forge.tasks.api.HttpFixture.replying;
import static dev.forge.tasks.api.HttpFixture.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.task.Trace;
import dev.forge.tasks.task.TraceCache;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Read-your-writes when the store that persisted a change is on another node: the fake store here
 * answers mutations but neither writes this node's cache nor publishes {@code tasks.updated}, as a
 * store elsewhere in the cluster whose event has not arrived yet. The HTTP side must cache what it
 * acknowledges.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpCacheTest {

  private HttpFixture http;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx, HttpFixture.BUS_TIMEOUT_MS, Map.of(), new TraceCache(1000, TasksConfig.NO_EXPIRY))
      .onComplete(tc.succeeding(f -> {
        http = f;
        tc.completeNow();
      }));
  }

  @Test
  void aCancelAcknowledgedElsewhereIsWhatTheNextGetShows(VertxTestContext tc) {
    Trace pending = trace("remote-cancel", TaskStatus.PENDING, 1);
    Trace cancelled = trace("remote-cancel", TaskStatus.CANCELLED, 2);
    // The store's GET would still answer the old state (its event is "in flight"): it must not be asked again.
    http.on(Addresses.GET, replying(pending))
      .compose(v -> http.on(Addresses.CANCEL, replying(cancelled)))
      .compose(v -> http.client.get("/v1/tasks/remote-cancel").send())
      .compose(first -> {
        assertEquals("pending", first.bodyAsJsonObject().getString("status"));
        return http.client.post("/v1/tasks/remote-cancel/cancel").send();
      })
      .compose(cancel -> {
        assertEquals(200, cancel.statusCode(), cancel.bodyAsString());
        return http.client.get("/v1/tasks/remote-cancel").send();
      })
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode());
        assertEquals("cancelled", r.bodyAsJsonObject().getString("status"));
        assertEquals(cancelled.etag(), r.getHeader("ETag"));
        assertEquals(2, http.seen.size(), "one GET and the cancel reached the store: " + http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void aCreateAcknowledgedElsewhereIsServedWithoutAskingTheStore(VertxTestContext tc) {
    Trace created = trace("remote-create", TaskStatus.PENDING, 1);
    http.on(Addresses.CREATE, m -> m.reply(created.toJson(), created.headers().addHeader(Addresses.HEADER_CREATED, "true")))
      .compose(v -> http.on(Addresses.GET, HttpFixture.failing(ApiError.taskNotFound("remote-create"))))
      .compose(v -> http.client.post("/v1/tasks").sendJsonObject(
        new JsonObject().put("type", "document_analysis").put("id", "remote-create")))
      .compose(create -> {
        assertEquals(202, create.statusCode(), create.bodyAsString());
        return http.client.get("/v1/tasks/remote-create").send();
      })
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertEquals(created.toJson(), r.bodyAsJsonObject());
        assertEquals(1, http.seen.size(), "only the create reached the store: " + http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void aDeleteAcknowledgedElsewhereStopsTheCachedTraceFromBeingServed(VertxTestContext tc) {
    Trace done = trace("remote-delete", TaskStatus.COMPLETED, 4);
    AtomicBoolean deleted = new AtomicBoolean();
    http.on(Addresses.GET, m -> {
      if (deleted.get()) {
        ApiError.taskNotFound("remote-delete").failReply(m);
      } else {
        m.reply(done.toJson(), done.headers());
      }
    })
      .compose(v -> http.on(Addresses.DELETE, m -> {
        deleted.set(true);
        m.reply(new JsonObject().put("id", done.id()).put("object", "task.deleted").put("deleted", true),
          done.headers().addHeader(Addresses.HEADER_DELETED, "true"));
      }))
      .compose(v -> http.client.get("/v1/tasks/remote-delete").send())
      .compose(first -> {
        assertEquals(200, first.statusCode());
        return http.client.delete("/v1/tasks/remote-delete").send();
      })
      .compose(delete -> {
        assertEquals(200, delete.statusCode(), delete.bodyAsString());
        assertEquals(true, delete.bodyAsJsonObject().getBoolean("deleted"));
        return http.client.get("/v1/tasks/remote-delete").send();
      })
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(404, r.statusCode(), "the deleted task must not come from the cache: " + r.bodyAsString());
        assertEquals(3, http.seen.size(), "GET, DELETE, then GET again at the store: " + http.seen);
        tc.completeNow();
      })));
  }
}
