package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.OpenApiContract;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.SseClient;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.client.WebClientSession;
import io.vertx.pgclient.PgConnectOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /v1/events} across a two-node cluster (plus a third node with a tiny waiter limit):
 * tickets redeemed on another node, tenant scoping, filters, resume from Postgres on another node,
 * and the per-node bound.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventsClusterTest {

  static final String KEY_ACME = "key-acme-0123456789";
  static final String KEY_GLOBEX = "key-globex-0123456789";
  static LiveNode a;
  static LiveNode b;
  static LiveNode c;

  @BeforeAll
  static void startCluster() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    int[] ports = {TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    a = LiveNode.start(TestNodes.config(db, cluster(ports[0], members, "sleep", Map.of())));
    b = LiveNode.start(TestNodes.config(db, cluster(ports[1], members, "", Map.of())));
    c = LiveNode.start(TestNodes.config(db, cluster(ports[2], members, "",
      Map.of("TASKS_MAX_WAITERS", "2", "TASKS_HTTP_INSTANCES", "1"))));
  }

  private static Map<String, String> cluster(int port, String members, String jobs, Map<String, String> more) {
    Map<String, String> env = new HashMap<>(more);
    env.put("TASKS_CLUSTER", "true");
    env.put("TASKS_CLUSTER_HOST", "127.0.0.1");
    env.put("TASKS_CLUSTER_PORT", Integer.toString(port));
    env.put("TASKS_CLUSTER_MEMBERS", members);
    env.put("TASKS_TYPES", "sleep");
    env.put("TASKS_JOB_TYPES", jobs);
    env.put("TASKS_API_KEYS", "acme=" + KEY_ACME + ",globex=" + KEY_GLOBEX);
    return env;
  }

  @AfterAll
  static void stopCluster() throws Exception {
    LiveNode.stop(c);
    LiveNode.stop(b);
    LiveNode.stop(a);
  }

  /** A client of the node whose every exchange is checked against the OpenAPI document. */
  private static WebClient http(LiveNode node) {
    return OpenApiContract.validating(WebClient.create(node.node.vertx(),
      new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.config.httpPort())));
  }

  private static JsonObject create(LiveNode node, String key, String id, int ms) throws Exception {
    HttpResponse<Buffer> r = LiveNode.await(http(node).post("/v1/tasks").putHeader("Authorization", "Bearer " + key)
      .putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "sleep").put("id", id).put("input", new JsonObject().put("ms", ms)).toBuffer()));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static String ticket(LiveNode node, String key) throws Exception {
    HttpResponse<Buffer> r = LiveNode.await(http(node).post("/v1/events/tickets").putHeader("Authorization", "Bearer " + key).send());
    assertEquals(201, r.statusCode(), r.bodyAsString());
    assertEquals("no-store", r.getHeader("Cache-Control"));
    return r.bodyAsJsonObject().getString("ticket");
  }

  private static SseClient stream(LiveNode node, String uri, Map<String, String> headers) throws Exception {
    return LiveNode.await(SseClient.open(node.node.vertx(), node.config.httpPort(), uri, headers));
  }

  private static boolean is(SseClient.Event e, String id, String status) {
    return e.name().equals("task.updated") && e.data().getString("id").equals(id) && e.data().getString("status").equals(status);
  }

  @Test
  void aStreamOnBFollowsEveryTaskOfItsTenantCreatedAndRunOnA_withATicketIssuedByA() throws Exception {
    String ticket = ticket(a, KEY_ACME);
    try (SseClient sse = stream(b, "/v1/events?ticket=" + ticket, Map.of())) {
      create(a, KEY_GLOBEX, "ev-follow", 50); // the same id in another tenant: never shown here
      create(a, KEY_ACME, "ev-follow", 300);
      sse.until(e -> is(e, "ev-follow", "completed"), 20);
      double progress = 0;
      for (SseClient.Event e : sse.seen) {
        assertEquals("task.updated", e.name());
        assertTrue(e.id().matches("\\d+-[0-9a-z]+-\\d+"), e.id());
        assertEquals(Long.toString(e.data().getLong("updated_at")), e.id().split("-")[0]);
        assertEquals(9, e.data().size(), "a Trace with every key: " + e.data());
        assertTrue(e.data().getDouble("progress") >= progress, "progress went down: " + sse.seen);
        progress = e.data().getDouble("progress");
      }
      assertTrue(sse.seen.size() >= 2, "pending and completed at least: " + sse.seen);
    }
    // The ticket is spent, on every node.
    for (LiveNode node : List.of(a, b)) {
      ExecutionException refused = assertThrows(ExecutionException.class,
        () -> stream(node, "/v1/events?ticket=" + ticket, Map.of()));
      assertTrue(refused.getCause().getMessage().startsWith("401"), refused.getCause().getMessage());
    }
    HttpResponse<Buffer> noKey = LiveNode.await(http(b).get("/v1/events").send());
    assertEquals(401, noKey.statusCode());
    assertEquals("invalid_api_key", noKey.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }

  @Test
  void filtersChooseEventsByTheirNewStatusAndType() throws Exception {
    try (SseClient done = stream(b, "/v1/events?status=completed,failed&type=sleep", bearer(KEY_ACME));
         SseClient otherType = stream(b, "/v1/events?type=document_analysis", bearer(KEY_ACME))) {
      create(a, KEY_ACME, "ev-filter", 150);
      done.until(e -> is(e, "ev-filter", "completed"), 20);
      assertTrue(done.seen.stream().allMatch(e -> e.data().getString("status").equals("completed")
        || e.data().getString("status").equals("failed")), done.seen.toString());
      assertTrue(otherType.drain().isEmpty(), "no sleep task reaches a document_analysis stream");
    }
    HttpResponse<Buffer> bad = LiveNode.await(http(b).get("/v1/events?status=done").putHeader("Authorization", "Bearer " + KEY_ACME).send());
    assertEquals(400, bad.statusCode());
    assertEquals("status", bad.bodyAsJsonObject().getJsonObject("error").getString("param"));
  }

  @Test
  void aClientThatResumesOnAnotherNodeGetsWhatChangedWhileItWasAway() throws Exception {
    String lastId;
    try (SseClient first = stream(a, "/v1/events", bearer(KEY_ACME))) {
      create(a, KEY_ACME, "ev-before", 0);
      lastId = first.until(e -> is(e, "ev-before", "completed"), 20).id();
    }
    create(a, KEY_ACME, "ev-away", 0);
    assertEquals("completed", Polls.untilStatus(authed(a, KEY_ACME), a.config.httpPort(), "ev-away", 20, "completed").getString("status"));

    Map<String, String> resume = new HashMap<>(bearer(KEY_ACME));
    resume.put("Last-Event-ID", lastId);
    try (SseClient resumed = stream(b, "/v1/events", resume);
         SseClient fresh = stream(b, "/v1/events", bearer(KEY_ACME))) {
      SseClient.Event replayed = resumed.until(e -> is(e, "ev-away", "completed"), 20);
      assertNotNull(replayed.id());
      // A stream without Last-Event-ID starts now: it sees a new task, and nothing replayed before it.
      create(a, KEY_ACME, "ev-after", 0);
      fresh.until(e -> is(e, "ev-after", "completed"), 20);
      assertFalse(fresh.seen.stream().anyMatch(e -> e.data().getString("id").equals("ev-away")), fresh.seen.toString());
      resumed.until(e -> is(e, "ev-after", "completed"), 20);
    }
    // The same resume through the query parameter (for a new EventSource, which cannot set the header).
    try (SseClient resumed = stream(b, "/v1/events?last_event_id=" + lastId, bearer(KEY_ACME))) {
      resumed.until(e -> is(e, "ev-away", "completed"), 20);
    }
  }

  @Test
  void aNodeHoldsAtMostMaxWaitersStreamsAndTheyAreTenantScoped() throws Exception {
    try (SseClient one = stream(c, "/v1/events", bearer(KEY_GLOBEX));
         SseClient two = stream(c, "/v1/events", bearer(KEY_ACME))) {
      HttpResponse<Buffer> third = LiveNode.await(http(c).get("/v1/events").putHeader("Authorization", "Bearer " + KEY_ACME).send());
      assertEquals(503, third.statusCode());
      assertEquals("too_many_waiters", third.bodyAsJsonObject().getJsonObject("error").getString("code"));
      create(a, KEY_GLOBEX, "ev-scoped", 0);
      one.until(e -> is(e, "ev-scoped", "completed"), 20);
      create(a, KEY_ACME, "ev-scoped-acme", 0);
      two.until(e -> is(e, "ev-scoped-acme", "completed"), 20);
      assertFalse(two.seen.stream().anyMatch(e -> e.data().getString("id").equals("ev-scoped")), two.seen.toString());
      assertTrue(one.drain().stream().noneMatch(e -> e.data().getString("id").equals("ev-scoped-acme")));
    }
  }

  private static Map<String, String> bearer(String key) {
    return Map.of("Authorization", "Bearer " + key);
  }

  private static WebClient authed(LiveNode node, String key) {
    return WebClientSession.create(http(node)).addHeader("Authorization", "Bearer " + key);
  }
}
