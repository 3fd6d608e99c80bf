package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node's cache never shows a state older than one its store acknowledged: every GET right
 * after an acknowledged report, cancel or delete sees it, and a task deleted by retention is gone
 * from the cache too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CacheFreshnessTest {

  static PgConnectOptions db;
  static LiveNode live;
  static TasksNode node;
  static WebClient http;

  @BeforeAll
  static void start() throws Exception {
    // Completed tasks are kept 1 s, with a retention pass every 200 ms. The cache never expires
    // entries (a node alone), so only the store's own notices keep it true.
    db = TestDatabase.freshDatabase();
    TasksConfig config = TestNodes.config(db, Map.of("TASKS_TYPES", "held,kept",
      "TASKS_JOB_TYPES", "", "TASKS_RETENTION_COMPLETED_S", "1", "TASKS_RETENTION_INTERVAL_MS", "200"));
    assertEquals(TasksConfig.NO_EXPIRY, config.cacheTtlMs());
    live = LiveNode.start(config);
    node = live.node;
    http = live.http;
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  private static JsonObject get(String id) throws Exception {
    HttpResponse<Buffer> r = await(http.get("/v1/tasks/" + id).send());
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  @Test
  void everyAcknowledgedChangeIsVisibleToTheNextGet() throws Exception {
    var bus = node.vertx().eventBus();
    await(bus.request(Addresses.CREATE, new JsonObject().put("type", "held").put("id", "fresh-1")));
    assertEquals("pending", get("fresh-1").getString("status")); // now cached
    JsonObject job = await(bus.<JsonObject>request(Addresses.JOB_CLAIM, new JsonObject()
      .put("types", new JsonArray().add("held")).put("limit", 1).put("worker", "test"))).body()
      .getJsonArray("jobs").getJsonObject(0);
    assertEquals("in_progress", get("fresh-1").getString("status"));
    for (int step = 1; step <= 200; step++) {
      await(bus.request(Addresses.JOB_PROGRESS, new JsonObject().put("id", "fresh-1")
        .put("attempt", job.getInteger("attempt")).put("progress", step / 400.0)
        .put("data", new JsonObject().put("step", step))));
      JsonObject seen = get("fresh-1");
      assertEquals(step, seen.getJsonObject("data").getInteger("step"), seen.encode());
      assertEquals(step / 400.0, seen.getDouble("progress"));
    }
    await(bus.request(Addresses.CANCEL, new JsonObject().put("id", "fresh-1")));
    assertEquals("cancelled", get("fresh-1").getString("status"));
    await(bus.request(Addresses.DELETE, new JsonObject().put("id", "fresh-1")));
    assertEquals(404, await(http.get("/v1/tasks/fresh-1").send()).statusCode());
    // A new task with the deleted one's id is a new task, not the cached tombstone.
    await(bus.request(Addresses.CREATE, new JsonObject().put("type", "held").put("id", "fresh-1")));
    assertEquals("pending", get("fresh-1").getString("status"));
  }

  @Test
  void aTaskDeletedByRetentionLeavesTheCacheAndIsAnnounced() throws Exception {
    var bus = node.vertx().eventBus();
    List<JsonObject> deletions = new CopyOnWriteArrayList<>();
    Promise<Void> deleted = Promise.promise();
    await(bus.<JsonObject>consumer(Addresses.UPDATED, m -> {
      if ("true".equals(m.headers().get(Addresses.HEADER_DELETED)) && "retained-1".equals(m.body().getString("id"))) {
        deletions.add(m.body());
        deleted.tryComplete();
      }
    }).completion());
    await(bus.request(Addresses.CREATE, new JsonObject().put("type", "kept").put("id", "retained-1")));
    JsonObject job = await(bus.<JsonObject>request(Addresses.JOB_CLAIM, new JsonObject()
      .put("types", new JsonArray().add("kept")).put("limit", 1).put("worker", "test"))).body()
      .getJsonArray("jobs").getJsonObject(0);
    await(bus.request(Addresses.JOB_COMPLETE, new JsonObject().put("id", "retained-1")
      .put("attempt", job.getInteger("attempt"))));
    assertEquals("completed", get("retained-1").getString("status")); // cached, with no expiry
    // Kept 1 s, then deleted by the next retention pass: the store forgets the cached task before it publishes.
    await(deleted.future(), 15);
    int status = await(http.get("/v1/tasks/retained-1").send()).statusCode();
    assertEquals(404, status, "retention deleted the row; the cache must not keep serving it");
    assertEquals(1, deletions.size(), "one tasks.updated deletion, with the last Trace");
    assertEquals("completed", deletions.get(0).getString("status"));
  }

  @Test
  void anUnclusteredNodeSharingItsDatabaseStillSeesTheOthersChanges() throws Exception {
    // A misconfiguration (two nodes on one database, not clustered): the first node's cache cannot
    // hear of the second's changes, but it notices the other node and re-reads within seconds.
    LiveNode other = LiveNode.start(TestNodes.config(db, Map.of("TASKS_TYPES", "held,kept", "TASKS_JOB_TYPES", "")));
    try {
      await(node.vertx().eventBus().request(Addresses.CREATE, new JsonObject().put("type", "held").put("id", "shared-1")));
      assertEquals("pending", get("shared-1").getString("status")); // cached on the first node
      assertEquals(200, await(other.http.post("/v1/tasks/shared-1/cancel").send()).statusCode());
      // No event reaches the first node: it re-reads once its periodic check (5 s) has dropped its
      // cache. Its clients wait as clients do, with long polls, and never longer than 20 s.
      String status = Polls.untilStatus(http, live.port(), "shared-1", 20, "cancelled").getString("status");
      assertEquals("cancelled", status, "the first node kept serving its cached state");
    } finally {
      LiveNode.stop(other);
    }
  }
}
