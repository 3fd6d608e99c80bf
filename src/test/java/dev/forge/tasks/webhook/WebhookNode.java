package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.HashMap;
import java.util.Map;

/**
 * A node on a fresh database running {@code noop} tasks, whose webhooks may call the tests'
 * {@link Receiver} on loopback, with that receiver and the JSON calls the webhook tests make.
 */
final class WebhookNode {

  final LiveNode live;
  final Receiver receiver;

  private WebhookNode(LiveNode live, Receiver receiver) {
    this.live = live;
    this.receiver = receiver;
  }

  /** Starts the receiver and the node, with {@code settings} (environment names) on top of the defaults above. */
  static WebhookNode start(Map<String, String> settings) throws Exception {
    Receiver receiver = new Receiver();
    Map<String, String> all = new HashMap<>(Map.of(
      "TASKS_TYPES", "noop", "TASKS_JOB_TYPES", "noop", "TASKS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"));
    all.putAll(settings);
    return new WebhookNode(LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), all)), receiver);
  }

  /** Stops the node, then the receiver; null (a start that failed) is nothing to stop. */
  static void stop(WebhookNode node) throws Exception {
    if (node != null) {
      LiveNode.stop(node.live);
      node.receiver.close();
    }
  }

  /** POSTs {@code body}; the reply, which must be 200 or 202. */
  JsonObject post(String uri, JsonObject body) throws Exception {
    HttpResponse<Buffer> r = await(live.http.post(uri).putHeader("Content-Type", "application/json")
      .sendBuffer(body.toBuffer()));
    assertTrue(r.statusCode() == 200 || r.statusCode() == 202, r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  JsonObject get(String uri) throws Exception {
    return await(live.http.get(uri).send()).bodyAsJsonObject();
  }

  /** A noop task created on this node, once it completed; its id. */
  String completedNoopTask() throws Exception {
    return completedNoopTask(live);
  }

  /** A noop task created on {@code node} (which runs noop jobs), once it completed; its id. */
  static String completedNoopTask(LiveNode node) throws Exception {
    HttpResponse<Buffer> created = await(node.http.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "noop").toBuffer()));
    assertEquals(202, created.statusCode(), created.bodyAsString());
    String id = created.bodyAsJsonObject().getString("id");
    for (int i = 0; i < 1500; i++) {
      HttpResponse<Buffer> got = await(node.http.get("/v1/tasks/" + id).send());
      assertEquals(200, got.statusCode(), got.bodyAsString());
      if ("completed".equals(got.bodyAsJsonObject().getString("status"))) {
        return id;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("task " + id + " did not complete");
  }
}
