package dev.forge.tasks.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.json.JsonArray;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node process is killed ({@code kill -9}) while its deliveries are in flight (the receiver holds
 * them unanswered); another node on the same database sends them again once their lease ends, with
 * the same {@code webhook-id}: every completion arrives at least once, none is lost.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class WebhookProcessIT {

  private static final int TASKS = 20;
  private static final Map<String, String> SETTINGS = Map.of("TASKS_TYPES", "noop", "TASKS_JOB_TYPES", "noop",
    "TASKS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1", "TASKS_WEBHOOK_TIMEOUT_MS", "5000");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process victim;
  private LiveNode rescuer;
  private Receiver receiver;

  @AfterEach
  void cleanUp() throws Exception {
    if (victim != null && victim.isAlive()) {
      victim.destroyForcibly();
    }
    LiveNode.stop(rescuer);
    if (receiver != null) {
      receiver.close();
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, JsonObject body) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private String startVictim(PgConnectOptions db, int port, Path log) throws Exception {
    Files.deleteIfExists(log);
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-jar", "target/tasks-server.jar").directory(new File(System.getProperty("user.dir")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("TASKS_") || k.startsWith("HTTP_"));
    Map<String, String> mine = new HashMap<>(SETTINGS);
    mine.putAll(Map.of("HTTP_PORT", Integer.toString(port), "PGHOST", db.getHost(),
      "PGPORT", Integer.toString(db.getPort()), "PGDATABASE", db.getDatabase(), "PGUSER", db.getUser()));
    env.putAll(mine);
    victim = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      assertTrue(victim.isAlive() && System.nanoTime() < deadline, () -> "no start: " + read(log));
      try {
        if (send(HttpRequest.newBuilder(URI.create(base + "/ready"))).statusCode() == 200) {
          return base;
        }
      } catch (IOException notYet) {
        victim.waitFor(200, TimeUnit.MILLISECONDS);
      }
    }
  }

  @Test
  void deliveriesInFlightOnAKilledNodeAreSentByAnotherAndNoneIsLost() throws Exception {
    receiver = new Receiver();
    AtomicBoolean victimAlive = new AtomicBoolean(true);
    receiver.on("/hook", n -> victimAlive.get() ? Receiver.HANG : 200);
    PgConnectOptions db = TestDatabase.freshDatabase();
    String base = startVictim(db, TestNodes.freePort(), Path.of("target", "webhook-process-it.log"));
    HttpResponse<String> endpoint = post(base + "/v1/webhooks", new JsonObject().put("url", receiver.url("/hook"))
      .put("events", new JsonArray().add("task.completed")));
    assertEquals(200, endpoint.statusCode(), endpoint.body());
    String secret = new JsonObject(endpoint.body()).getString("secret");
    Set<String> tasks = new HashSet<>();
    for (int i = 0; i < TASKS; i++) {
      HttpResponse<String> created = post(base + "/v1/tasks", new JsonObject().put("type", "noop"));
      assertEquals(202, created.statusCode(), created.body());
      tasks.add(new JsonObject(created.body()).getString("id"));
    }
    // The victim's sender holds 8 connections to the receiver, all unanswered: kill it then.
    receiver.until("deliveries in flight on the victim", 60, () -> receiver.held.size() >= 8);
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    victimAlive.set(false);
    Set<String> inFlight = new HashSet<>();
    receiver.hits("/hook").forEach(h -> inFlight.add(h.id()));

    rescuer = LiveNode.start(TestNodes.config(db, SETTINGS));
    Set<String> delivered = new HashSet<>();
    Set<String> ids = new HashSet<>();
    receiver.until("every completion delivered", 120, () -> {
      delivered.clear();
      ids.clear();
      for (Receiver.Hit h : receiver.hits("/hook")) {
        if (h.answered() == 200) {
          delivered.add(h.json().getJsonObject("data").getString("id"));
          ids.add(h.id());
        }
      }
      return delivered.containsAll(tasks);
    });
    assertEquals(tasks, delivered);
    assertTrue(ids.containsAll(inFlight), "the deliveries in flight at the kill came again with the same webhook-id");
    for (Receiver.Hit h : receiver.hits("/hook")) {
      assertTrue(Receiver.verifies(secret, h), h.toString());
    }
    System.out.printf("kill -9 with %d deliveries in flight: %d tasks, %d distinct deliveries received, %d calls%n",
      inFlight.size(), tasks.size(), ids.size(), receiver.hits("/hook").size());
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
