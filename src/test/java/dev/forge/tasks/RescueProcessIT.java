package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
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

/**
 * A node process is killed ({@code kill -9}) while it runs a task; another node rescues the task
 * once the lease runs out and runs it to completion as attempt 2.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RescueProcessIT {

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
      rescuer.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aKilledNodesTaskIsRescuedWithinTheLeaseAndCompletedElsewhere() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    int port = TestNodes.freePort();
    Path log = Path.of("target", "rescue-process-it.log");
    Files.deleteIfExists(log);
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-jar", "target/tasks-server.jar").directory(new File(System.getProperty("user.dir")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("TASKS_") || k.startsWith("HTTP_"));
    env.putAll(Map.of("HTTP_PORT", Integer.toString(port), "PGHOST", db.getHost(),
      "PGPORT", Integer.toString(db.getPort()), "PGDATABASE", db.getDatabase(), "PGUSER", db.getUser(),
      "TASKS_JOB_TYPES", "sleep", "TASKS_LEASE_MS", Long.toString(LEASE_MS), "TASKS_RETRY_BASE_MS", "50"));
    victim = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      assertTrue(victim.isAlive() && System.nanoTime() < deadline, () -> "no start: " + read(log));
      try {
        if (get(base + "/ready").statusCode() == 200) {
          break;
        }
      } catch (java.io.IOException notYet) {
        victim.waitFor(200, TimeUnit.MILLISECONDS);
      }
    }
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
        .put("type", "sleep").put("id", "rescue-me").put("input", new JsonObject().put("ms", 2000)).encode()))
      .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, created.statusCode(), created.body());
    JsonObject state = new JsonObject(created.body());
    while (!state.getString("status").equals("in_progress")) {
      state = new JsonObject(get(base + "/v1/tasks/rescue-me?wait=5").body());
    }
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    long killedAt = System.nanoTime();

    rescuer = TasksNode.start(TestNodes.config(db, Map.of("TASKS_JOB_TYPES", "sleep",
        "TASKS_LEASE_MS", Long.toString(LEASE_MS))))
      .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    var bus = new dev.forge.tasks.client.TasksClient(rescuer.vertx());
    JsonObject now = bus.get("rescue-me").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    long rescuedAfterMs = -1;
    while (!now.getString("status").equals("completed")) {
      if (rescuedAfterMs < 0 && now.getJsonObject("data").getInteger("attempt", 1) == 2) {
        rescuedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      }
      assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(30), now.encode());
      rescuer.vertx().timer(50).toCompletionStage().toCompletableFuture().get();
      now = bus.get("rescue-me").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertEquals(2, now.getJsonObject("data").getInteger("attempt"), now.encode());
    assertEquals(2000, now.getJsonObject("data").getInteger("slept_ms"));
    assertTrue(rescuedAfterMs < LEASE_MS + 3000, "rescued " + rescuedAfterMs + " ms after the kill");
    System.out.printf("kill -9 rescue: lease %d ms, running again as attempt 2 %d ms after the kill%n", LEASE_MS,
      rescuedAfterMs);
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "(no log)";
    }
  }
}
