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

/** An endpoint that fails for the whole retry window is disabled, says why, and gets nothing more. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WebhookExpiryTest {

  private static WebhookNode node;

  @BeforeAll
  static void start() throws Exception {
    node = WebhookNode.start(Map.of("TASKS_WEBHOOK_RETRY_FOR_MS", "1500", "TASKS_WEBHOOK_RETRY_BASE_MS", "100"));
  }

  @AfterAll
  static void stop() throws Exception {
    WebhookNode.stop(node);
  }

  @Test
  void anEndpointFailingForTheWholeWindowIsDisabledWithAReason() throws Exception {
    node.receiver.on("/down", n -> 503);
    String id = node.post("/v1/webhooks", new JsonObject().put("url", node.receiver.url("/down"))
      .put("events", new JsonArray().add("task.completed"))).getString("id");
    node.post("/v1/tasks", new JsonObject().put("type", "noop"));
    node.receiver.until("the endpoint disabled", 60, () -> {
      try {
        return "disabled".equals(node.get("/v1/webhooks/" + id).getString("status"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject endpoint = node.get("/v1/webhooks/" + id);
    assertTrue(endpoint.getString("disabled_reason").startsWith("Every delivery failed for 1 s"), endpoint.encode());
    assertTrue(endpoint.getString("disabled_reason").contains("HTTP 503"), endpoint.encode());
    JsonObject delivery = node.get("/v1/webhooks/" + id + "/deliveries").getJsonArray("data").getJsonObject(0);
    assertEquals("failed", delivery.getString("status"), delivery.encode());
    assertTrue(delivery.getInteger("attempts") >= 2, delivery.encode());

    // A disabled endpoint gets no new deliveries, and a retry by request is refused.
    int calls = node.receiver.hits("/down").size();
    node.post("/v1/tasks", new JsonObject().put("type", "noop"));
    await(node.live.node.vertx().timer(1000));
    assertEquals(calls, node.receiver.hits("/down").size());
    assertEquals(1, node.get("/v1/webhooks/" + id + "/deliveries").getJsonArray("data").size());
    HttpResponse<Buffer> retry = await(node.live.http.post("/v1/webhooks/" + id + "/deliveries/" + delivery.getString("id")
      + "/retry").send());
    assertEquals(409, retry.statusCode(), retry.bodyAsString());
    assertEquals("webhook_disabled", retry.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }
}
