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
 * A dead receiver (it accepts the connection and never answers) does not slow the status path:
 * creates, completions and reads take about as long with every sender slot stuck on it as with no
 * webhook at all. Compared as a ratio, never as absolute times.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebhookStatusPathTest {

  private static final int TASKS = 40;
  private static final int READS = 200;
  private static WebhookNode node;

  @BeforeAll
  static void start() throws Exception {
    node = WebhookNode.start(Map.of("TASKS_WEBHOOK_TIMEOUT_MS", "30000"));
  }

  @AfterAll
  static void stop() throws Exception {
    WebhookNode.stop(node);
  }

  /** Nanoseconds for {@link #TASKS} noop tasks created and awaited until completed, then {@link #READS} reads. */
  private static long statusPath() throws Exception {
    long start = System.nanoTime();
    String last = null;
    for (int i = 0; i < TASKS; i++) {
      HttpResponse<Buffer> created = await(node.live.http.post("/v1/tasks").putHeader("Content-Type", "application/json")
        .sendBuffer(new JsonObject().put("type", "noop").toBuffer()));
      assertEquals(202, created.statusCode(), created.bodyAsString());
      last = created.bodyAsJsonObject().getString("id");
      JsonObject state = created.bodyAsJsonObject();
      for (int polls = 0; !state.getString("status").equals("completed"); polls++) {
        assertTrue(polls < 6, "task " + last + " did not complete within six 10 s long polls: " + state);
        state = await(node.live.http.get("/v1/tasks/" + last + "?wait=10").send()).bodyAsJsonObject();
      }
    }
    for (int i = 0; i < READS; i++) {
      assertEquals(200, await(node.live.http.get("/v1/tasks/" + last).send()).statusCode());
    }
    return System.nanoTime() - start;
  }

  @Test
  void aDeadReceiverDoesNotSlowCreatesCompletionsOrReads() throws Exception {
    statusPath(); // warm-up
    long without = Math.min(statusPath(), statusPath());

    node.receiver.on("/dead", n -> Receiver.HANG);
    await(node.live.http.post("/v1/webhooks").putHeader("Content-Type", "application/json").sendBuffer(new JsonObject()
      .put("url", node.receiver.url("/dead")).put("events", new JsonArray().add("task.updated")).toBuffer()));
    // Fill the sender's connections to the receiver (8) with calls that hang, and its slots with more behind them.
    statusPath();
    node.receiver.until("the sender's slots stuck on the dead receiver", 60, () -> node.receiver.held.size() >= 8);
    long with = Math.min(statusPath(), statusPath());

    double ratio = (double) with / without;
    System.out.printf("status path with a dead receiver: %.2fx the time without webhooks (%d vs %d ms)%n", ratio,
      with / 1_000_000, without / 1_000_000);
    assertTrue(ratio < 2.0, "the status path took " + ratio + "x as long with a dead receiver");
  }
}
