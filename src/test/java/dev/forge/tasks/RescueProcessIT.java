package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TaskWatch;
import dev.forge.tasks.client.TasksClient;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
  private LiveNode rescuer;

  @AfterEach
  void cleanUp() throws Exception {
    if (victim != null && victim.isAlive()) {
      victim.destroyForcibly();
    }
    LiveNode.stop(rescuer);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Starts {@code java -jar target/tasks-server.jar} running sleep jobs on {@code db}; waits until ready. */
  private String startVictim(PgConnectOptions db, int port, Path log, long leaseMs) throws Exception {
    Files.deleteIfExists(log);
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-jar", "target/tasks-server.jar").directory(new File(System.getProperty("user.dir")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("TASKS_") || k.startsWith("HTTP_"));
    env.putAll(Map.of("HTTP_PORT", Integer.toString(port), "PGHOST", db.getHost(),
      "PGPORT", Integer.toString(db.getPort()), "PGDATABASE", db.getDatabase(), "PGUSER", db.getUser(),
      "TASKS_JOB_TYPES", "sleep", "TASKS_LEASE_MS", Long.toString(leaseMs), "TASKS_RETRY_BASE_MS", "50"));
    victim = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      assertTrue(victim.isAlive() && System.nanoTime() < deadline, () -> "no start: " + read(log));
      try {
        if (get(base + "/ready").statusCode() == 200) {
          break;
        }
      } catch (IOException notYet) {
        victim.waitFor(200, TimeUnit.MILLISECONDS);
      }
    }
    return base;
  }

  /** Creates a sleep task of {@code ms} on the victim and waits until it runs there. */
  private void runOnVictim(String base, String id, long ms) throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
        .put("type", "sleep").put("id", id).put("input", new JsonObject().put("ms", ms)).encode()))
      .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, created.statusCode(), created.body());
    JsonObject state = new JsonObject(created.body());
    while (!state.getString("status").equals("in_progress")) {
      state = new JsonObject(get(base + "/v1/tasks/" + id + "?wait=5").body());
    }
  }

  @Test
  void aKilledNodesTaskIsRescuedWithinTheLeaseAndCompletedElsewhere() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    String base = startVictim(db, TestNodes.freePort(), Path.of("target", "rescue-process-it.log"), LEASE_MS);
    runOnVictim(base, "rescue-me", 2000);
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    long killedAt = System.nanoTime();

    rescuer = LiveNode.start(TestNodes.config(db, Map.of("TASKS_JOB_TYPES", "sleep",
      "TASKS_LEASE_MS", Long.toString(LEASE_MS))));
    // On a loaded machine the rescuer may come up after the lease ran out: the rescue is due from
    // whichever is later.
    long dueMs = Math.max(LEASE_MS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
    var bus = new TasksClient(rescuer.node.vertx());
    Task now = await(bus.get("rescue-me"), 10);
    long rescuedAfterMs = -1;
    while (now.status() != TaskStatus.COMPLETED) {
      if (rescuedAfterMs < 0 && now.data().getInteger("attempt", 1) == 2) {
        rescuedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      }
      assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(30), now.toString());
      await(rescuer.node.vertx().timer(50));
      now = await(bus.get("rescue-me"), 10);
    }
    assertEquals(2, now.data().getInteger("attempt"), now.toString());
    assertEquals(2000, now.data().getInteger("slept_ms"));
    assertTrue(rescuedAfterMs < dueMs + 3000, "rescued " + rescuedAfterMs + " ms after the kill, due at " + dueMs);
    System.out.printf("kill -9 rescue: lease %d ms, running again as attempt 2 %d ms after the kill%n", LEASE_MS,
      rescuedAfterMs);
  }

  @Test
  void sigtermHandsTheRunningTaskBackAtOnce() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    Path log = Path.of("target", "handoff-process-it.log");
    // A long lease: were the task not handed back, the other node would wait 60 s for it.
    String base = startVictim(db, TestNodes.freePort(), log, 60_000);
    runOnVictim(base, "hand-me-over", 1500);
    rescuer = LiveNode.start(TestNodes.config(db, Map.of("TASKS_JOB_TYPES", "sleep", "TASKS_LEASE_MS", "60000")));
    long sigterm = System.nanoTime();
    victim.destroy(); // SIGTERM
    assertTrue(victim.waitFor(30, TimeUnit.SECONDS), "the node did not stop on SIGTERM");
    AtomicLong takenAt = new AtomicLong();
    Task now = untilTerminal(rescuer, "hand-me-over", sigterm + TimeUnit.SECONDS.toNanos(20), takenAt);
    assertEquals(TaskStatus.COMPLETED, now.status(), "not taken over: " + now);
    long takenAfterMs = TimeUnit.NANOSECONDS.toMillis(takenAt.get() - sigterm);
    assertEquals(2, now.data().getInteger("attempt"), now.toString());
    assertTrue(read(log).contains("Handing back 1 running sleep task"), read(log));
    assertTrue(read(log).contains("Stopped cleanly"), read(log));
    System.out.printf("SIGTERM hand-back: lease 60000 ms, taken over by the other node %d ms after SIGTERM%n",
      takenAfterMs);
  }

  /**
   * Follows task {@code id} on {@code node} over the bus until it ends (by {@code deadline}, a
   * {@code System.nanoTime()}), noting in {@code attempt2At} when its second attempt was first seen.
   */
  private static Task untilTerminal(LiveNode node, String id, long deadline, AtomicLong attempt2At) throws Exception {
    TaskWatch watch = await(new TasksClient(node.node.vertx()).watch(id, t -> {
      if (t.data().getInteger("attempt", 1) == 2) {
        attempt2At.compareAndSet(0, System.nanoTime());
      }
    }));
    long left = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime());
    try {
      return await(watch.terminal(), Math.max(1, left));
    } finally {
      await(watch.close());
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
