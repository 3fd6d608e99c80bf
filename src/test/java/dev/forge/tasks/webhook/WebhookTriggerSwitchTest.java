package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The task.updated triggers on tasks run only while an enabled endpoint subscribes to task.updated
 * (V8, V10): switched in the transaction of the endpoint change, whichever node makes it, and still
 * so after a node restarts. Checked by what a receiver gets, and by the triggers' state in the
 * catalog (what makes a task change cheap when nobody subscribes). Endings need no trigger: the
 * statements that end a task write their deliveries (Outbox), whatever the triggers' state.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebhookTriggerSwitchTest {

  private static final String STATE = "SELECT string_agg(tgname || '=' || (tgenabled <> 'D')::text, ',' ORDER BY tgname)"
    + " FROM pg_trigger WHERE tgrelid = 'tasks'::regclass AND tgname LIKE 'tasks_webhook_%'";
  private static final String NONE = "tasks_webhook_created=false,tasks_webhook_updated=false";
  private static final String UPDATED = "tasks_webhook_created=true,tasks_webhook_updated=true";

  private PgConnectOptions db;
  private LiveNode a;
  private LiveNode b;
  private Receiver receiver;

  @BeforeEach
  void start() throws Exception {
    receiver = new Receiver();
    db = TestDatabase.freshDatabase();
    a = node();
    b = node();
  }

  @AfterEach
  void stop() throws Exception {
    LiveNode.stop(a);
    LiveNode.stop(b);
    if (receiver != null) {
      receiver.close();
    }
  }

  private LiveNode node() throws Exception {
    return LiveNode.start(TestNodes.config(db, Map.of("TASKS_TYPES", "noop", "TASKS_JOB_TYPES", "noop",
      "TASKS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")));
  }

  private static JsonObject ok(HttpResponse<Buffer> r) {
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static JsonObject call(LiveNode node, HttpMethod method, String uri, JsonObject body) throws Exception {
    var request = node.http.request(method, uri);
    return ok(await(body == null ? request.send()
      : request.putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer())));
  }

  private static JsonArray events(String... events) {
    return new JsonArray(List.of((Object[]) events));
  }

  private String state() {
    return TestDatabase.inRolledBackTransaction(db, STATE);
  }

  private List<String> typesReceived(String path, String task) {
    return receiver.hits(path).stream().filter(h -> task.equals(h.json().getJsonObject("data").getString("id")))
      .map(h -> h.json().getString("type") + ":" + h.json().getJsonObject("data").getString("status")).sorted().toList();
  }

  private int outboxRows() {
    return Integer.parseInt(TestDatabase.inRolledBackTransaction(db, "SELECT count(*) FROM webhook_deliveries"));
  }

  @Test
  void theTriggersFollowTheEndpointsAcrossNodesAndRestarts() throws Exception {
    assertEquals(NONE, state());
    WebhookNode.completedNoopTask(b);
    assertEquals(0, outboxRows());

    // Subscribed to task.updated on node a: node b's next task sends all three changes at once.
    String id = call(a, HttpMethod.POST, "/v1/webhooks", new JsonObject().put("url", receiver.url("/hook"))
      .put("events", events("task.updated"))).getString("id");
    assertEquals(UPDATED, state());
    String updated = WebhookNode.completedNoopTask(b);
    receiver.until("three task.updated", 30, () -> typesReceived("/hook", updated).size() == 3);
    assertEquals(List.of("task.updated:completed", "task.updated:in_progress", "task.updated:pending"),
      typesReceived("/hook", updated));

    // Changed on node b to task.completed only: no trigger, one delivery per task, from either node.
    call(b, HttpMethod.POST, "/v1/webhooks/" + id, new JsonObject().put("events", events("task.completed")));
    assertEquals(NONE, state());
    String completed = WebhookNode.completedNoopTask(a);
    receiver.until("task.completed", 30, () -> !typesReceived("/hook", completed).isEmpty());

    // Disabled: nothing runs, nothing is written.
    call(a, HttpMethod.POST, "/v1/webhooks/" + id, new JsonObject().put("disabled", true));
    assertEquals(NONE, state());
    int rows = outboxRows();
    WebhookNode.completedNoopTask(b);
    assertEquals(rows, outboxRows());

    // Enabled again, then node a restarts: the state is the database's, not a node's.
    call(b, HttpMethod.POST, "/v1/webhooks/" + id, new JsonObject().put("disabled", false));
    LiveNode.stop(a);
    a = node();
    assertEquals(NONE, state());
    String afterRestart = WebhookNode.completedNoopTask(a);
    receiver.until("task.completed after the restart", 30, () -> !typesReceived("/hook", afterRestart).isEmpty());
    assertEquals(List.of("task.completed:completed"), typesReceived("/hook", afterRestart));

    // Deleted: back to nothing.
    call(a, HttpMethod.DELETE, "/v1/webhooks/" + id, null);
    assertEquals(NONE, state());
    WebhookNode.completedNoopTask(b);
    assertEquals(0, outboxRows());
  }

  @Test
  void anEndpointChangeThatRollsBackLeavesTheTriggersAsTheyWere() throws Exception {
    call(a, HttpMethod.POST, "/v1/webhooks", new JsonObject().put("url", receiver.url("/hook"))
      .put("events", events("task.updated")));
    assertEquals(UPDATED, state());
    // Inside the transaction the switch has happened; rolled back, it has not.
    assertEquals(NONE, TestDatabase.inRolledBackTransaction(db,
      "UPDATE webhook_endpoints SET events = ARRAY['task.failed']", STATE));
    assertEquals(UPDATED, state());
    // A second endpoint's deletion leaves the first one's triggers on.
    String second = call(b, HttpMethod.POST, "/v1/webhooks", new JsonObject().put("url", receiver.url("/other"))
      .put("events", events("task.updated"))).getString("id");
    assertEquals(UPDATED, state());
    call(a, HttpMethod.DELETE, "/v1/webhooks/" + second, null);
    assertEquals(UPDATED, state());
  }
}
