package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node's cache never shows a state older than one its store acknowledged: every GET right
 * after an acknowledged report, cancel or delete sees it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CacheFreshnessTest {

  static LiveNode live;
  static TasksNode node;
  static WebClient http;

  @BeforeAll
  static void start() throws Exception {
    TasksConfig config = TestNodes.config(TestDatabase.freshDatabase(), Map.of("TASKS_TYPES", "held",
      "TASKS_JOB_TYPES", ""));
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
}
