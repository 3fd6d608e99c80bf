package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Starts the server exactly as the README's run command does ({@code java --add-modules
 * jdk.incubator.vector -jar target/tasks-server.jar} from the project folder, no database configured, so on the embedded
 * Postgres), walks a {@code document_analysis} task to {@code completed}, kills the server with
 * {@code kill -9}, starts it again on the same data directory, finds the task, and stops it with
 * SIGTERM. Runs in {@code mvn verify}, after the jar is built.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServerProcessIT {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process server;

  @AfterEach
  void killLeftovers() {
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
    }
  }

  private Process startServer(int port, Path dataDir, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "--add-modules", "jdk.incubator.vector", "-jar", "target/tasks-server.jar");
    pb.directory(new File(System.getProperty("user.dir")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("TASKS_") || k.startsWith("HTTP_"));
    env.put("HTTP_PORT", Integer.toString(port));
    env.put("TASKS_DATA_DIR", dataDir.toString());
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private void awaitReady(int port, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      assertTrue(process.isAlive(), () -> "the server exited during start-up:\n" + read(log));
      try {
        if (send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      process.waitFor(200, TimeUnit.MILLISECONDS); // A pause that ends early if the process dies.
    }
    throw new AssertionError("not ready within 90 s:\n" + read(log));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** The embedded Postgres holds real tasks: it must not run with zonky's test defaults (fsync off). */
  private static void assertDurable(String log) throws Exception {
    Matcher port = Pattern.compile("Embedded Postgres ready on 127.0.0.1:(\\d+)")
      .matcher(log);
    assertTrue(port.find(), log);
    try (Connection c = DriverManager.getConnection(
      "jdbc:postgresql://127.0.0.1:" + port.group(1) + "/postgres", "postgres", null);
         Statement st = c.createStatement()) {
      for (String setting : new String[] {"fsync", "synchronous_commit"}) {
        try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
          assertTrue(rs.next());
          assertEquals("on", rs.getString(1), setting);
        }
      }
    }
  }

  @Test
  void readmeRunCommandServesSurvivesKillNineAndStopsOnSigterm() throws Exception {
    assertTrue(Files.isRegularFile(Path.of("target/tasks-server.jar")), "run mvn package first");
    int port = TestNodes.freePort();
    Path dataDir = Files.createTempDirectory("tasks-it-data");
    Path log = Path.of("target", "server-process-it.log");
    Files.deleteIfExists(log);
    String base = "http://127.0.0.1:" + port;

    server = startServer(port, dataDir, log);
    awaitReady(port, server, log);
    String text = "Tasks run in the background. Clients poll their status. The server answers fast. Background tasks finish.";
    HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
      .header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("type", "document_analysis")
        .put("id", "readme-walkthrough").put("input", new JsonObject().put("text", text)).encode())).build());
    assertEquals(202, created.statusCode(), created.body());
    assertEquals("/v1/tasks/readme-walkthrough", created.headers().firstValue("Location").orElse(""));

    JsonObject state = new JsonObject(created.body());
    for (int i = 0; i < 30 && !state.getString("status").equals("completed"); i++) {
      HttpResponse<String> polled = send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks/readme-walkthrough?wait=5")).build());
      assertEquals(200, polled.statusCode(), polled.body());
      state = new JsonObject(polled.body());
    }
    assertEquals("completed", state.getString("status"), state.encode());
    assertEquals(4, state.getJsonObject("data").getInteger("sentences"));
    assertDurable(read(log));

    server.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: the embedded postmaster is orphaned
    server = startServer(port, dataDir, log);
    awaitReady(port, server, log);
    HttpResponse<String> after = send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks/readme-walkthrough")).build());
    assertEquals(200, after.statusCode(), after.body());
    assertEquals("completed", new JsonObject(after.body()).getString("status"));

    server.destroy(); // SIGTERM
    assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
    String output = read(log);
    assertTrue(output.contains("Stopped cleanly"), output);
    assertFalse(output.contains("Exception"), output);
    assertFalse(Files.exists(dataDir.resolve("postmaster.pid")), "the embedded Postgres is still running");
  }
}
