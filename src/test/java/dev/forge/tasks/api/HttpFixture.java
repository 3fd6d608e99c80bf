package dev.forge.tasks.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.support.TestNodes;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.task.Trace;
import dev.forge.tasks.task.TraceCache;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The HTTP verticle on a free loopback port, with fake store consumers in place of the real store,
 * and the assertions every reply of API.md must pass.
 */
final class HttpFixture {

  static final int BODY_LIMIT = 1024 * 1024;
  static final long BUS_TIMEOUT_MS = 5_000;
  /** The upload limit of the servers under test: the default of the config. */
  static final long FILE_MAX_BYTES = 64L * 1024 * 1024;

  private final Vertx vertx;
  final int port;
  final WebClient client;
  /** Every bus request the fake consumers received, in arrival order. */
  final List<JsonObject> seen = new CopyOnWriteArrayList<>();

  private HttpFixture(Vertx vertx, int port, WebClient client) {
    this.vertx = vertx;
    this.port = port;
    this.client = client;
  }

  /** Deploys the verticle; an empty {@code apiKeys} leaves the server open. */
  static Future<HttpFixture> start(Vertx vertx, long busTimeoutMs, Map<String, String> apiKeys) {
    return start(vertx, busTimeoutMs, apiKeys, null);
  }

  /** Deploys the verticle reading through {@code cache} (may be null: no cache). */
  static Future<HttpFixture> start(Vertx vertx, long busTimeoutMs, Map<String, String> apiKeys, TraceCache cache) {
    int port = TestNodes.freePort();
    HttpVerticle http = new HttpVerticle(
      new HttpVerticle.Settings("127.0.0.1", port, BODY_LIMIT, busTimeoutMs, apiKeys, 1000, 15_000, false, FILE_MAX_BYTES), null, cache);
    return vertx.deployVerticle(http).map(id -> new HttpFixture(vertx, port,
      WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port))));
  }

  static Future<HttpFixture> start(Vertx vertx) {
    return start(vertx, BUS_TIMEOUT_MS, Map.of());
  }

  /** Registers a fake consumer that records each body (in {@link #seen}) before handling it. */
  Future<Void> on(String address, Handler<Message<JsonObject>> handler) {
    return vertx.eventBus().<JsonObject>consumer(address, m -> {
      seen.add(m.body());
      handler.handle(m);
    }).completion();
  }

  /** Replies as the store does: the Trace, with its ETag/status headers. */
  static Handler<Message<JsonObject>> replying(Trace t) {
    return m -> m.reply(t.toJson(), t.headers());
  }

  static Handler<Message<JsonObject>> failing(ApiError error) {
    return error::failReply;
  }

  static Trace trace(String id, TaskStatus status) {
    return trace(id, status, 3);
  }

  static Trace trace(String id, TaskStatus status, long version) {
    double progress = status == TaskStatus.COMPLETED ? 1.0 : status == TaskStatus.PENDING ? 0.0 : 0.42;
    return new Trace("default", id, 17, "document_analysis", status, progress,
      new JsonObject().put("operation", "document_analysis"), 1699061776L, 1699061876L,
      status == TaskStatus.FAILED ? "The input was empty." : null, version);
  }

  /** The error shape of API.md: status, JSON content type, {@code error.type/code/param}, a message. */
  static void assertError(HttpResponse<Buffer> r, int status, String type, String code, String param) {
    String where = " (reply: " + r.statusCode() + " " + r.bodyAsString() + ")";
    assertEquals(status, r.statusCode(), "status" + where);
    String contentType = r.getHeader("Content-Type");
    assertNotNull(contentType, "Content-Type" + where);
    assertTrue(contentType.startsWith("application/json"), "Content-Type " + contentType + where);
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertNotNull(error, "error object" + where);
    assertEquals(type, error.getString("type"), "error.type" + where);
    assertEquals(code, error.getString("code"), "error.code" + where);
    assertTrue(error.containsKey("param"), "error.param must be present, null or not" + where);
    if (param == null) {
      assertNull(error.getValue("param"), "error.param" + where);
    } else {
      assertEquals(param, error.getString("param"), "error.param" + where);
    }
    String message = error.getString("message");
    assertTrue(message != null && !message.isBlank(), "error.message" + where);
    assertNoLeak(r);
  }

  /** No reply ever carries a stack trace, an exception or SQL. */
  static void assertNoLeak(HttpResponse<Buffer> r) {
    String body = r.bodyAsString();
    if (body == null) {
      return;
    }
    for (String forbidden : List.of("Exception", "at dev.", "at io.", "\tat ", "SELECT", "Caused by")) {
      assertFalse(body.contains(forbidden), "reply body leaks '" + forbidden + "': " + body);
    }
  }
}
