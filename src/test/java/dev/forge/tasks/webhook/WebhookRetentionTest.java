package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ended deliveries are deleted once older than {@code TASKS_WEBHOOK_RETENTION_S} (here 1 s, checked
 * every 200 ms); a delivery still being retried is kept however old, so that it is still sent.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WebhookRetentionTest {

  private static WebhookNode node;

  @BeforeAll
  static void start() throws Exception {
    node = WebhookNode.start(Map.of(
      "TASKS_WEBHOOK_RETRY_BASE_MS", "100", "TASKS_WEBHOOK_RETENTION_S", "1", "TASKS_RETENTION_INTERVAL_MS", "200"));
  }

  @AfterAll
  static void stop() throws Exception {
    WebhookNode.stop(node);
  }

  private static JsonArray deliveries(String endpoint) throws Exception {
    HttpResponse<Buffer> r = await(node.live.http.get("/v1/webhooks/" + endpoint + "/deliveries").send());
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getJsonArray("data");
  }

  private static String subscribe(String path) throws Exception {
    return node.post("/v1/webhooks", new JsonObject().put("url", node.receiver.url(path))
      .put("events", new JsonArray().add("task.completed"))).getString("id");
  }

  @Test
  void endedDeliveriesAreDeletedAfterTheRetentionAndRetriedOnesAreKept() throws Exception {
    node.receiver.on("/failing", n -> 500);
    String failing = subscribe("/failing");
    String first = node.post("/v1/tasks", new JsonObject().put("type", "noop")).getString("id");
    node.receiver.until("a first failed attempt", 30, () -> !node.receiver.hits("/failing").isEmpty());
    // A newer task, sent to both endpoints: to the one that answers, its delivery succeeds, then
    // goes once it is older than 1 s.
    String ok = subscribe("/ok");
    node.post("/v1/tasks", new JsonObject().put("type", "noop"));
    node.receiver.until("the delivery to /ok", 30, () -> !node.receiver.hits("/ok").isEmpty());
    node.receiver.until("the delivery to /ok deleted", 30, () -> {
      try {
        return deliveries(ok).isEmpty();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    // The failing endpoint's deliveries (the first task's is older still) are kept: pending, retried.
    JsonArray kept = deliveries(failing);
    assertEquals(2, kept.size(), kept.encode());
    assertTrue(kept.stream().allMatch(d -> "pending".equals(((JsonObject) d).getString("status"))), kept.encode());
    assertTrue(kept.stream().anyMatch(d -> first.equals(((JsonObject) d).getString("task_id"))), kept.encode());
    int calls = node.receiver.hits("/failing").size();
    node.receiver.until("more attempts of the kept deliveries", 30, () -> node.receiver.hits("/failing").size() > calls);
  }
}
