package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.OpenApiContract;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every route of the files and vector stores, once, through a client whose every exchange is
 * checked against the OpenAPI document: the document describes what the server really answers.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FilesContractTest {

  static final String BEES = """
      Honey bees survive the winter by forming a tight cluster inside the hive. The workers shiver their flight
      muscles to make heat, and the cluster moves slowly across the combs to reach the stored honey.

      Tides are caused by the gravity of the moon and the sun pulling on the oceans of the earth.
      """;
  static LiveNode node;
  static WebClient http;

  @BeforeAll
  static void start() throws Exception {
    node = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of()));
    http = OpenApiContract.validating(WebClient.create(node.node.vertx(),
      new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.config.httpPort())));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(node);
  }

  private static JsonObject ok(HttpResponse<Buffer> r) {
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static JsonObject json(String method, String uri, JsonObject body) throws Exception {
    return ok(LiveNode.await(http.request(HttpMethod.valueOf(method), uri)
      .putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer())));
  }

  private static JsonObject get(String uri) throws Exception {
    return ok(LiveNode.await(http.get(uri).send()));
  }

  private static JsonObject untilDone(String taskId) throws Exception {
    JsonObject task = get("/v1/tasks/" + taskId);
    for (int i = 0; i < 60 && !Set.of("completed", "failed", "cancelled").contains(task.getString("status")); i++) {
      task = get("/v1/tasks/" + taskId + "?wait=5");
    }
    return task;
  }

  @Test
  void everyFilesAndVectorStoreRouteAnswersAsTheDocumentSays() throws Exception {
    JsonObject file = ok(LiveNode.await(http.post("/v1/files").sendMultipartForm(MultipartForm.create()
      .attribute("purpose", "general").textFileUpload("file", "bees.txt", Buffer.buffer(BEES), "text/plain"))));
    String id = file.getString("id");
    assertEquals("upload-" + id, file.getString("task_id"));
    assertEquals("completed", untilDone("upload-" + id).getString("status"));
    assertEquals("processed", get("/v1/files/" + id).getString("status"));
    assertFalse(get("/v1/files?limit=10").getJsonArray("data").isEmpty());
    JsonObject document = get("/v1/files/" + id + "/content");
    assertFalse(document.getJsonObject("content").getJsonArray("segments").isEmpty());
    json("POST", "/v1/files/" + id + "/content", new JsonObject().put("title", "Bees").put("notes", "ignored"));

    JsonObject store = json("POST", "/v1/vector_stores", new JsonObject().put("name", "bees").put("file_ids", new JsonArray().add(id)));
    String storeId = store.getString("id");
    assertEquals("completed", untilDone("create-" + storeId).getString("status"));
    get("/v1/vector_stores/" + storeId);
    get("/v1/vector_stores?limit=5");
    get("/v1/vector_stores/" + storeId + "/files");
    JsonObject results = json("POST", "/v1/vector_stores/" + storeId + "/search",
      new JsonObject().put("query", "how do insects stay warm in the cold season").put("top_k", 3));
    assertTrue(results.getJsonArray("data").getJsonObject(0).getDouble("score") > 0, results.encode());
    get("/v1/vector_stores/" + storeId + "/summary?max_tokens=100");
    json("POST", "/v1/vector_stores/" + storeId, new JsonObject().put("name", "bees and more"));
    assertEquals(404, LiveNode.await(http.get("/v1/files/file_nowhere").send()).statusCode());
    assertEquals(404, LiveNode.await(http.get("/v1/vector_stores/vs_nowhere").send()).statusCode());
    ok(LiveNode.await(http.delete("/v1/vector_stores/" + storeId).send()));
    ok(LiveNode.await(http.delete("/v1/files/" + id).send()));
  }
}
