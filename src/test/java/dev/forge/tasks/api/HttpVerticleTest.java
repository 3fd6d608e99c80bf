package dev.forge.tasks.api;

import static dev.forge.tasks.api.HttpFixture.replying;
import static dev.forge.tasks.api.HttpFixture.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.task.Trace;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The successful replies of the REST API against fake store consumers: status, headers, bodies, bus requests. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpVerticleTest {

  private HttpFixture http;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx).onComplete(tc.succeeding(f -> {
      http = f;
      tc.completeNow();
    }));
  }

  @Test
  void getAnswersTheTraceWithItsEtagAndAsksTheStoreForTheDefaultTenant(VertxTestContext tc) {
    Trace t = trace("task_7bQ2mZp0Lx9aRt4kWc1YeN3s", TaskStatus.IN_PROGRESS);
    http.on(Addresses.GET, replying(t))
      .compose(v -> http.client.get("/v1/tasks/" + t.id()).send())
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertTrue(r.getHeader("Content-Type").startsWith("application/json"));
        assertEquals(t.toJson(), r.bodyAsJsonObject());
        assertEquals(t.etag(), r.getHeader("ETag"));
        assertEquals(List.of(new JsonObject().put("tenant", Addresses.DEFAULT_TENANT).put("id", t.id())), http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void ifNoneMatchWithTheCurrentTagAnswers304WithNoBody(VertxTestContext tc) {
    Trace t = trace("upload-doc_1", TaskStatus.IN_PROGRESS, 5);
    http.on(Addresses.GET, replying(t))
      .compose(v -> Future.all(
        http.client.get("/v1/tasks/" + t.id()).putHeader("If-None-Match", t.etag()).send(),
        http.client.get("/v1/tasks/" + t.id()).putHeader("If-None-Match", "W/" + t.etag()).send(),
        http.client.get("/v1/tasks/" + t.id()).putHeader("If-None-Match", "\"other\", " + t.etag()).send(),
        http.client.get("/v1/tasks/" + t.id()).putHeader("If-None-Match", "\"h-4\"").send()))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < 3; i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertEquals(304, r.statusCode(), "request " + i);
          assertEquals(t.etag(), r.getHeader("ETag"), "request " + i);
          assertTrue(r.body() == null || r.body().length() == 0, "a 304 has no body: " + r.bodyAsString());
        }
        HttpResponse<Buffer> stale = all.resultAt(3);
        assertEquals(200, stale.statusCode(), "a tag that no longer matches gets the current state");
        assertEquals(t.toJson(), stale.bodyAsJsonObject());
        assertEquals(t.etag(), stale.getHeader("ETag"));
        tc.completeNow();
      })));
  }

  @Test
  void pollAfterMsIsOnNonTerminalRepliesOnly(VertxTestContext tc) {
    List<TaskStatus> statuses = List.of(TaskStatus.values());
    http.on(Addresses.GET, m -> {
      Trace t = trace(m.body().getString("id"), TaskStatus.valueOf(m.body().getString("id").toUpperCase()));
      m.reply(t.toJson(), t.headers());
    }).compose(v -> Future.all(statuses.stream()
        .map(s -> http.client.get("/v1/tasks/" + s.name().toLowerCase()).send()).toList()))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < statuses.size(); i++) {
          TaskStatus s = statuses.get(i);
          HttpResponse<Buffer> r = all.resultAt(i);
          assertEquals(200, r.statusCode(), s + ": " + r.bodyAsString());
          assertEquals(s.wire(), r.bodyAsJsonObject().getString("status"));
          String hint = r.getHeader("Poll-After-Ms");
          if (s.terminal()) {
            assertNull(hint, "a terminal task needs no more polling: " + s);
          } else {
            assertNotNull(hint, "a non-terminal task carries Poll-After-Ms: " + s);
            assertTrue(Long.parseLong(hint) > 0, "Poll-After-Ms " + hint);
          }
        }
        tc.completeNow();
      })));
  }

  @Test
  void createAnswers202WithLocationAndPassesTheBodyWithTheTenant(VertxTestContext tc) {
    Trace t = trace("task_AAAAAAAAAAAAAAAAAAAAAAAA", TaskStatus.PENDING, 1);
    JsonObject request = new JsonObject().put("type", "document_analysis")
      .put("input", new JsonObject().put("text", "Hello.")).put("data", new JsonObject().put("file_id", "file_1"))
      .put("max_attempts", 2);
    http.on(Addresses.CREATE, m -> m.reply(t.toJson(), t.headers().addHeader(Addresses.HEADER_CREATED, "true")))
      .compose(v -> http.client.post("/v1/tasks").sendJsonObject(request))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(202, r.statusCode(), r.bodyAsString());
        assertEquals("/v1/tasks/" + t.id(), r.getHeader("Location"));
        assertEquals(t.etag(), r.getHeader("ETag"));
        assertNotNull(r.getHeader("Poll-After-Ms"), "a pending task carries Poll-After-Ms");
        assertEquals(t.toJson(), r.bodyAsJsonObject());
        assertEquals(List.of(request.copy().put("tenant", Addresses.DEFAULT_TENANT)), http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void createOfAnExistingIdAnswers200WithoutLocation(VertxTestContext tc) {
    Trace t = trace("create-vs_abc", TaskStatus.COMPLETED);
    http.on(Addresses.CREATE, m -> m.reply(t.toJson(), t.headers().addHeader(Addresses.HEADER_CREATED, "false")))
      .compose(v -> http.client.post("/v1/tasks")
        .sendJsonObject(new JsonObject().put("type", "document_analysis").put("id", t.id())))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertNull(r.getHeader("Location"));
        assertNull(r.getHeader("Poll-After-Ms"), "a completed task needs no more polling");
        assertEquals(t.toJson(), r.bodyAsJsonObject());
        tc.completeNow();
      })));
  }

  @Test
  void createAcceptsJsonWithACharset(VertxTestContext tc) {
    Trace t = trace("task_BBBBBBBBBBBBBBBBBBBBBBBB", TaskStatus.PENDING, 1);
    http.on(Addresses.CREATE, m -> m.reply(t.toJson(), t.headers().addHeader(Addresses.HEADER_CREATED, "true")))
      .compose(v -> http.client.post("/v1/tasks").putHeader("Content-Type", "application/json; charset=utf-8")
        .sendBuffer(Buffer.buffer("{\"type\": \"document_analysis\"}")))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(202, r.statusCode(), r.bodyAsString());
        tc.completeNow();
      })));
  }

  @Test
  void createAcceptsABodyOfExactlyTheLimit(VertxTestContext tc) {
    Trace t = trace("task_CCCCCCCCCCCCCCCCCCCCCCCC", TaskStatus.PENDING, 1);
    String head = "{\"type\":\"document_analysis\",\"input\":{\"text\":\"";
    String tail = "\"}}";
    String body = head + "a".repeat(HttpFixture.BODY_LIMIT - head.length() - tail.length()) + tail;
    http.on(Addresses.CREATE, m -> m.reply(t.toJson(), t.headers().addHeader(Addresses.HEADER_CREATED, "true")))
      .compose(v -> http.client.post("/v1/tasks").putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(body)))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(HttpFixture.BODY_LIMIT, body.length());
        assertEquals(202, r.statusCode(), r.bodyAsString());
        assertEquals(1, http.seen.size());
        tc.completeNow();
      })));
  }

  @Test
  void listPassesValidatedParametersAndAnswersTheStoreList(VertxTestContext tc) {
    JsonObject list = new JsonObject().put("object", "list")
      .put("data", new JsonArray().add(trace("a1", TaskStatus.PENDING).toJson()))
      .put("first_id", "a1").put("last_id", "a1").put("has_more", false);
    http.on(Addresses.LIST, m -> m.reply(list))
      .compose(v -> Future.all(
        http.client.get("/v1/tasks?limit=5&order=asc&status=pending,%20failed&type=document_analysis&after=a0").send(),
        http.client.get("/v1/tasks").send()))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < 2; i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertEquals(200, r.statusCode(), r.bodyAsString());
          assertTrue(r.getHeader("Content-Type").startsWith("application/json"));
          assertEquals(list, r.bodyAsJsonObject());
        }
        assertEquals(2, http.seen.size());
        JsonObject full = http.seen.stream().filter(b -> b.getValue("limit") != null).findFirst().orElseThrow();
        assertEquals(Addresses.DEFAULT_TENANT, full.getString("tenant"));
        assertEquals(5, full.getValue("limit"));
        assertEquals("asc", full.getString("order"));
        assertEquals(new JsonArray().add("pending").add("failed"), full.getJsonArray("status"));
        assertEquals("document_analysis", full.getString("type"));
        assertEquals("a0", full.getString("after"));
        assertNull(full.getValue("before"));
        JsonObject bare = http.seen.stream().filter(b -> b.getValue("limit") == null).findFirst().orElseThrow();
        assertEquals(Addresses.DEFAULT_TENANT, bare.getString("tenant"));
        assertNull(bare.getValue("status"));
        tc.completeNow();
      })));
  }

  @Test
  void cancelAnswersTheCancelledTraceWithoutPollHint(VertxTestContext tc) {
    Trace t = trace("upload-doc_2", TaskStatus.CANCELLED, 9);
    http.on(Addresses.CANCEL, replying(t))
      .compose(v -> http.client.post("/v1/tasks/" + t.id() + "/cancel").send())
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertEquals(t.toJson(), r.bodyAsJsonObject());
        assertEquals(t.etag(), r.getHeader("ETag"));
        assertNull(r.getHeader("Poll-After-Ms"));
        assertEquals(List.of(new JsonObject().put("tenant", Addresses.DEFAULT_TENANT).put("id", t.id())), http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void deleteAnswersTheDeletionObject(VertxTestContext tc) {
    JsonObject deleted = new JsonObject().put("id", "upload-doc_3").put("object", "task.deleted").put("deleted", true);
    // As the store replies: the deletion object, with the deleted task's headers.
    http.on(Addresses.DELETE, m -> m.reply(deleted,
        trace("upload-doc_3", TaskStatus.COMPLETED).headers().addHeader(Addresses.HEADER_DELETED, "true")))
      .compose(v -> http.client.delete("/v1/tasks/upload-doc_3").send())
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertTrue(r.getHeader("Content-Type").startsWith("application/json"));
        assertEquals(deleted, r.bodyAsJsonObject());
        assertEquals(List.of(new JsonObject().put("tenant", Addresses.DEFAULT_TENANT).put("id", "upload-doc_3")),
          http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void healthNeedsNoStoreAndReadyAsksIt(VertxTestContext tc) {
    http.on(Addresses.PING, m -> m.reply(new JsonObject()))
      .compose(v -> Future.all(http.client.get("/health").send(), http.client.get("/ready").send()))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        HttpResponse<Buffer> health = all.resultAt(0);
        HttpResponse<Buffer> ready = all.resultAt(1);
        assertEquals(200, health.statusCode());
        assertEquals(200, ready.statusCode(), ready.bodyAsString());
        assertEquals(1, http.seen.size(), "only /ready asks the store");
        tc.completeNow();
      })));
  }
}
