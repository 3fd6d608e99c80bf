package dev.forge.tasks.vector;

import static io.vertx.core.http.HttpMethod.DELETE;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.POST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes on one Postgres (not clustered: they share nothing but the database): each sees the
 * other's joins, leaves and deletes at its next search; a join while {@code vectorize-<id>} runs is
 * not lost; {@code parse_options.vectorize} embeds during processing, once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class VectorStoreNodesTest {

  static PgConnectOptions db;
  static LiveNode a;
  static LiveNode b;
  static VectorClient onA;
  static VectorClient onB;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.freshDatabase();
    a = LiveNode.start(TestNodes.config(db));
    b = LiveNode.start(TestNodes.config(db));
    onA = new VectorClient(a.http, a.config.httpPort(), null);
    onB = new VectorClient(b.http, b.config.httpPort(), null);
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(b);
    LiveNode.stop(a);
  }

  /** About {@code kib} KiB of varied English-like prose: many segments of the chunker. */
  static String longText(long seed, int kib) {
    String[] words = ("river stone market lantern harvest engine copper valley signal orchard winter ledger "
      + "harbour meadow quarry festival bridge compass timber archive glacier pottery weaver station").split(" ");
    Random r = new Random(seed);
    StringBuilder out = new StringBuilder();
    while (out.length() < kib * 1024) {
      for (int s = 0; s < 5; s++) {
        StringBuilder sentence = new StringBuilder("The");
        for (int w = 0, n = 8 + r.nextInt(10); w < n; w++) {
          sentence.append(' ').append(words[r.nextInt(words.length)]);
        }
        out.append(sentence).append(". ");
      }
      out.append("\n\n");
    }
    return out.toString();
  }

  static String top(JsonObject page) {
    return page.getJsonArray("data").isEmpty() ? null : page.getJsonArray("data").getJsonObject(0).getString("file_id");
  }

  static String uploadAndWait(VectorClient c, String name, String text, JsonObject options) throws Exception {
    String id = c.upload(name, text, options).getString("id");
    assertEquals("completed", c.until("upload-" + id, 180, "completed", "failed").getString("status"));
    return id;
  }

  static long count(String sql) {
    return Long.parseLong(TestDatabase.inRolledBackTransaction(db, sql));
  }

  @Test
  void eachNodeSeesTheOthersJoinsLeavesAndDeletesAtItsNextSearch() throws Exception {
    String chess = uploadAndWait(onA, "chess.txt", VectorClient.resource("vectors/corpus/chess.txt"), null);
    String bees = uploadAndWait(onA, "bees.txt", VectorClient.resource("vectors/corpus/bees.txt"), null);
    String chessQuery = "Which special manoeuvre lets a monarch and a tower swap places on the board?";
    String beesQuery = "How do insect swarms stay warm through freezing months?";
    onA.ok(POST, "/v1/vector_stores", new JsonObject().put("id", "vs_two").put("file_ids", new JsonArray().add(bees)));
    assertEquals("completed", onA.until("create-vs_two", 120, "completed").getString("status"));
    assertEquals(bees, top(onB.search("vs_two", beesQuery, null))); // B now holds a copy

    onA.ok(POST, "/v1/vector_stores/vs_two", new JsonObject().put("join_file_ids", new JsonArray().add(chess)));
    assertEquals("completed", onA.until("vectorize-vs_two", 120, "completed").getString("status"));
    assertEquals(chess, top(onB.search("vs_two", chessQuery, null)));

    onA.ok(POST, "/v1/vector_stores/vs_two", new JsonObject().put("left_file_ids", new JsonArray().add(chess)));
    onB.search("vs_two", chessQuery, new JsonObject().put("top_k", 100)).getJsonArray("data")
      .forEach(h -> assertEquals(bees, ((JsonObject) h).getString("file_id")));

    onB.ok(POST, "/v1/vector_stores/vs_two", new JsonObject().put("join_file_ids", new JsonArray().add(chess)));
    assertEquals("completed", onB.until("vectorize-vs_two", 120, "completed").getString("status"));
    assertEquals(chess, top(onA.search("vs_two", chessQuery, null)));

    onB.ok(DELETE, "/v1/files/" + bees, null);
    onA.search("vs_two", beesQuery, new JsonObject().put("top_k", 100)).getJsonArray("data")
      .forEach(h -> assertEquals(chess, ((JsonObject) h).getString("file_id")));

    onA.ok(DELETE, "/v1/vector_stores/vs_two", null);
    assertEquals("vector_store_not_found", onB.json(404, POST, "/v1/vector_stores/vs_two/search",
      new JsonObject().put("query", chessQuery)).getJsonObject("error").getString("code"));
  }

  @Test
  void aJoinWhileVectorizeRunsIsNotLost() throws Exception {
    String big = uploadAndWait(onA, "long.txt", longText(7, 160), null);
    String tides = uploadAndWait(onA, "tides.txt", VectorClient.resource("vectors/corpus/tides.txt"), null);
    long segments = count("SELECT count(*) FROM file_segments WHERE file_id = '" + big + "'");
    assertTrue(segments >= 100, "only " + segments + " segments");
    onA.ok(POST, "/v1/vector_stores", new JsonObject().put("id", "vs_race"));
    assertEquals("completed", onA.until("create-vs_race", 60, "completed").getString("status"));
    onA.ok(POST, "/v1/vector_stores/vs_race", new JsonObject().put("join_file_ids", new JsonArray().add(big)));
    JsonObject running = onA.until("vectorize-vs_race", 60, "in_progress");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (running.getJsonObject("data").getInteger("chunks_embedded", 0) == 0 && System.nanoTime() < deadline) {
      running = onA.ok(GET, "/v1/tasks/vectorize-vs_race?wait=1", null);
    }
    assertEquals("in_progress", running.getString("status"), "the join must come while the task runs: " + running);
    JsonObject joined = onB.ok(POST, "/v1/vector_stores/vs_race",
      new JsonObject().put("join_file_ids", new JsonArray().add(tides)));
    assertEquals("vectorize-vs_race", joined.getString("task_id"));
    assertEquals(2, joined.getJsonObject("file_counts").getInteger("total"));

    assertEquals("completed", onA.until("vectorize-vs_race", 240, "completed", "failed").getString("status"));
    JsonObject store = onB.ok(GET, "/v1/vector_stores/vs_race", null);
    assertEquals(2, store.getJsonObject("file_counts").getInteger("completed"), store.encode());
    assertEquals(tides, top(onB.search("vs_race", "Why does the sea rise and fall at the beach twice a day?", null)));
    assertEquals(segments, count("SELECT count(*) FROM segment_vectors WHERE file_id = '" + big + "'"));
  }

  @Test
  void vectorizeInParseOptionsEmbedsDuringProcessingAndOnlyOnce() throws Exception {
    String id = onA.upload("volcanoes.txt", VectorClient.resource("vectors/corpus/volcanoes.txt") + "\n\n"
      + longText(11, 8), new JsonObject().put("vectorize", "enable")).getString("id");
    JsonObject task = onA.until("upload-" + id, 180, "completed", "failed");
    assertEquals("completed", task.getString("status"), task.encode());
    int chunks = task.getJsonObject("data").getInteger("chunks_created");
    assertEquals(chunks, task.getJsonObject("data").getInteger("chunks_embedded"), task.encode());
    assertEquals(chunks, count("SELECT count(*) FROM segment_vectors WHERE file_id = '" + id + "'"));

    onB.ok(POST, "/v1/vector_stores", new JsonObject().put("id", "vs_pre").put("file_ids", new JsonArray().add(id)));
    assertEquals("completed", onB.until("create-vs_pre", 120, "completed").getString("status"));
    assertEquals(chunks, count("SELECT count(*) FROM segment_vectors WHERE file_id = '" + id + "'"));
    assertEquals(id, top(onA.search("vs_pre", "why does a mountain explode and throw out burning debris", null)));
    for (String node : List.of("a", "b")) {
      VectorClient c = node.equals("a") ? onA : onB;
      assertEquals(List.of("vs_pre"), c.ok(GET, "/v1/files/" + id + "/content", null).getJsonArray("vector_store_ids")
        .getList());
    }
  }
}
