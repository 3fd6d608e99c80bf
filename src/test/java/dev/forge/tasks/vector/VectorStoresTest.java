package dev.forge.tasks.vector;

import static dev.forge.tasks.support.LiveNode.await;
import static io.vertx.core.http.HttpMethod.DELETE;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.POST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import io.vertx.core.http.HttpMethod;

/**
 * Vector stores end to end through HTTP against real Postgres, as forge_cli calls them: files
 * uploaded and processed, a store created from them ({@code create-<id>}), joins and leaves
 * ({@code vectorize-<id>}), searches by meaning, filters, thresholds, summaries, deletes, cancels
 * and tenancy. The corpus is the one of {@link SearchQualityTest}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class VectorStoresTest {

  static LiveNode live;
  static PgConnectOptions db;
  static VectorClient alpha;
  static VectorClient beta;
  /** The corpus uploaded once for tenant alpha: file name to file id. */
  static final Map<String, String> CORPUS = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.freshDatabase();
    live = LiveNode.start(TestNodes.config(db,
      Map.of("TASKS_API_KEYS", "alpha=key-alpha,beta=key-beta")));
    alpha = new VectorClient(live.http, live.config.httpPort(), "key-alpha");
    beta = new VectorClient(live.http, live.config.httpPort(), "key-beta");
    for (String f : SearchQualityTest.FILES) {
      CORPUS.put(f, alpha.upload(f, VectorClient.resource("vectors/corpus/" + f), null).getString("id"));
    }
    for (String id : CORPUS.values()) {
      assertEquals("completed", alpha.until("upload-" + id, 120, "completed", "failed").getString("status"));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  static void assertStoreShape(JsonObject store) {
    for (String key : List.of("id", "object", "name", "created_at", "metadata", "file_ids", "file_counts", "bytes",
      "status", "embedding_model", "task_id")) {
      assertNotNull(store.getValue(key), key + " in " + store.encode());
    }
    assertEquals("vector_store", store.getString("object"));
    JsonObject c = store.getJsonObject("file_counts");
    assertEquals(c.getInteger("total"), c.getInteger("in_progress") + c.getInteger("completed") + c.getInteger("failed")
      + c.getInteger("cancelled"), store.encode());
    assertEquals(c.getInteger("total"), store.getJsonArray("file_ids").size(), store.encode());
    assertEquals("all-MiniLM-L6-v2", store.getString("embedding_model"));
  }

  static JsonObject createStore(VectorClient client, String id, List<String> fileIds) throws Exception {
    JsonObject store = client.ok(POST, "/v1/vector_stores", new JsonObject().put("id", id).put("name", "store " + id)
      .put("file_ids", new JsonArray(fileIds)));
    assertStoreShape(store);
    assertEquals("create-" + id, store.getString("task_id"));
    // The task exists before the reply: the client's first poll comes at once.
    client.ok(GET, "/v1/tasks/create-" + id, null);
    return store;
  }

  static String topFile(JsonObject page) {
    return page.getJsonArray("data").isEmpty() ? null : page.getJsonArray("data").getJsonObject(0).getString("file_id");
  }

  @Test
  void aStoreFromUploadedFilesFindsParaphrasedPassagesFirst() throws Exception {
    createStore(alpha, "vs_corpus", new ArrayList<>(CORPUS.values()));
    JsonObject task = alpha.until("create-vs_corpus", 180, "completed", "failed", "cancelled");
    assertEquals("completed", task.getString("status"), task.encode());
    JsonObject data = task.getJsonObject("data");
    assertEquals("vs_corpus", data.getString("vector_store_id"));
    assertEquals(8, data.getInteger("files_total"));
    assertEquals(8, data.getInteger("files_completed"));
    assertEquals(0, data.getInteger("files_failed"));
    assertTrue(data.getInteger("chunks_embedded") >= 8, data.encode());

    JsonObject store = alpha.ok(GET, "/v1/vector_stores/vs_corpus", null);
    assertStoreShape(store);
    assertEquals("completed", store.getString("status"));
    assertEquals(8, store.getJsonObject("file_counts").getInteger("completed"));

    for (String line : VectorClient.resource("vectors/queries.tsv").split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\t", 2);
      JsonObject page = alpha.search("vs_corpus", parts[1], new JsonObject().put("top_k", 3));
      assertEquals(CORPUS.get(parts[0]), topFile(page), parts[1] + " -> " + page.encode());
    }

    JsonObject page = alpha.search("vs_corpus", "How do insect swarms stay warm through freezing months?",
      new JsonObject().put("top_k", 2));
    assertEquals("vector_store.search_results.page", page.getString("object"));
    assertEquals("How do insect swarms stay warm through freezing months?", page.getString("search_query"));
    assertEquals("vs_corpus", page.getString("vector_store_id"));
    assertEquals(2, page.getInteger("top_k"));
    assertFalse(page.getBoolean("has_more"));
    assertTrue(page.getString("request_id").startsWith("req_"));
    assertEquals(2, page.getJsonArray("data").size());
    JsonObject hit = page.getJsonArray("data").getJsonObject(0);
    assertEquals("bees.txt", hit.getString("filename"));
    assertTrue(hit.getDouble("score") > page.getJsonArray("data").getJsonObject(1).getDouble("score"));
    String text = hit.getJsonArray("content").getJsonObject(0).getString("text");
    assertTrue(text.contains("shiver"), text);
    assertEquals(text, hit.getString("text"));
    assertEquals("vs_corpus", hit.getString("vector_store_id"));
    assertNotNull(hit.getString("id"));
    assertEquals(0, hit.getJsonObject("attributes").getInteger("segment_index"));

    // A threshold above every score leaves nothing; top_k out of range is refused.
    assertTrue(alpha.search("vs_corpus", "bees", new JsonObject().put("score_threshold", 0.99))
      .getJsonArray("data").isEmpty());
    JsonObject bad = alpha.json(400, POST, "/v1/vector_stores/vs_corpus/search",
      new JsonObject().put("query", "bees").put("top_k", 101));
    assertEquals("top_k", bad.getJsonObject("error").getString("param"));
    assertEquals("query", alpha.json(400, POST, "/v1/vector_stores/vs_corpus/search", new JsonObject())
      .getJsonObject("error").getString("param"));

    // Filters match file metadata by equality.
    alpha.ok(POST, "/v1/files/" + CORPUS.get("tides.txt") + "/content",
      new JsonObject().put("metadata", new JsonObject().put("shelf", "sea")));
    JsonObject filtered = alpha.search("vs_corpus", "How do insect swarms stay warm?",
      new JsonObject().put("filters", new JsonObject().put("shelf", "sea")));
    assertFalse(filtered.getJsonArray("data").isEmpty());
    filtered.getJsonArray("data").forEach(h -> assertEquals("tides.txt", ((JsonObject) h).getString("filename")));

    // The document names the stores that hold the file.
    JsonObject doc = alpha.ok(GET, "/v1/files/" + CORPUS.get("bees.txt") + "/content", null);
    assertTrue(doc.getJsonArray("vector_store_ids").contains("vs_corpus"), doc.encode());

    JsonObject summary = alpha.ok(GET, "/v1/vector_stores/vs_corpus/summary?model=qwen-max&max_tokens=200", null);
    assertEquals("vs_corpus", summary.getString("vector_store_id"));
    assertEquals(Searches.SUMMARY_MODEL, summary.getString("model_used"));
    assertFalse(summary.getString("summary_text").isBlank());
    assertTrue(summary.getInteger("token_count") <= 200 + 60, summary.encode());
    assertNotNull(summary.getLong("created_at"));

    JsonObject files = alpha.ok(GET, "/v1/vector_stores/vs_corpus/files", null);
    assertEquals(8, files.getJsonArray("data").size());
    assertEquals("vector_store.file", files.getJsonArray("data").getJsonObject(0).getString("object"));
  }

  @Test
  void joinsStartVectorizeAndLeavesAreSeenAtOnce() throws Exception {
    createStore(alpha, "vs_join", List.of());
    assertEquals("completed", alpha.until("create-vs_join", 60, "completed", "failed").getString("status"));
    JsonObject joined = alpha.ok(POST, "/v1/vector_stores/vs_join",
      new JsonObject().put("join_file_ids", new JsonArray().add(CORPUS.get("chess.txt")).add(CORPUS.get("tides.txt"))));
    assertStoreShape(joined);
    assertEquals("vectorize-vs_join", joined.getString("task_id"));
    alpha.ok(GET, "/v1/tasks/vectorize-vs_join", null);
    assertEquals("completed", alpha.until("vectorize-vs_join", 120, "completed", "failed").getString("status"));
    String query = "Which special manoeuvre lets a monarch and a tower swap places on the board?";
    assertEquals(CORPUS.get("chess.txt"), topFile(alpha.search("vs_join", query, null)));

    JsonObject left = alpha.ok(POST, "/v1/vector_stores/vs_join",
      new JsonObject().put("left_file_ids", new JsonArray().add(CORPUS.get("chess.txt"))));
    assertEquals(1, left.getJsonObject("file_counts").getInteger("total"));
    JsonObject after = alpha.search("vs_join", query, null);
    after.getJsonArray("data").forEach(h -> assertEquals(CORPUS.get("tides.txt"), ((JsonObject) h).getString("file_id")));

    // A second join replaces the completed vectorize task with a new one of the same id.
    alpha.ok(POST, "/v1/vector_stores/vs_join",
      new JsonObject().put("join_file_ids", new JsonArray().add(CORPUS.get("chess.txt"))));
    assertEquals("completed", alpha.until("vectorize-vs_join", 120, "completed", "failed").getString("status"));
    assertEquals(CORPUS.get("chess.txt"), topFile(alpha.search("vs_join", query, null)));

    // Renames and metadata; an unknown file is 400 naming the parameter.
    JsonObject renamed = alpha.ok(POST, "/v1/vector_stores/vs_join",
      new JsonObject().put("name", "renamed").put("metadata", new JsonObject().put("k", "v")));
    assertEquals("renamed", renamed.getString("name"));
    assertEquals("v", renamed.getJsonObject("metadata").getString("k"));
    assertEquals("join_file_ids", alpha.json(400, POST, "/v1/vector_stores/vs_join",
      new JsonObject().put("join_file_ids", new JsonArray().add("file_nope"))).getJsonObject("error").getString("param"));
    assertEquals("file_ids", alpha.json(400, POST, "/v1/vector_stores",
      new JsonObject().put("file_ids", new JsonArray().add("file_nope"))).getJsonObject("error").getString("param"));
  }

  @Test
  void aDeletedFileLeavesEveryStoreAtOnceAndAFailedFileCountsAsFailed() throws Exception {
    String keep = alpha.upload("keep.txt", VectorClient.resource("vectors/corpus/volcanoes.txt"), null).getString("id");
    String gone = alpha.upload("gone.txt", VectorClient.resource("vectors/corpus/bread.txt"), null).getString("id");
    String broken = alpha.upload("broken.bin", "\u0000\u0001\u0002\u0003\u0004", null).getString("id");
    createStore(alpha, "vs_delete_file", List.of(keep, gone, broken));
    JsonObject task = alpha.until("create-vs_delete_file", 180, "completed", "failed");
    assertEquals("completed", task.getString("status"), task.encode());
    assertEquals(1, task.getJsonObject("data").getInteger("files_failed"), task.encode());
    JsonObject store = alpha.ok(GET, "/v1/vector_stores/vs_delete_file", null);
    assertEquals(1, store.getJsonObject("file_counts").getInteger("failed"), store.encode());
    assertEquals(2, store.getJsonObject("file_counts").getInteger("completed"), store.encode());
    assertEquals("completed", store.getString("status"));
    String query = "Why does bakery batter swell and become fluffy?";
    assertEquals(gone, topFile(alpha.search("vs_delete_file", query, null)));

    alpha.ok(DELETE, "/v1/files/" + gone, null);
    JsonObject after = alpha.search("vs_delete_file", query, null);
    after.getJsonArray("data").forEach(h -> assertEquals(keep, ((JsonObject) h).getString("file_id")));
    assertEquals(2, alpha.ok(GET, "/v1/vector_stores/vs_delete_file", null).getJsonObject("file_counts")
      .getInteger("total"));
  }

  @Test
  void deletingAStoreCancelsItsTaskAndKeepsItsFiles() throws Exception {
    // A file still processing keeps create-<id> running (it waits for it).
    String slow = alpha.upload("slow.txt", "Slow going. ".repeat(200_000), null).getString("id");
    createStore(alpha, "vs_delete", List.of(slow));
    alpha.until("create-vs_delete", 30, "in_progress");
    JsonObject deleted = alpha.ok(DELETE, "/v1/vector_stores/vs_delete", null);
    assertEquals(new JsonObject().put("id", "vs_delete").put("object", "vector_store.deleted").put("deleted", true),
      deleted);
    assertEquals("cancelled", alpha.ok(GET, "/v1/tasks/create-vs_delete", null).getString("status"));
    assertEquals("vector_store_not_found", alpha.json(404, GET, "/v1/vector_stores/vs_delete", null)
      .getJsonObject("error").getString("code"));
    alpha.ok(GET, "/v1/files/" + slow, null);
    // The id can be used again, with a new creation task.
    createStore(alpha, "vs_delete", List.of());
    assertEquals("completed", alpha.until("create-vs_delete", 60, "completed", "failed").getString("status"));
  }

  @Test
  void cancellingTheCreationTaskCancelsItsFilesAndTheStoreSettles() throws Exception {
    String slow = alpha.upload("slow2.txt", "Slow going again. ".repeat(150_000), null).getString("id");
    createStore(alpha, "vs_cancel", List.of(slow, CORPUS.get("bees.txt")));
    alpha.until("create-vs_cancel", 30, "in_progress");
    assertEquals("cancelled", alpha.ok(POST, "/v1/tasks/create-vs_cancel/cancel", null).getString("status"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject store = alpha.ok(GET, "/v1/vector_stores/vs_cancel", null);
    while (store.getJsonObject("file_counts").getInteger("in_progress") > 0 && System.nanoTime() < deadline) {
      await(live.node.vertx().timer(100)); // no event says the store has settled its files
      store = alpha.ok(GET, "/v1/vector_stores/vs_cancel", null);
    }
    assertStoreShape(store);
    assertEquals(0, store.getJsonObject("file_counts").getInteger("in_progress"), store.encode());
    assertTrue(store.getJsonObject("file_counts").getInteger("cancelled") >= 1, store.encode());
    assertEquals("completed", store.getString("status"));
    assertEquals("cancelled", alpha.ok(GET, "/v1/tasks/create-vs_cancel", null).getString("status"));
  }

  @Test
  void anotherTenantsStoresAndTextsAreNotFound() throws Exception {
    createStore(alpha, "vs_private", List.of(CORPUS.get("lighthouses.txt")));
    assertEquals("completed", alpha.until("create-vs_private", 120, "completed").getString("status"));
    for (var call : List.of(List.of("GET", "/v1/vector_stores/vs_private"), List.of("GET", "/v1/vector_stores/vs_private/files"),
      List.of("GET", "/v1/vector_stores/vs_private/summary"), List.of("DELETE", "/v1/vector_stores/vs_private"))) {
      assertEquals("vector_store_not_found", beta.json(404, HttpMethod.valueOf(call.get(0)),
        call.get(1), null).getJsonObject("error").getString("code"), call.toString());
    }
    beta.json(404, POST, "/v1/vector_stores/vs_private/search", new JsonObject().put("query", "lighthouse beams"));
    beta.json(404, POST, "/v1/vector_stores/vs_private", new JsonObject().put("name", "mine"));
    // Beta's own store of the same id is another store; alpha's files cannot join it.
    createStore(beta, "vs_private", List.of());
    assertEquals("join_file_ids", beta.json(400, POST, "/v1/vector_stores/vs_private",
      new JsonObject().put("join_file_ids", new JsonArray().add(CORPUS.get("lighthouses.txt"))))
      .getJsonObject("error").getString("param"));
    String mine = beta.upload("mine.txt", VectorClient.resource("vectors/corpus/tides.txt"), null).getString("id");
    beta.ok(POST, "/v1/vector_stores/vs_private", new JsonObject().put("join_file_ids", new JsonArray().add(mine)));
    assertEquals("completed", beta.until("vectorize-vs_private", 120, "completed").getString("status"));
    JsonObject page = beta.search("vs_private", "how did sailors know which cape they were approaching after dark",
      new JsonObject().put("top_k", 100));
    page.getJsonArray("data").forEach(h -> assertEquals(mine, ((JsonObject) h).getString("file_id")));
    assertTrue(beta.ok(GET, "/v1/vector_stores", null).getJsonArray("data").stream()
      .allMatch(s -> ((JsonObject) s).getString("id").equals("vs_private")));
    assertEquals(1, beta.ok(GET, "/v1/vector_stores/vs_private", null).getJsonObject("file_counts").getInteger("total"));
    assertEquals(1, alpha.ok(GET, "/v1/vector_stores/vs_private", null).getJsonObject("file_counts").getInteger("total"));
  }
  @Test
  void aStoreIdleLongerThanItsExpiresAfterIsExpiredAndRefusesSearchesUntilModified() throws Exception {
    String bees = CORPUS.get("bees.txt");
    JsonObject created = alpha.ok(POST, "/v1/vector_stores", new JsonObject().put("id", "vs_expiring")
      .put("file_ids", new JsonArray().add(bees)).put("expires_after", new JsonObject().put("anchor", "last_active_at")
        .put("days", 2)));
    assertEquals(created.getLong("last_active_at") + 2 * 86_400, created.getLong("expires_at"), created.encode());
    assertEquals(new JsonObject().put("anchor", "last_active_at").put("days", 2), created.getJsonObject("expires_after"));
    assertEquals("completed", alpha.until("create-vs_expiring", 180, "completed", "failed").getString("status"));
    assertFalse(alpha.search("vs_expiring", "bees in winter", null).getJsonArray("data").isEmpty());
    // A store without a policy never expires.
    JsonObject plain = alpha.ok(POST, "/v1/vector_stores", new JsonObject().put("id", "vs_not_expiring"));
    assertEquals(null, plain.getValue("expires_at"), plain.encode());

    // Three days idle: past its expiry.
    TestDatabase.sql(db, "UPDATE vector_stores SET last_active_at = now() - interval '3 days' WHERE id = 'vs_expiring'");
    JsonObject store = alpha.ok(GET, "/v1/vector_stores/vs_expiring", null);
    assertEquals("expired", store.getString("status"), store.encode());
    assertTrue(store.getLong("expires_at") <= System.currentTimeMillis() / 1000, store.encode());
    JsonObject refused = alpha.json(409, POST, "/v1/vector_stores/vs_expiring/search",
      new JsonObject().put("query", "bees in winter"));
    assertEquals("vector_store_expired", refused.getJsonObject("error").getString("code"), refused.encode());
    assertEquals("expired", alpha.ok(GET, "/v1/vector_stores/vs_expiring", null).getString("status"),
      "a refused search is no activity");

    // One day idle is within the policy: a search counts as activity and moves expires_at on.
    TestDatabase.sql(db, "UPDATE vector_stores SET last_active_at = now() - interval '1 day' WHERE id = 'vs_expiring'");
    long before = alpha.ok(GET, "/v1/vector_stores/vs_expiring", null).getLong("expires_at");
    assertFalse(alpha.search("vs_expiring", "bees in winter", null).getJsonArray("data").isEmpty());
    JsonObject touched = alpha.ok(GET, "/v1/vector_stores/vs_expiring", null); // the search has marked it
    assertTrue(touched.getLong("expires_at") > before + 86_000, touched.encode());
    assertEquals("completed", touched.getString("status"), touched.encode());

    // Expired again; a modify makes it active, and it searches again.
    TestDatabase.sql(db, "UPDATE vector_stores SET last_active_at = now() - interval '3 days' WHERE id = 'vs_expiring'");
    JsonObject modified = alpha.ok(POST, "/v1/vector_stores/vs_expiring", new JsonObject().put("name", "revived"));
    assertEquals("completed", modified.getString("status"), modified.encode());
    assertFalse(alpha.search("vs_expiring", "bees in winter", null).getJsonArray("data").isEmpty());

    // Only {"anchor": "last_active_at", "days": 1..365} is a policy.
    for (Object bad : List.of(new JsonObject().put("anchor", "created_at").put("days", 2),
      new JsonObject().put("anchor", "last_active_at").put("days", 0),
      new JsonObject().put("anchor", "last_active_at").put("days", 366),
      new JsonObject().put("anchor", "last_active_at").put("days", 1.5), "7 days")) {
      JsonObject error = alpha.json(400, POST, "/v1/vector_stores", new JsonObject().put("expires_after", bad));
      assertEquals("expires_after", error.getJsonObject("error").getString("param"), error.encode());
      assertEquals("expires_after", alpha.json(400, POST, "/v1/vector_stores/vs_expiring",
        new JsonObject().put("expires_after", bad)).getJsonObject("error").getString("param"));
    }
  }
}
