package dev.forge.tasks.api;

import static dev.forge.tasks.api.HttpFixture.assertError;
import static dev.forge.tasks.api.HttpFixture.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.task.Trace;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
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

/** API keys: every /v1 request needs one, and the key's tenant is the one the store is asked for. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpAuthTest {

  private static final Map<String, String> KEYS = Map.of("sk-alpha-123", "alpha", "sk-beta-456", "beta");

  private HttpFixture http;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    Trace t = trace("task_x", TaskStatus.IN_PROGRESS);
    HttpFixture.start(vertx, HttpFixture.BUS_TIMEOUT_MS, KEYS).compose(f -> {
      http = f;
      return Future.all(List.of(
        f.on(Addresses.GET, m -> m.reply(t.toJson(), t.headers())),
        f.on(Addresses.LIST, m -> m.reply(new JsonObject().put("object", "list").put("data", new JsonArray())
          .putNull("first_id").putNull("last_id").put("has_more", false))),
        f.on(Addresses.CREATE, m -> m.reply(t.toJson(), t.headers().addHeader(Addresses.HEADER_CREATED, "true"))),
        f.on(Addresses.CANCEL, m -> m.reply(t.toJson(), t.headers())),
        f.on(Addresses.DELETE, m -> m.reply(new JsonObject().put("id", "task_x").put("object", "task.deleted")
          .put("deleted", true))),
        f.on(Addresses.PING, m -> m.reply(new JsonObject()))));
    }).onComplete(tc.succeedingThenComplete());
  }

  /** One request of each /v1 kind, with the given Authorization header (none when null). */
  private List<Future<HttpResponse<Buffer>>> everyRoute(String authorization) {
    List<HttpRequest<Buffer>> requests = List.of(
      http.client.get("/v1/tasks/task_x"),
      http.client.get("/v1/tasks"),
      http.client.post("/v1/tasks/task_x/cancel"),
      http.client.delete("/v1/tasks/task_x"));
    if (authorization != null) {
      requests.forEach(r -> r.putHeader("Authorization", authorization));
    }
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>(requests.stream().map(HttpRequest::send).toList());
    HttpRequest<Buffer> create = http.client.post("/v1/tasks");
    if (authorization != null) {
      create.putHeader("Authorization", authorization);
    }
    sent.add(create.sendJsonObject(new JsonObject().put("type", "document_analysis")));
    return sent;
  }

  @Test
  void missingOrWrongKeysAre401AndNeverReachTheStore(VertxTestContext tc) {
    List<String> headers = Arrays.asList(null, "Bearer", "Bearer ", "Bearer sk-wrong", "sk-alpha-123",
      "Basic c2stYWxwaGEtMTIzOg==", "Bearer sk-alpha-1234", "Bearer sk-alpha-12");
    List<Future<HttpResponse<Buffer>>> all = headers.stream().flatMap(h -> everyRoute(h).stream()).toList();
    Future.all(all).onComplete(tc.succeeding(done -> tc.verify(() -> {
      for (int i = 0; i < all.size(); i++) {
        assertError(done.resultAt(i), 401, "authentication_error", "invalid_api_key", null);
      }
      assertEquals(List.of(), http.seen, "an unauthenticated request never reaches the store");
      tc.completeNow();
    })));
  }

  @Test
  void theRightKeyPassesItsTenantToTheStore(VertxTestContext tc) {
    List<Future<HttpResponse<Buffer>>> alpha = everyRoute("Bearer sk-alpha-123");
    List<Future<HttpResponse<Buffer>>> beta = everyRoute("bearer sk-beta-456");
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>(alpha);
    all.addAll(beta);
    Future.all(all).onComplete(tc.succeeding(done -> tc.verify(() -> {
      for (int i = 0; i < all.size(); i++) {
        HttpResponse<Buffer> r = done.resultAt(i);
        int status = r.statusCode();
        assertTrue(status == 200 || status == 202, "request " + i + ": " + status + " " + r.bodyAsString());
      }
      assertEquals(all.size(), http.seen.size());
      Map<String, Long> tenants = http.seen.stream()
        .collect(Collectors.groupingBy(b -> String.valueOf(b.getValue("tenant")), Collectors.counting()));
      assertEquals(Map.of("alpha", (long) alpha.size(), "beta", (long) beta.size()), tenants);
      tc.completeNow();
    })));
  }

  @Test
  void healthAndReadyNeedNoKey(VertxTestContext tc) {
    Future.all(http.client.get("/health").send(), http.client.get("/ready").send())
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        for (int i = 0; i < 2; i++) {
          HttpResponse<Buffer> r = all.resultAt(i);
          assertEquals(200, r.statusCode(), r.bodyAsString());
        }
        assertEquals(Set.of(new JsonObject()), Set.copyOf(http.seen), "only the ping reached the store");
        tc.completeNow();
      })));
  }
}
