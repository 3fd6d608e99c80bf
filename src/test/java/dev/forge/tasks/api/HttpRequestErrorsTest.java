package dev.forge.tasks.api;

import static dev.forge.tasks.api.HttpFixture.assertError;
import static dev.forge.tasks.api.HttpFixture.replying;
import static dev.forge.tasks.api.HttpFixture.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Requests the HTTP layer refuses by itself. A fake store answers every address with success, so
 * a request that wrongly reached it would not get the error; {@code seen} proves none did.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpRequestErrorsTest {

  private HttpFixture http;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    HttpFixture.start(vertx).compose(f -> {
      http = f;
      var t = trace("task_x", TaskStatus.PENDING);
      return Future.all(List.of(
        f.on(Addresses.GET, replying(t)),
        f.on(Addresses.CANCEL, replying(t)),
        f.on(Addresses.DELETE, m -> m.reply(new JsonObject().put("id", "task_x").put("object", "task.deleted")
          .put("deleted", true))),
        f.on(Addresses.CREATE, m -> m.reply(t.toJson(), t.headers().addHeader(Addresses.HEADER_CREATED, "true"))),
        f.on(Addresses.LIST, m -> m.reply(new JsonObject().put("object", "list")))));
    }).onComplete(tc.succeedingThenComplete());
  }

  private Future<HttpResponse<Buffer>> postJson(String body) {
    return http.client.post("/v1/tasks").putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body));
  }

  @Test
  void brokenNonObjectOrEmptyJsonIsInvalidJson(VertxTestContext tc) {
    List<String> bodies = List.of("{", "{\"type\": ", "not json", "[1, 2]", "\"document_analysis\"", "42", "null",
      "true", "", "{} {}", "[".repeat(5000), "{\"a\":".repeat(5000));
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>(bodies.stream().map(this::postJson).toList());
    byte[] notUtf8 = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'};
    sent.add(http.client.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(Buffer.buffer(notUtf8)));
    Future.all(sent)
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < sent.size(); i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertError(r, 400, "invalid_request_error", "invalid_json", null);
        }
        assertEquals(List.of(), http.seen, "no invalid body reaches the store");
        tc.completeNow();
      })));
  }

  @Test
  void unknownBodyFieldsAreInvalidParameters(VertxTestContext tc) {
    Future.all(
        postJson("{\"type\": \"document_analysis\", \"colour\": \"red\"}"),
        postJson("{\"type\": \"document_analysis\", \"tenant\": \"someone_else\"}"))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        assertError(all.resultAt(0), 400, "invalid_request_error", "invalid_parameter", "colour");
        assertError(all.resultAt(1), 400, "invalid_request_error", "invalid_parameter", "tenant");
        assertEquals(List.of(), http.seen, "a client cannot name a tenant or any unknown field");
        tc.completeNow();
      })));
  }

  @Test
  void malformedOrOutOfRangeListParametersAreRefusedNamingTheParameter(VertxTestContext tc) {
    // query -> the param the error must name
    List<Map.Entry<String, String>> cases = List.of(
      Map.entry("limit=0", "limit"), Map.entry("limit=101", "limit"), Map.entry("limit=abc", "limit"),
      Map.entry("limit=-1", "limit"), Map.entry("limit=1.5", "limit"), Map.entry("limit=", "limit"),
      Map.entry("limit=99999999999", "limit"), Map.entry("limit=1&limit=2", "limit"),
      Map.entry("order=up", "order"), Map.entry("order=ASC", "order"), Map.entry("order=asc&order=desc", "order"),
      Map.entry("status=done", "status"), Map.entry("status=pending,,failed", "status"), Map.entry("status=", "status"),
      Map.entry("status=pending&status=failed", "status"),
      Map.entry("after=_x", "after"), Map.entry("after=bad!id", "after"), Map.entry("before=%20x", "before"),
      Map.entry("after=a&after=b", "after"), Map.entry("type=", "type"));
    Future.all(cases.stream().map(c -> http.client.get("/v1/tasks?" + c.getKey()).send()).toList())
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < cases.size(); i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertEquals(400, r.statusCode(), cases.get(i).getKey() + " -> " + r.bodyAsString());
          assertError(r, 400, "invalid_request_error", "invalid_parameter", cases.get(i).getValue());
        }
        assertEquals(List.of(), http.seen, "no refused list reaches the store");
        tc.completeNow();
      })));
  }

  /** API.md: {@code wait} is 0-60 seconds, and a malformed or out-of-range parameter is a 400. */
  @Test
  void malformedOrOutOfRangeWaitIsRefused(VertxTestContext tc) {
    List<String> waits = List.of("61", "-1", "abc", "1.5", "");
    Future.all(waits.stream().map(w -> http.client.get("/v1/tasks/task_x?wait=" + w).send()).toList())
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < waits.size(); i++) {
          assertError(all.resultAt(i), 400, "invalid_request_error", "invalid_parameter", "wait");
        }
        tc.completeNow();
      })));
  }

  @Test
  void idsThatCannotExistAreNotFoundWithoutAskingTheStore(VertxTestContext tc) {
    List<String> ids = List.of("_leading_underscore", "-dash", "bad!id", "a%20b", "%C3%A9t%C3%A9", "a".repeat(129));
    List<Future<HttpResponse<Buffer>>> requests = ids.stream()
      .flatMap(id -> List.of(
        http.client.get("/v1/tasks/" + id).send(),
        http.client.delete("/v1/tasks/" + id).send(),
        http.client.post("/v1/tasks/" + id + "/cancel").send()).stream())
      .toList();
    Future.all(requests).onComplete(tc.succeeding(all -> tc.verify(() -> {
      for (int i = 0; i < requests.size(); i++) {
        HttpResponse<Buffer> r = all.resultAt(i);
        assertError(r, 404, "not_found_error", "task_not_found", null);
        assertTrue(r.bodyAsJsonObject().getJsonObject("error").getString("message").length() < 200,
          "the message does not echo a long id in full");
      }
      assertEquals(List.of(), http.seen, "an impossible id never reaches the store");
      tc.completeNow();
    })));
  }

  @Test
  void unknownRoutesAreRouteNotFound(VertxTestContext tc) {
    List<String> paths = List.of("/nope", "/v1/nope", "/v1/tasks/task_x/y", "/v1/tasks/task_x/cancel/extra", "/v2/tasks");
    Future.all(paths.stream().map(p -> http.client.get(p).send()).toList())
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < paths.size(); i++) {
          assertError(all.resultAt(i), 404, "not_found_error", "route_not_found", null);
        }
        assertEquals(List.of(), http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void wrongMethodsAre405WithAnAllowHeader(VertxTestContext tc) {
    record Case(HttpMethod method, String path, Set<String> allow) {
    }
    List<Case> cases = List.of(
      new Case(HttpMethod.PUT, "/v1/tasks", Set.of("GET", "POST")),
      new Case(HttpMethod.DELETE, "/v1/tasks", Set.of("GET", "POST")),
      new Case(HttpMethod.PATCH, "/v1/tasks/task_x", Set.of("GET", "DELETE")),
      new Case(HttpMethod.POST, "/v1/tasks/task_x", Set.of("GET", "DELETE")),
      new Case(HttpMethod.GET, "/v1/tasks/task_x/cancel", Set.of("POST")),
      new Case(HttpMethod.POST, "/health", Set.of("GET")),
      new Case(HttpMethod.PUT, "/v1/files/", Set.of("GET", "POST")),
      new Case(HttpMethod.POST, "/v1/files/file-x", Set.of("GET", "DELETE")),
      new Case(HttpMethod.DELETE, "/v1/files/file-x/content", Set.of("GET", "POST")),
      new Case(HttpMethod.PATCH, "/v1/vector_stores/vs_x", Set.of("GET", "POST", "DELETE")),
      new Case(HttpMethod.GET, "/v1/vector_stores/vs_x/search", Set.of("POST")),
      new Case(HttpMethod.POST, "/v1/vector_stores/vs_x/summary", Set.of("GET")),
      new Case(HttpMethod.DELETE, "/v1/webhooks", Set.of("GET", "POST")),
      new Case(HttpMethod.GET, "/v1/webhooks/we_x/deliveries/d_x/retry", Set.of("POST")),
      new Case(HttpMethod.GET, "/v1/events/tickets", Set.of("POST")),
      new Case(HttpMethod.POST, "/v1/tasks/task_x/events", Set.of("GET")));
    Future.all(cases.stream().map(c -> http.client.request(c.method(), c.path()).send()).toList())
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < cases.size(); i++) {
          Case c = cases.get(i);
          HttpResponse<Buffer> r = all.resultAt(i);
          assertEquals(405, r.statusCode(), c + " -> " + r.bodyAsString());
          assertError(r, 405, "invalid_request_error", "method_not_allowed", null);
          String allow = r.getHeader("Allow");
          assertNotNull(allow, c.toString());
          assertEquals(c.allow(), Arrays.stream(allow.split(",")).map(String::trim).collect(Collectors.toSet()),
            c.toString());
        }
        assertEquals(List.of(), http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void aBodyOverTheLimitIs413(VertxTestContext tc) {
    Buffer big = Buffer.buffer("{\"type\":\"document_analysis\",\"input\":{\"text\":\"")
      .appendString("a".repeat(HttpFixture.BODY_LIMIT)).appendString("\"}}");
    http.client.post("/v1/tasks").putHeader("Content-Type", "application/json").sendBuffer(big)
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertError(r, 413, "invalid_request_error", "body_too_large", null);
        assertEquals(List.of(), http.seen);
        tc.completeNow();
      })));
  }

  @Test
  void aChunkedBodyOverTheLimitIs413(Vertx vertx, VertxTestContext tc) {
    // No Content-Length: the limit must hold while the body streams in.
    HttpClient raw = vertx.createHttpClient();
    Buffer chunk = Buffer.buffer("a".repeat(64 * 1024));
    raw.request(HttpMethod.POST, http.port, "127.0.0.1", "/v1/tasks").compose(req -> {
      req.setChunked(true).putHeader("Content-Type", "application/json");
      req.write("{\"type\":\"document_analysis\",\"input\":{\"text\":\"");
      Future<HttpClientResponse> response = req.response();
      writeUntilAnswered(req, response, chunk, HttpFixture.BODY_LIMIT / chunk.length() + 1);
      return response;
    }).compose(resp -> resp.body().map(body -> new Object[] {resp.statusCode(), resp.getHeader("Content-Type"), body}))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(413, r[0], String.valueOf(r[2]));
        assertTrue(String.valueOf(r[1]).startsWith("application/json"));
        assertEquals("body_too_large", ((Buffer) r[2]).toJsonObject().getJsonObject("error").getString("code"));
        assertEquals(List.of(), http.seen);
        tc.completeNow();
      })));
  }

  /**
   * Writes {@code chunks} chunks, each once the one before has left (a server that stops reading
   * stops the writes), and stops as soon as the response arrives: the server need not read the rest.
   * (A loop of writes on the event loop cannot see the response arrive: it queued the whole body.)
   */
  private static void writeUntilAnswered(HttpClientRequest req, Future<?> response, Buffer chunk, int chunks) {
    if (response.isComplete()) {
      return;
    }
    if (chunks == 0) {
      req.end("\"}}");
      return;
    }
    req.write(chunk).onSuccess(written -> writeUntilAnswered(req, response, chunk, chunks - 1));
  }

  @Test
  void aBodyThatIsNotJsonIs415(VertxTestContext tc) {
    Future.all(
        http.client.post("/v1/tasks").putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("{}")),
        http.client.post("/v1/tasks").sendBuffer(Buffer.buffer("{\"type\": \"document_analysis\"}")),
        http.client.post("/v1/tasks").putHeader("Content-Type", "application/x-www-form-urlencoded")
          .sendBuffer(Buffer.buffer("type=document_analysis")))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < 3; i++) {
          assertError(all.resultAt(i), 415, "invalid_request_error", "unsupported_media_type", null);
        }
        assertEquals(List.of(), http.seen);
        tc.completeNow();
      })));
  }
}
