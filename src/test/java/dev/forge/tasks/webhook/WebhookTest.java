package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Webhooks through the real server and a real receiver: the endpoint API, signatures checked by the
 * receiver's own verifier, retries with backoff, and the unsafe receivers (hanging, redirecting, on a
 * forbidden address). Each test works in a tenant of its own, so that endpoints never see another
 * test's tasks.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebhookTest {

  private static final long RETRY_BASE_MS = 300;
  private static final long TIMEOUT_MS = 1000;
  private static LiveNode live;
  private static Receiver receiver;
  private static PgConnectOptions db;

  @BeforeAll
  static void start() throws Exception {
    receiver = new Receiver();
    String keys = IntStream.rangeClosed(1, 12).mapToObj(i -> "t" + i + "=key-" + i).collect(Collectors.joining(","));
    db = TestDatabase.freshDatabase();
    live = LiveNode.start(TestNodes.config(db, Map.of(
      "TASKS_API_KEYS", keys, "TASKS_TYPES", "noop,held", "TASKS_JOB_TYPES", "noop",
      "TASKS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1",
      "TASKS_WEBHOOK_TIMEOUT_MS", Long.toString(TIMEOUT_MS),
      "TASKS_WEBHOOK_RETRY_BASE_MS", Long.toString(RETRY_BASE_MS))));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
    if (receiver != null) {
      receiver.close();
    }
  }

  static HttpResponse<Buffer> call(HttpMethod method, String uri, int tenant, JsonObject body) throws Exception {
    var request = live.http.request(method, uri).putHeader("Authorization", "Bearer key-" + tenant);
    if (body != null) {
      return await(request.putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer()));
    }
    return await(request.send());
  }

  static JsonObject ok(HttpResponse<Buffer> r) {
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static JsonObject subscribe(int tenant, String path, String... events) throws Exception {
    return ok(call(HttpMethod.POST, "/v1/webhooks", tenant, new JsonObject().put("url", receiver.url(path))
      .put("events", new JsonArray(List.of((Object[]) events)))));
  }

  static String noopTask(int tenant) throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/v1/tasks", tenant, new JsonObject().put("type", "noop"));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getString("id");
  }

  static JsonObject deliveries(int tenant, String endpoint) throws Exception {
    return ok(call(HttpMethod.GET, "/v1/webhooks/" + endpoint + "/deliveries", tenant, null));
  }

  static JsonObject onlyDelivery(int tenant, String endpoint) throws Exception {
    JsonArray data = deliveries(tenant, endpoint).getJsonArray("data");
    assertEquals(1, data.size(), data.encode());
    return data.getJsonObject(0);
  }

  @Test
  void theSignerReproducesTheSpecificationsTestVector() {
    // The published example of the Standard Webhooks specification (and of Svix's libraries), signed
    // three times around another secret: the signer keeps one initialised Mac per secret, which must
    // come back to its key's state after each signature.
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for (int i = 0; i < 3; i++) {
      assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", Signer.signature(
        List.of(secret), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"));
      assertEquals(2, Signer.signature(List.of(Signer.newSecret(), secret), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        "{\"test\": 2432232314}").split(" ").length);
    }
  }

  @Test
  void endpointsAreCreatedReadUpdatedAndDeletedPerTenantAndTheSecretIsShownOnlyOnCreation() throws Exception {
    JsonObject created = subscribe(1, "/crud", "task.completed", "task.failed");
    String id = created.getString("id");
    assertTrue(created.getString("secret").startsWith("whsec_"), created.encode());
    assertEquals("enabled", created.getString("status"));
    JsonObject read = ok(call(HttpMethod.GET, "/v1/webhooks/" + id, 1, null));
    assertNull(read.getValue("secret"), read.encode());
    assertEquals(new JsonArray().add("task.completed").add("task.failed"), read.getJsonArray("events"));
    assertEquals(1, ok(call(HttpMethod.GET, "/v1/webhooks", 1, null)).getJsonArray("data").size());
    // Another tenant sees nothing of it.
    assertEquals(0, ok(call(HttpMethod.GET, "/v1/webhooks", 2, null)).getJsonArray("data").size());
    assertEquals("webhook_not_found", call(HttpMethod.GET, "/v1/webhooks/" + id, 2, null).bodyAsJsonObject()
      .getJsonObject("error").getString("code"));

    JsonObject updated = ok(call(HttpMethod.POST, "/v1/webhooks/" + id, 1, new JsonObject()
      .put("events", new JsonArray().add("task.cancelled")).put("description", "ops").put("disabled", true)));
    assertEquals("disabled", updated.getString("status"));
    assertEquals("ops", updated.getString("description"));
    assertNull(updated.getValue("secret"));
    JsonObject rotated = ok(call(HttpMethod.POST, "/v1/webhooks/" + id, 1, new JsonObject().put("rotate_secret", true)
      .put("disabled", false)));
    assertNotEquals(created.getString("secret"), rotated.getString("secret"));
    assertEquals("enabled", rotated.getString("status"));

    HttpResponse<Buffer> put = call(HttpMethod.PUT, "/v1/webhooks/" + id, 1, new JsonObject());
    assertEquals(405, put.statusCode());
    assertEquals("GET, POST, DELETE", put.getHeader("Allow"));
    assertEquals("method_not_allowed", put.bodyAsJsonObject().getJsonObject("error").getString("code"));

    JsonObject deleted = ok(call(HttpMethod.DELETE, "/v1/webhooks/" + id, 1, null));
    assertTrue(deleted.getBoolean("deleted"));
    assertEquals(404, call(HttpMethod.GET, "/v1/webhooks/" + id, 1, null).statusCode());
  }

  @Test
  void unsafeOrInvalidEndpointsAreRefusedWithTheJsonErrorShape() throws Exception {
    for (String url : List.of("http://example.com/hook", "ftp://example.com/", "https://10.1.2.3/hook",
      "https://169.254.169.254/latest", "https://[::1]:8443/", "https://user:pw@example.com/", "not a url")) {
      HttpResponse<Buffer> r = call(HttpMethod.POST, "/v1/webhooks", 1, new JsonObject().put("url", url)
        .put("events", new JsonArray().add("task.completed")));
      assertEquals(400, r.statusCode(), url + ": " + r.bodyAsString());
      assertEquals("url", r.bodyAsJsonObject().getJsonObject("error").getString("param"), url);
    }
    HttpResponse<Buffer> badEvent = call(HttpMethod.POST, "/v1/webhooks", 1, new JsonObject()
      .put("url", "https://example.com/").put("events", new JsonArray().add("task.exploded")));
    assertEquals("events", badEvent.bodyAsJsonObject().getJsonObject("error").getString("param"));
    HttpResponse<Buffer> unknown = call(HttpMethod.POST, "/v1/webhooks", 1, new JsonObject()
      .put("url", "https://example.com/").put("events", new JsonArray().add("task.failed")).put("secret", "mine"));
    assertEquals(400, unknown.statusCode());
    assertEquals("secret", unknown.bodyAsJsonObject().getJsonObject("error").getString("param"));
  }

  @Test
  void eachCompletedTaskArrivesOnceSignedAsTheSpecificationSays() throws Exception {
    JsonObject endpoint = subscribe(3, "/ok", "task.completed");
    Set<String> tasks = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      tasks.add(noopTask(3));
    }
    receiver.until("three deliveries", 30, () -> receiver.hits("/ok").size() >= 3);
    Set<String> seen = new HashSet<>();
    for (Receiver.Hit hit : receiver.hits("/ok")) {
      assertTrue(Receiver.verifies(endpoint.getString("secret"), hit), hit.toString());
      assertTrue(hit.id().startsWith("msg_"), hit.id());
      long age = System.currentTimeMillis() / 1000 - Long.parseLong(hit.timestamp());
      assertTrue(age >= -5 && age < 60, "timestamp " + hit.timestamp());
      JsonObject body = hit.json();
      assertEquals("task.completed", body.getString("type"));
      assertTrue(body.getString("timestamp").endsWith("Z"), body.encode());
      assertEquals("completed", body.getJsonObject("data").getString("status"));
      assertEquals("task", body.getJsonObject("data").getString("object"));
      seen.add(body.getJsonObject("data").getString("id"));
    }
    assertEquals(tasks, seen);
    receiver.until("the deliveries recorded as succeeded", 10, () -> {
      try {
        JsonArray data = deliveries(3, endpoint.getString("id")).getJsonArray("data");
        return data.size() == 3 && data.stream().allMatch(d -> "succeeded".equals(((JsonObject) d).getString("status")));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject d = deliveries(3, endpoint.getString("id")).getJsonArray("data").getJsonObject(0);
    assertEquals(1, d.getInteger("attempts"));
    assertEquals(200, d.getInteger("last_status_code"));
  }

  /**
   * V9: the body's data is the task as {@code GET /v1/tasks/{id}} shows it (same fields, same
   * values, now built as json text), and webhook-ids rise with the deliveries' creation (a
   * time-ordered prefix), each still 32 hex digits after {@code msg_} and unique.
   */
  @Test
  void theBodyCarriesTheTaskAsGetShowsItAndIdsRiseWithCreation() throws Exception {
    subscribe(11, "/ordered", "task.completed");
    List<String> tasks = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      tasks.add(noopTask(11));
      int n = i;
      receiver.until("delivery " + n, 30, () -> receiver.hits("/ordered").size() >= n);
    }
    List<Receiver.Hit> hits = receiver.hits("/ordered");
    assertEquals(tasks, hits.stream().map(h -> h.json().getJsonObject("data").getString("id")).toList());
    List<String> ids = hits.stream().map(Receiver.Hit::id).toList();
    assertEquals(ids.stream().sorted().toList(), ids, "ids in creation order");
    assertEquals(3, ids.stream().distinct().count());
    ids.forEach(id -> assertTrue(id.matches("msg_[0-9a-f]{32}"), id));
    for (Receiver.Hit hit : hits) {
      JsonObject data = hit.json().getJsonObject("data");
      JsonObject task = ok(call(HttpMethod.GET, "/v1/tasks/" + data.getString("id"), 11, null));
      for (String field : List.of("id", "object", "type", "status", "progress", "data", "created_at", "updated_at",
        "failure_reason")) {
        Object want = task.getValue(field);
        Object got = data.getValue(field);
        if (want instanceof Number w && got instanceof Number g) { // JSON numbers: 1 and 1.0 are one value
          assertEquals(w.doubleValue(), g.doubleValue(), field + " in " + hit.body());
        } else {
          assertEquals(want, got, field + " in " + hit.body());
        }
      }
    }
  }

  @Test
  void aReceiverFailingThreeTimesGetsFourAttemptsWithGrowingBackoffAndTheSameId() throws Exception {
    receiver.on("/flaky", n -> n <= 3 ? 500 : 200);
    JsonObject endpoint = subscribe(4, "/flaky", "task.completed");
    noopTask(4);
    receiver.until("four attempts", 60, () -> receiver.hits("/flaky").size() >= 4);
    List<Receiver.Hit> hits = receiver.hits("/flaky");
    assertEquals(1, hits.stream().map(Receiver.Hit::id).distinct().count(), "one webhook-id on every attempt");
    assertEquals(List.of(500, 500, 500, 200), hits.stream().map(Receiver.Hit::answered).toList());
    for (int i = 1; i < 4; i++) {
      long gapMs = (hits.get(i).nanos() - hits.get(i - 1).nanos()) / 1_000_000;
      long least = (long) (RETRY_BASE_MS * Math.pow(2, i - 1) * 0.75);
      assertTrue(gapMs >= least, "attempt " + (i + 1) + " came " + gapMs + " ms after the previous, backoff >= " + least);
      assertTrue(Receiver.verifies(endpoint.getString("secret"), hits.get(i)));
    }
    receiver.until("the delivery recorded as succeeded", 10, () -> {
      try {
        return "succeeded".equals(onlyDelivery(4, endpoint.getString("id")).getString("status"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject d = onlyDelivery(4, endpoint.getString("id"));
    assertEquals(4, d.getInteger("attempts"));
    assertEquals(200, d.getInteger("last_status_code"));
    // Nothing more arrives after the success.
    await(live.node.vertx().timer(RETRY_BASE_MS * 3));
    assertEquals(4, receiver.hits("/flaky").size());
  }

  @Test
  void aHangingReceiverTimesOutAndIsRetriedLater() throws Exception {
    receiver.on("/hang", n -> Receiver.HANG);
    JsonObject endpoint = subscribe(5, "/hang", "task.completed");
    noopTask(5);
    receiver.until("a second attempt after the timeout", 30, () -> receiver.hits("/hang").size() >= 2);
    List<Receiver.Hit> hits = receiver.hits("/hang");
    long gapMs = (hits.get(1).nanos() - hits.get(0).nanos()) / 1_000_000;
    assertTrue(gapMs >= TIMEOUT_MS, "retried " + gapMs + " ms after the first call, before its timeout");
    JsonObject d = onlyDelivery(5, endpoint.getString("id"));
    assertEquals("pending", d.getString("status"), d.encode());
    assertTrue(d.getString("last_error") == null || d.getString("last_error").contains("No answer within"), d.encode());
  }

  @Test
  void aRedirectIsNotFollowedAndCountsAsAFailure() throws Exception {
    receiver.on("/redirect", n -> 302);
    JsonObject endpoint = subscribe(6, "/redirect", "task.completed");
    noopTask(6);
    receiver.until("the redirect recorded", 30, () -> {
      try {
        JsonArray data = deliveries(6, endpoint.getString("id")).getJsonArray("data");
        return data.size() == 1 && Integer.valueOf(302).equals(data.getJsonObject(0).getInteger("last_status_code"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject d = onlyDelivery(6, endpoint.getString("id"));
    assertEquals("pending", d.getString("status"));
    assertTrue(d.getString("last_error").contains("redirects are not followed"), d.encode());
    assertTrue(receiver.hits("/redirected").isEmpty(), "the redirect was followed");

    // A retry by request sends it again at once, with the same id.
    int before = receiver.hits("/redirect").size();
    JsonObject retried = ok(call(HttpMethod.POST, "/v1/webhooks/" + endpoint.getString("id") + "/deliveries/"
      + d.getString("id") + "/retry", 6, null));
    assertEquals(d.getString("id"), retried.getString("id"));
    receiver.until("the retried attempt", 10, () -> receiver.hits("/redirect").size() > before);
    assertEquals(d.getString("id"), receiver.hits("/redirect").get(before).id());
    assertEquals(404, call(HttpMethod.POST, "/v1/webhooks/" + endpoint.getString("id")
      + "/deliveries/msg_nope/retry", 6, null).statusCode());
  }

  @Test
  void aHostThatResolvesToAForbiddenAddressIsNeverCalled() throws Exception {
    // https and a name: accepted at creation; "localhost" resolves to loopback, and only 127.0.0.1 is allowed.
    JsonObject endpoint = ok(call(HttpMethod.POST, "/v1/webhooks", 7, new JsonObject()
      .put("url", "https://localhost:" + receiver.port() + "/forbidden").put("events", new JsonArray().add("task.completed"))));
    noopTask(7);
    receiver.until("the refusal recorded", 30, () -> {
      try {
        JsonArray data = deliveries(7, endpoint.getString("id")).getJsonArray("data");
        return data.size() == 1 && data.getJsonObject(0).getString("last_error") != null;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject d = onlyDelivery(7, endpoint.getString("id"));
    assertTrue(d.getString("last_error").contains("private, loopback or link-local"), d.encode());
    assertNull(d.getValue("last_status_code"));
    assertTrue(receiver.hits("/forbidden").isEmpty(), "the forbidden address was called");
  }

  @Test
  void afterARotationBothSecretsSignDuringTheOverlap() throws Exception {
    JsonObject endpoint = subscribe(8, "/rotated", "task.completed");
    JsonObject rotated = ok(call(HttpMethod.POST, "/v1/webhooks/" + endpoint.getString("id"), 8,
      new JsonObject().put("rotate_secret", true)));
    noopTask(8);
    receiver.until("the delivery", 30, () -> !receiver.hits("/rotated").isEmpty());
    Receiver.Hit hit = receiver.hits("/rotated").get(0);
    assertEquals(2, hit.signature().split(" ").length, hit.signature());
    assertTrue(Receiver.verifies(rotated.getString("secret"), hit));
    assertTrue(Receiver.verifies(endpoint.getString("secret"), hit));
    assertFalse(Receiver.verifies(Signer.newSecret(), hit));
  }

  @Test
  void taskUpdatedSendsEveryChangeAndTheEndingOnce() throws Exception {
    subscribe(9, "/updated", "task.updated");
    String id = noopTask(9);
    // Deliveries are not ordered: wait for all three changes.
    receiver.until("creation, claim and completion as task.updated", 30, () -> receiver.hits("/updated").stream()
      .map(h -> h.json().getJsonObject("data").getString("status")).collect(Collectors.toSet())
      .containsAll(List.of("pending", "in_progress", "completed")));
    List<String> statuses = receiver.hits("/updated").stream().map(h -> h.json().getJsonObject("data").getString("status"))
      .toList();
    assertTrue(statuses.containsAll(List.of("pending", "in_progress", "completed")), statuses.toString());
    assertEquals(1, statuses.stream().filter("completed"::equals).count(), statuses.toString());
    assertTrue(receiver.hits("/updated").stream().allMatch(h -> "task.updated".equals(h.json().getString("type"))
      && id.equals(h.json().getJsonObject("data").getString("id"))));
  }

  /**
   * Between full sweeps (one a second), claims look only at deliveries due in the last few seconds
   * (DeliveryLedger): a delivery due an hour ago whose sender was lost (its lease ran out) is out of
   * their sight, and must still be sent again, by the next sweep, with its webhook-id.
   */
  @Test
  void aDeliveryDueLongAgoWhoseSenderWasLostIsSentAgainWithItsId() throws Exception {
    JsonObject endpoint = subscribe(12, "/lost", "task.completed");
    noopTask(12);
    receiver.until("the first delivery", 30, () -> receiver.hits("/lost").size() == 1);
    receiver.until("the delivery recorded as succeeded", 10, () -> {
      try {
        return "succeeded".equals(onlyDelivery(12, endpoint.getString("id")).getString("status"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    // What a sender killed mid-call leaves, an hour after the delivery was due: leased, the lease over.
    TestDatabase.sql(db, "UPDATE webhook_deliveries SET status = 'pending', delivered_at = NULL, "
      + "lease_owner = 'a-lost-sender', lease_until = now() - interval '1 second', "
      + "next_attempt_at = now() - interval '1 hour' WHERE endpoint_id = '" + endpoint.getString("id") + "'");
    receiver.until("the delivery sent again", 30, () -> receiver.hits("/lost").size() == 2);
    List<Receiver.Hit> hits = receiver.hits("/lost");
    assertEquals(hits.get(0).id(), hits.get(1).id());
    assertEquals(hits.get(0).body(), hits.get(1).body());
    assertTrue(Receiver.verifies(endpoint.getString("secret"), hits.get(1)), hits.get(1).toString());
    receiver.until("the second attempt recorded", 10, () -> {
      try {
        JsonObject d = onlyDelivery(12, endpoint.getString("id"));
        return "succeeded".equals(d.getString("status")) && d.getInteger("attempts") == 2;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void aCancelledTaskIsSent() throws Exception {
    subscribe(10, "/cancelled", "task.cancelled");
    // "held" tasks run nowhere: the cancel always wins.
    HttpResponse<Buffer> created = call(HttpMethod.POST, "/v1/tasks", 10, new JsonObject().put("type", "held"));
    String id = created.bodyAsJsonObject().getString("id");
    ok(call(HttpMethod.POST, "/v1/tasks/" + id + "/cancel", 10, null));
    receiver.until("the cancellation", 30, () -> !receiver.hits("/cancelled").isEmpty());
    JsonObject body = receiver.hits("/cancelled").get(0).json();
    assertEquals("task.cancelled", body.getString("type"));
    assertEquals(id, body.getJsonObject("data").getString("id"));
    assertEquals("Cancelled by request.", body.getJsonObject("data").getString("failure_reason"));
  }
}
