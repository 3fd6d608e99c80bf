package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every way a task ends writes its deliveries in the statement that ends it (Outbox): a job's
 * completion and its last failure, a cancel, and the rescue of a task whose worker was lost on its
 * last attempt; a failure that will be retried writes none; group-committed completions one each.
 * "held" and "batch" tasks run nowhere, so the test claims them over the event bus and reports as a
 * worker would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebhookEndingsTest {

  private static WebhookNode node;

  @BeforeAll
  static void start() throws Exception {
    node = WebhookNode.start(Map.of("TASKS_TYPES", "noop,held,batch", "TASKS_LEASE_MS", "1000",
      "TASKS_RETRY_BASE_MS", "20"));
  }

  @AfterAll
  static void stop() throws Exception {
    WebhookNode.stop(node);
  }

  private static JsonObject subscribe(String path, List<String> types, String... events) throws Exception {
    JsonObject body = new JsonObject().put("url", node.receiver.url(path)).put("events", new JsonArray(List.of((Object[]) events)));
    return node.post("/v1/webhooks", types == null ? body : body.put("types", new JsonArray(types)));
  }

  private static EventBus bus() {
    return node.live.node.vertx().eventBus();
  }

  private static String heldTask(int maxAttempts) throws Exception {
    return node.post("/v1/tasks", new JsonObject().put("type", "held").put("max_attempts", maxAttempts)).getString("id");
  }

  /** Claims the one pending held task, as a worker would; its job ({@code id}, {@code attempt}, ...). */
  private static JsonObject claim(String id) throws Exception {
    for (int i = 0; i < 500; i++) {
      Message<JsonObject> reply = await(bus().request(Addresses.JOB_CLAIM, new JsonObject()
        .put("types", new JsonArray().add("held")).put("limit", 1).put("worker", "test-worker")));
      JsonArray jobs = reply.body().getJsonArray("jobs");
      if (!jobs.isEmpty()) {
        JsonObject job = jobs.getJsonObject(0);
        assertEquals(id, job.getString("id"), "the only pending held task");
        return job;
      }
      Thread.sleep(10); // a retried task is due after its backoff
    }
    throw new AssertionError("task " + id + " never became claimable");
  }

  private static JsonObject report(JsonObject job) {
    return new JsonObject().put("id", job.getString("id")).put("attempt", job.getInteger("attempt"));
  }

  /** Per task id, the "event:status" of every delivery the receiver got at {@code path}. */
  private static Map<String, List<String>> received(String path) {
    Map<String, List<String>> byTask = new TreeMap<>();
    for (Receiver.Hit hit : node.receiver.hits(path)) {
      JsonObject data = hit.json().getJsonObject("data");
      byTask.computeIfAbsent(data.getString("id"), k -> new ArrayList<>())
        .add(hit.json().getString("type") + ":" + data.getString("status"));
    }
    return byTask;
  }

  private static JsonObject dataOf(String path, String task) {
    return node.receiver.hits(path).stream().map(h -> h.json().getJsonObject("data"))
      .filter(d -> task.equals(d.getString("id"))).findFirst().orElseThrow();
  }

  @Test
  void everyEndingWritesOneDeliveryOfItsEventAndARetryNone() throws Exception {
    JsonObject endpoint = subscribe("/endings", List.of("held"), "task.completed", "task.failed", "task.cancelled");

    String completed = heldTask(3);
    await(bus().request(Addresses.JOB_COMPLETE, report(claim(completed)).put("data", new JsonObject().put("answer", 42))));

    String failed = heldTask(2);
    JsonObject retried = await(bus().<JsonObject>request(Addresses.JOB_FAIL, report(claim(failed))
      .put("reason", "flaky").put("retryable", true))).body();
    assertEquals("pending", retried.getString("status"), "attempts remain: retried, not ended");
    await(bus().request(Addresses.JOB_FAIL, report(claim(failed)).put("reason", "broken for good").put("retryable", false)));

    String cancelled = heldTask(3);
    node.post("/v1/tasks/" + cancelled + "/cancel", new JsonObject());

    // Claimed on its only attempt, never reported on: the rescue fails it once the 1 s lease ends.
    String rescued = heldTask(1);
    claim(rescued);

    node.receiver.until("four endings", 30, () -> received("/endings").size() == 4);
    assertEquals(Map.of(completed, List.of("task.completed:completed"), failed, List.of("task.failed:failed"),
      cancelled, List.of("task.cancelled:cancelled"), rescued, List.of("task.failed:failed")), received("/endings"));
    assertEquals(42, dataOf("/endings", completed).getJsonObject("data").getInteger("answer"));
    assertEquals("broken for good", dataOf("/endings", failed).getString("failure_reason"));
    assertEquals("Cancelled by request.", dataOf("/endings", cancelled).getString("failure_reason"));
    String lost = dataOf("/endings", rescued).getString("failure_reason");
    assertTrue(lost.contains("worker") && lost.contains("lost"), lost);
    for (Receiver.Hit hit : node.receiver.hits("/endings")) {
      assertTrue(Receiver.verifies(endpoint.getString("secret"), hit), hit.toString());
      // The body's data is the task as GET shows it at its ending.
      JsonObject data = hit.json().getJsonObject("data");
      assertEquals(node.get("/v1/tasks/" + data.getString("id")), data);
    }
    // The ledger holds exactly those four, and nothing more arrives (a noop task is not of the types).
    node.completedNoopTask();
    assertEquals(4, node.get("/v1/webhooks/" + endpoint.getString("id") + "/deliveries").getJsonArray("data").size());
    assertEquals(4, node.receiver.hits("/endings").size());
  }

  @Test
  void groupCommittedCompletionsWriteOneDeliveryEach() throws Exception {
    JsonObject endpoint = subscribe("/many", List.of("batch"), "task.completed");
    int n = 100;
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      ids.add(node.post("/v1/tasks", new JsonObject().put("type", "batch")).getString("id"));
    }
    List<JsonObject> jobs = new ArrayList<>();
    while (jobs.size() < n) {
      JsonArray claimed = await(bus().<JsonObject>request(Addresses.JOB_CLAIM, new JsonObject()
        .put("types", new JsonArray().add("batch")).put("limit", n).put("worker", "test-worker"))).body().getJsonArray("jobs");
      claimed.forEach(job -> jobs.add((JsonObject) job));
    }
    // All at once: while one completion statement is in flight the others queue, and leave together.
    List<Future<Message<Object>>> completions = new ArrayList<>();
    for (JsonObject job : jobs) {
      completions.add(bus().request(Addresses.JOB_COMPLETE, report(job)));
    }
    for (Future<Message<Object>> f : completions) {
      await(f);
    }
    node.receiver.until("a delivery per task", 60, () -> received("/many").keySet().containsAll(ids));
    Map<String, List<String>> got = received("/many");
    assertEquals(ids, got.keySet());
    assertTrue(got.values().stream().allMatch(List.of("task.completed:completed")::equals), got.toString());
    JsonArray listed = node.get("/v1/webhooks/" + endpoint.getString("id") + "/deliveries?limit=100").getJsonArray("data");
    assertEquals(n, listed.size());
    String metrics = await(node.live.http.get("/metrics").send()).bodyAsString();
    Matcher largest = Pattern.compile("(?m)^tasks_store_batch_rows_max\\{[^}]*statement=\"complete\"[^}]*} ([0-9.]+)")
      .matcher(metrics);
    assertTrue(largest.find(), "the complete statements are measured");
    assertTrue(Double.parseDouble(largest.group(1)) > 1, "completions were group-committed; the largest statement: "
      + largest.group(1));
  }
}
