package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** API keys and tenants through the real server: another tenant's task is a plain 404, everywhere. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TenantsTest {

  static final String KEY_A = "key-for-alpha-0123456789";
  static final String KEY_B = "key-for-beta-9876543210";
  static LiveNode live;
  static TasksNode node;
  static WebClient http;

  @BeforeAll
  static void start() throws Exception {
    TasksConfig config = TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_API_KEYS", "alpha=" + KEY_A + ",beta=" + KEY_B, "TASKS_TYPES", "held", "TASKS_JOB_TYPES", ""));
    live = LiveNode.start(config);
    node = live.node;
    http = live.http;
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String uri, String key, JsonObject body) throws Exception {
    var request = http.request(method, uri);
    if (key != null) {
      request.putHeader("Authorization", "Bearer " + key);
    }
    if (body != null) {
      return await(request.putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer()));
    }
    return await(request.send());
  }

  private static void assertNotFound(HttpResponse<Buffer> r) {
    assertEquals(404, r.statusCode(), r.bodyAsString());
    assertEquals("task_not_found", r.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }

  @Test
  void withoutAValidKeyEveryV1RequestIs401() throws Exception {
    for (String key : new String[] {null, "wrong", KEY_A + "x", ""}) {
      HttpResponse<Buffer> r = call(HttpMethod.GET, "/v1/tasks", key, null);
      assertEquals(401, r.statusCode());
      JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
      assertEquals("invalid_api_key", error.getString("code"));
      assertEquals("authentication_error", error.getString("type"));
      assertFalse(r.bodyAsString().contains(KEY_A));
    }
    assertEquals(200, call(HttpMethod.GET, "/health", null, null).statusCode());
  }

  @Test
  void tenantsShareIdsButNeverSeeEachOther() throws Exception {
    JsonObject body = new JsonObject().put("type", "held").put("id", "upload-shared-1");
    assertEquals(202, call(HttpMethod.POST, "/v1/tasks", KEY_A, body).statusCode());
    // The same client-chosen id in another tenant is another task, not a conflict or a repeat.
    assertEquals(202, call(HttpMethod.POST, "/v1/tasks", KEY_B, body).statusCode());
    assertEquals(202, call(HttpMethod.POST, "/v1/tasks", KEY_A,
      new JsonObject().put("type", "held").put("id", "alpha-only")).statusCode());

    assertNotFound(call(HttpMethod.GET, "/v1/tasks/alpha-only", KEY_B, null));
    assertNotFound(call(HttpMethod.GET, "/v1/tasks/alpha-only?wait=1", KEY_B, null));
    assertNotFound(call(HttpMethod.GET, "/v1/tasks/alpha-only/events", KEY_B, null));
    assertNotFound(call(HttpMethod.POST, "/v1/tasks/alpha-only/cancel", KEY_B, null));
    assertNotFound(call(HttpMethod.DELETE, "/v1/tasks/alpha-only", KEY_B, null));
    JsonObject listB = call(HttpMethod.GET, "/v1/tasks?limit=100", KEY_B, null).bodyAsJsonObject();
    assertEquals(1, listB.getJsonArray("data").size(), listB.encode());
    assertEquals("upload-shared-1", listB.getJsonArray("data").getJsonObject(0).getString("id"));
    // A cursor naming the other tenant's task is as unknown as any other id.
    assertEquals(400, call(HttpMethod.GET, "/v1/tasks?after=alpha-only", KEY_B, null).statusCode());

    // Cancelling beta's copy leaves alpha's copy alone.
    assertEquals("cancelled", call(HttpMethod.POST, "/v1/tasks/upload-shared-1/cancel", KEY_B, null)
      .bodyAsJsonObject().getString("status"));
    assertEquals("pending", call(HttpMethod.GET, "/v1/tasks/upload-shared-1", KEY_A, null)
      .bodyAsJsonObject().getString("status"));
    assertEquals("pending", call(HttpMethod.GET, "/v1/tasks/alpha-only", KEY_A, null)
      .bodyAsJsonObject().getString("status"));
    JsonObject listA = call(HttpMethod.GET, "/v1/tasks?limit=100", KEY_A, null).bodyAsJsonObject();
    assertEquals(2, listA.getJsonArray("data").size());
    assertTrue(listA.getJsonArray("data").stream().allMatch(t -> ((JsonObject) t).getString("status").equals("pending")));
  }
}
