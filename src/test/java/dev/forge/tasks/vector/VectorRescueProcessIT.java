package dev.forge.tasks.vector;

import static dev.forge.tasks.support.LiveNode.await;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.POST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgConnectOptions;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.io.IOException;

/**
 * A node process is killed ({@code kill -9}) while its {@code create-<id>} job embeds a long file;
 * another node rescues the task once the lease runs out and finishes it, embedding only what the
 * first had not stored: every segment ends with exactly one vector.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class VectorRescueProcessIT {

  private static final long LEASE_MS = 3000;
  private Process victim;
  private LiveNode rescuer;
  private Vertx client;

  @AfterEach
  void cleanUp() throws Exception {
    if (victim != null && victim.isAlive()) {
      victim.destroyForcibly();
    }
    LiveNode.stop(rescuer);
    if (client != null) {
      await(client.close(), 10);
    }
  }

  @Test
  void aNodeKilledMidEmbeddingIsRescuedAndNoVectorIsDuplicated() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    int port = TestNodes.freePort();
    Path log = Path.of("target", "vector-rescue-process-it.log");
    Files.deleteIfExists(log);
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "--add-modules", "jdk.incubator.vector", "-jar", "target/tasks-server.jar")
      .directory(new File(System.getProperty("user.dir")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("TASKS_") || k.startsWith("HTTP_"));
    env.putAll(Map.of("HTTP_HOST", "127.0.0.1", "HTTP_PORT", Integer.toString(port), "PGHOST", db.getHost(),
      "PGPORT", Integer.toString(db.getPort()), "PGDATABASE", db.getDatabase(), "PGUSER", db.getUser(),
      "TASKS_LEASE_MS", Long.toString(LEASE_MS), "TASKS_RETRY_BASE_MS", "50"));
    victim = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();

    client = Vertx.vertx();
    VectorClient onVictim = new VectorClient(WebClient.create(client), port, null);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      assertTrue(victim.isAlive() && System.nanoTime() < deadline, () -> "no start: " + read(log));
      try {
        if (onVictim.call(GET, "/ready", null).statusCode() == 200) {
          break;
        }
      } catch (Exception notYet) {
        victim.waitFor(200, TimeUnit.MILLISECONDS);
      }
    }
    String file = VectorStoreNodesTest.uploadAndWait(onVictim, "long.txt", VectorStoreNodesTest.longText(3, 200), null);
    long segments = count(db, "SELECT count(*) FROM file_segments WHERE file_id = '" + file + "'");
    onVictim.ok(POST, "/v1/vector_stores", new JsonObject().put("id", "vs_rescue")
      .put("file_ids", new JsonArray().add(file)));
    // Kill it once the first batch of vectors is stored (the job stores every STORE segments) and most are not.
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    long stored = 0;
    while (stored < SegmentEmbedding.STORE && System.nanoTime() < deadline) {
      victim.waitFor(100, TimeUnit.MILLISECONDS);
      stored = count(db, "SELECT count(*) FROM segment_vectors WHERE file_id = '" + file + "'");
    }
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    long atKill = count(db, "SELECT count(*) FROM segment_vectors WHERE file_id = '" + file + "'");
    assertTrue(atKill > 0 && atKill < segments, atKill + " of " + segments + " vectors stored at the kill");

    rescuer = LiveNode.start(TestNodes.config(db, Map.of("TASKS_LEASE_MS", Long.toString(LEASE_MS))));
    VectorClient onRescuer = new VectorClient(rescuer.http, rescuer.config.httpPort(), null);
    JsonObject task = onRescuer.until("create-vs_rescue", 300, "completed", "failed");
    assertEquals("completed", task.getString("status"), task.encode());
    assertEquals(2L, count(db, "SELECT attempt FROM tasks WHERE id = 'create-vs_rescue'"), task.encode());
    // The rescued attempt embedded only what was missing at the kill.
    assertEquals(segments - atKill, task.getJsonObject("data").getLong("vectors_created"), task.encode());
    assertEquals(segments, count(db, "SELECT count(*) FROM segment_vectors WHERE file_id = '" + file + "'"));
    assertEquals(segments, count(db, "SELECT count(DISTINCT idx) FROM segment_vectors WHERE file_id = '" + file + "'"));
    JsonObject store = onRescuer.ok(GET, "/v1/vector_stores/vs_rescue", null);
    assertEquals(1, store.getJsonObject("file_counts").getInteger("completed"), store.encode());
    assertEquals(file, VectorStoreNodesTest.top(onRescuer.search("vs_rescue", "harbour lantern festival", null)));
    System.out.printf("kill -9 mid-embedding: %d of %d vectors stored at the kill; the rescue made the other %d%n",
      atKill, segments, task.getJsonObject("data").getLong("vectors_created"));
  }

  static long count(PgConnectOptions db, String sql) {
    return Long.parseLong(TestDatabase.inRolledBackTransaction(db, sql));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
