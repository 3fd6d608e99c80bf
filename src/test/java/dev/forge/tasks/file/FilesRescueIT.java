package dev.forge.tasks.file;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.TasksNode;
import dev.forge.tasks.support.AiohttpForm;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.io.IOException;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.TaskWatch;
import dev.forge.tasks.client.TasksClient;

/**
 * A node process is killed ({@code kill -9}) while it processes a large file, after it stored some
 * segments; another node rescues the task once the lease runs out, processes the file again from
 * the start, and the file ends with exactly the segments of one run: contiguous indexes, the count
 * the task reports, the text's last sentence in the last one.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FilesRescueIT {

  private static final long LEASE_MS = 3000;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process victim;
  private TasksNode rescuer;

  @AfterEach
  void cleanUp() throws Exception {
    if (victim != null && victim.isAlive()) {
      victim.destroyForcibly();
    }
    if (rescuer != null) {
      await(rescuer.close(), 30);
    }
  }

  private JsonObject getJson(String url) throws Exception {
    return new JsonObject(http.send(HttpRequest.newBuilder(URI.create(url)).build(),
      HttpResponse.BodyHandlers.ofString()).body());
  }

  private String startVictim(PgConnectOptions db, int port, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xmx512m", "-jar", "target/tasks-server.jar").directory(new File(System.getProperty("user.dir")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("TASKS_") || k.startsWith("HTTP_"));
    env.putAll(Map.of("HTTP_PORT", Integer.toString(port), "PGHOST", db.getHost(),
      "PGPORT", Integer.toString(db.getPort()), "PGDATABASE", db.getDatabase(), "PGUSER", db.getUser(),
      "TASKS_JOB_TYPES", "file_processing", "TASKS_LEASE_MS", Long.toString(LEASE_MS), "TASKS_RETRY_BASE_MS", "50"));
    victim = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      assertTrue(victim.isAlive() && System.nanoTime() < deadline, () -> "no start: " + read(log));
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return base;
        }
      } catch (IOException notYet) {
        victim.waitFor(200, TimeUnit.MILLISECONDS);
      }
    }
  }

  @Test
  void aFileWhoseNodeDiedMidProcessingIsProcessedOnceElsewhere() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    Path log = Path.of("target", "files-rescue-it.log");
    String base = startVictim(db, TestNodes.freePort(), log);
    Buffer text = Fixtures.text(40 * 1024 * 1024);
    String lastSentence = text.toString().strip();
    lastSentence = lastSentence.substring(lastSentence.lastIndexOf("Honey bees"));
    AiohttpForm form = new AiohttpForm().file("file", "big.txt", "text/plain", text).field("id", "rescued");
    HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
      .header("Content-Type", form.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(form.body().getBytes()))
      .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, uploaded.statusCode(), uploaded.body());

    // Kill the node once it has stored some segments of the file, while it still works on it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    JsonObject task = getJson(base + "/v1/tasks/upload-rescued");
    while (task.getJsonObject("data").getInteger("chunks_created", 0) == 0) {
      assertTrue(System.nanoTime() < deadline && task.getString("status").matches("pending|in_progress"),
        () -> "no segments before the kill: " + read(log));
      victim.waitFor(50, TimeUnit.MILLISECONDS);
      task = getJson(base + "/v1/tasks/upload-rescued");
    }
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    int before = Integer.parseInt(TestDatabase.inRolledBackTransaction(db,
      "SELECT count(*) FROM file_segments WHERE file_id = 'rescued'"));
    assertTrue(before > 0, "segments stored before the kill");

    rescuer = await(TasksNode.start(TestNodes.config(db, Map.of("TASKS_JOB_TYPES", "file_processing",
        "TASKS_LEASE_MS", Long.toString(LEASE_MS)))), 60);
    TaskWatch watch = await(new TasksClient(rescuer.vertx()).watch("upload-rescued", t -> { }));
    Task now = await(watch.terminal(), 180);
    assertEquals(TaskStatus.COMPLETED, now.status(), now.toString());
    assertTrue(now.data().getInteger("attempt", 1) >= 2, now.toString());
    int chunks = now.data().getInteger("chunks_created");
    String stats = TestDatabase.inRolledBackTransaction(db,
      "SELECT count(*) || ' ' || count(DISTINCT idx) || ' ' || (max(idx) + 1) FROM file_segments WHERE file_id = 'rescued'");
    assertEquals(chunks + " " + chunks + " " + chunks, stats, "one run's segments, no duplicates, no gaps");
    String last = TestDatabase.inRolledBackTransaction(db,
      "SELECT content FROM file_segments WHERE file_id = 'rescued' ORDER BY idx DESC LIMIT 1");
    assertTrue(last.endsWith(lastSentence), last);
    assertEquals("processed", TestDatabase.inRolledBackTransaction(db, "SELECT status FROM files WHERE id = 'rescued'"));
    System.out.printf("file rescue: %d segments stored before kill -9, %d after the rescue (attempt %d)%n", before,
      chunks, now.data().getInteger("attempt"));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
