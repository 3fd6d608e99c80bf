package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
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

  private static LiveNode live;
  private static Receiver receiver;

  @BeforeAll
  static void start() throws Exception {
    receiver = new Receiver();
    live = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_TYPES", "noop", "TASKS_JOB_TYPES", "noop", "TASKS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1",
      "TASKS_WEBHOOK_RETRY_FOR_MS", "1500", "TASKS_WEBHOOK_RETRY_BASE_MS", "100")));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
    if (receiver != null) {
      receiver.close();
    }
  }

  private static JsonObject post(String uri, JsonObject body) throws Exception {
    HttpResponse<Buffer> r = await(live.http.post(uri).putHeader("Content-Type", "application/json")
      .sendBuffer(body.toBuffer()));
    assertTrue(r.statusCode() == 200 || r.statusCode() == 202, r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static JsonObject get(String uri) throws Exception {
    return await(live.http.get(uri).send()).bodyAsJsonObject();
  }

  @Test
  void anEndpointFailingForTheWholeWindowIsDisabledWithAReason() throws Exception {
    receiver.on("/down", n -> 503);
    String id = post("/v1/webhooks", new JsonObject().put("url", receiver.url("/down"))
      .put("events", new JsonArray().add("task.completed"))).getString("id");
    post("/v1/tasks", new JsonObject().put("type", "noop"));
    receiver.until("the endpoint disabled", 60, () -> {
      try {
        return "disabled".equals(get("/v1/webhooks/" + id).getString("status"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject endpoint = get("/v1/webhooks/" + id);
    assertTrue(endpoint.getString("disabled_reason").startsWith("Every delivery failed for 1 s"), endpoint.encode());
    assertTrue(endpoint.getString("disabled_reason").contains("HTTP 503"), endpoint.encode());
    JsonObject delivery = get("/v1/webhooks/" + id + "/deliveries").getJsonArray("data").getJsonObject(0);
    assertEquals("failed", delivery.getString("status"), delivery.encode());
    assertTrue(delivery.getInteger("attempts") >= 2, delivery.encode());

    // A disabled endpoint gets no new deliveries, and a retry by request is refused.
    int calls = receiver.hits("/down").size();
    post("/v1/tasks", new JsonObject().put("type", "noop"));
    await(live.node.vertx().timer(1000));
    assertEquals(calls, receiver.hits("/down").size());
    assertEquals(1, get("/v1/webhooks/" + id + "/deliveries").getJsonArray("data").size());
    HttpResponse<Buffer> retry = await(live.http.post("/v1/webhooks/" + id + "/deliveries/" + delivery.getString("id")
      + "/retry").send());
    assertEquals(409, retry.statusCode(), retry.bodyAsString());
    assertEquals("webhook_disabled", retry.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }
}
