package dev.forge.tasks.file;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.AiohttpForm;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Files are tenant-scoped like tasks: another tenant's file is 404 on every route, and ids are per tenant. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FilesTenantsTest {

  static final String KEY_A = "sk-alpha-0123456789";
  static final String KEY_B = "sk-beta-9876543210";
  static LiveNode live;

  @BeforeAll
  static void start() throws Exception {
    live = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(),
      Map.of("TASKS_API_KEYS", "alpha=" + KEY_A + ",beta=" + KEY_B)));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  static HttpResponse<Buffer> upload(String key, String id) throws Exception {
    AiohttpForm form = new AiohttpForm().file("file", "t.txt", "text/plain", Buffer.buffer("Bees of " + key + "."))
      .field("id", id);
    return await(live.http.post("/v1/files").putHeader("Content-Type", form.contentType())
      .putHeader("Authorization", "Bearer " + key).sendBuffer(form.body()));
  }

  static HttpResponse<Buffer> call(HttpMethod method, String path, String key) throws Exception {
    return await(live.http.request(method, path).putHeader("Authorization", "Bearer " + key)
      .sendJsonObject(new JsonObject().put("title", "stolen")));
  }

  @Test
  void anotherTenantsFileIsNotFoundEverywhere() throws Exception {
    assertEquals(200, upload(KEY_A, "shared-id").statusCode());
    assertEquals(401, await(live.http.get("/v1/files/shared-id").send()).statusCode());
    for (String[] route : new String[][] {{"GET", "/v1/files/shared-id"}, {"GET", "/v1/files/shared-id/content"},
      {"POST", "/v1/files/shared-id/content"}, {"DELETE", "/v1/files/shared-id"}}) {
      HttpResponse<Buffer> r = call(HttpMethod.valueOf(route[0]), route[1], KEY_B);
      assertEquals(404, r.statusCode(), route[0] + " " + route[1]);
      assertEquals("file_not_found", r.bodyAsJsonObject().getJsonObject("error").getString("code"));
    }
    assertEquals(404, call(HttpMethod.GET, "/v1/tasks/upload-shared-id", KEY_B).statusCode());
    assertTrue(call(HttpMethod.GET, "/v1/files", KEY_B).bodyAsJsonObject().getJsonArray("data").isEmpty());
    // The same id is free in the other tenant, with its own task.
    assertEquals(200, upload(KEY_B, "shared-id").statusCode());
    for (String key : new String[] {KEY_A, KEY_B}) {
      JsonObject task = await(live.http.get("/v1/tasks/upload-shared-id?wait=20").putHeader("Authorization", "Bearer " + key)
        .send()).bodyAsJsonObject();
      assertTrue(task.getString("status").matches("pending|in_progress|completed"), task.encode());
    }
    assertEquals(200, call(HttpMethod.GET, "/v1/files/shared-id", KEY_A).statusCode());
    assertEquals(200, call(HttpMethod.DELETE, "/v1/files/shared-id", KEY_B).statusCode());
    assertEquals(200, call(HttpMethod.GET, "/v1/files/shared-id", KEY_A).statusCode(), "deleting B's file left A's");
    assertEquals(1, call(HttpMethod.GET, "/v1/files", KEY_A).bodyAsJsonObject().getJsonArray("data").size());
  }
}
