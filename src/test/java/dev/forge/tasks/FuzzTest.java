package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import dev.forge.tasks.bus.TaskIds;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seeded fuzz loop of thousands of malformed requests against the real server: each gets the
 * right status and a JSON error, no body holds a stack trace or SQL, and the server is healthy
 * afterwards. The seed is printed on failure; set -Dfuzz.seed to replay it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FuzzTest {

  static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());
  static final List<String> LEAKS = List.of("Exception", "\tat ", "at dev.forge", "at io.vertx", "SELECT ", "INSERT ",
    "UPDATE tasks", "org.postgresql", "io.netty", "jackson");
  static LiveNode live;
  static TasksNode node;
  static WebClient http;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    TasksConfig config = TestNodes.config(TestDatabase.freshDatabase(), Map.of("TASKS_JOB_TYPES", "",
      "TASKS_TYPES", "held"));
    live = LiveNode.start(config);
    node = live.node;
    http = live.http;
    port = config.httpPort();
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  /** Asserts the reply is a JSON error with one of the statuses, and leaks nothing; returns the error. */
  private static JsonObject expectError(HttpResponse<Buffer> r, String what, Integer... statuses) {
    String body = r.bodyAsString() == null ? "" : r.bodyAsString();
    String context = "seed " + SEED + ", " + what + " -> " + r.statusCode() + " " + body;
    assertTrue(Set.of(statuses).contains(r.statusCode()), context);
    for (String leak : LEAKS) {
      assertFalse(body.contains(leak), context);
    }
    assertTrue(r.getHeader("Content-Type").startsWith("application/json"), context);
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertNotNull(error.getString("message"), context);
    assertNotNull(error.getString("code"), context);
    assertNotNull(error.getString("type"), context);
    return error;
  }

  private static String randomId(Random random) {
    String[] alphabet = {"a", "Z", "0", "_", "-", ".", ":", "'", "\"", "é", "漢", "🙂", "\u0000", "\u0007", "\n", " ",
      "%", "?", "#", "\\", ";", "--", "/*", "<", ">", "{", "}", "$1"};
    int length = random.nextInt(10) == 0 ? 10_000 + random.nextInt(1000) : 1 + random.nextInt(140);
    StringBuilder b = new StringBuilder();
    while (b.length() < length) {
      b.append(alphabet[random.nextInt(alphabet.length)]);
    }
    return b.toString();
  }

  /** Requests naming random malformed ids, each answered with an error. */
  @Test
  void malformedIdsAreNotFoundOrRefused() throws Exception {
    Random random = new Random(SEED);
    for (int i = 0; i < 800; i++) {
      String id = randomId(random);
      if (id.equals(".") || id.equals("..")) {
        continue; // dot segments: "/v1/tasks/." is the list itself (RFC 3986 normalisation)
      }
      String path = "/v1/tasks/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
      HttpMethod method = List.of(HttpMethod.GET, HttpMethod.DELETE, HttpMethod.POST).get(random.nextInt(3));
      String uri = method == HttpMethod.POST ? path + "/cancel" : random.nextBoolean() ? path : path + "/events";
      if (method == HttpMethod.DELETE && uri.endsWith("/events")) {
        uri = path;
      }
      HttpResponse<Buffer> r = await(http.request(method, uri).send());
      // Valid-looking ids are simply unknown (404); ids no task can have never reach the store (404 too);
      // a request line too long for HTTP is refused (400).
      expectError(r, method + " id of length " + id.length(), 404, 400);
    }
  }

  /** Creates with broken bodies, each refused with a 400. */
  @Test
  void brokenBodiesGet400s() throws Exception {
    Random random = new Random(SEED + 1);
    String valid = new JsonObject().put("type", "held").put("input", new JsonObject().put("text", "x")).encode();
    Object[] wrongValues = {123, "text", new JsonArray().add(1), true, -1, 1.5, new JsonObject(), "", null};
    String[] fields = {"type", "id", "input", "data", "max_attempts"};
    for (int i = 0; i < 1200; i++) {
      int kind = random.nextInt(5);
      Buffer body;
      String what;
      Set<String> codes;
      switch (kind) {
        case 0 -> {
          body = Buffer.buffer(valid.substring(0, random.nextInt(valid.length() - 1)));
          what = "truncated JSON";
          codes = Set.of("invalid_json");
        }
        case 1 -> {
          int depth = 1000 + random.nextInt(20_000);
          body = Buffer.buffer("[".repeat(depth) + "]".repeat(depth));
          what = "nesting " + depth;
          codes = Set.of("invalid_json");
        }
        case 2 -> {
          String field = fields[random.nextInt(fields.length)];
          Object value = wrongValues[random.nextInt(wrongValues.length)];
          JsonObject json = new JsonObject().put("type", "held").put(field, value);
          body = json.toBuffer();
          what = "wrong type " + json.encode();
          codes = Set.of("invalid_parameter", "unknown_task_type");
          if (isAcceptable(field, value)) {
            continue;
          }
        }
        case 3 -> {
          String type = randomId(random);
          body = new JsonObject().put("type", type.substring(0, Math.min(type.length(), 1 + random.nextInt(20)))).toBuffer();
          what = "unknown type";
          codes = Set.of("unknown_task_type", "invalid_parameter");
        }
        default -> {
          String field = "x" + randomId(random);
          body = new JsonObject().put("type", "held").put(field.substring(0, Math.min(field.length(), 6)), 1).toBuffer();
          what = "unknown field";
          codes = Set.of("invalid_parameter");
        }
      }
      HttpResponse<Buffer> r = await(http.post("/v1/tasks").putHeader("Content-Type", "application/json").sendBuffer(body));
      JsonObject error = expectError(r, what, 400);
      assertTrue(codes.contains(error.getString("code")), "seed " + SEED + " " + what + ": " + error);
    }
  }

  /** The few wrong-looking values that are in fact valid creates. */
  private static boolean isAcceptable(String field, Object value) {
    return switch (field) {
      case "input", "data" -> value == null || value instanceof JsonObject;
      case "id" -> value == null || value instanceof String id && TaskIds.isValid(id);
      case "max_attempts" -> value == null || value instanceof Integer n && n >= 1 && n <= 100;
      case "type" -> "held".equals(value);
      default -> false;
    };
  }

  @Test
  void hugeBodiesHeadersAndParameters() throws Exception {
    Random random = new Random(SEED + 2);
    HttpResponse<Buffer> big = await(http.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(Buffer.buffer("{\"type\":\"held\",\"input\":{\"text\":\"" + "x".repeat(1_100_000) + "\"}}")));
    assertEquals("body_too_large", expectError(big, "1.1 MB body", 413).getString("code"));
    // The server answers and closes; a raw socket reads the answer whatever the client library makes of the close.
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("GET /v1/tasks HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(40_000)
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(reply.startsWith("HTTP/1.1 400"), reply);
      assertTrue(reply.contains("application/json") && reply.contains("\"error\""), reply);
    }
    HttpResponse<Buffer> media = await(http.post("/v1/tasks").putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("{}")));
    assertEquals("unsupported_media_type", expectError(media, "text/plain", 415).getString("code"));

    String[][] params = {{"limit", "0"}, {"limit", "101"}, {"limit", "-1"}, {"limit", "abc"}, {"limit", "1e3"},
      {"limit", ""}, {"order", "sideways"}, {"order", "ASC"}, {"status", "running"}, {"status", "pending,"},
      {"after", "'; DROP TABLE tasks;--"}, {"before", "x".repeat(200)}, {"type", ""}};
    for (int i = 0; i < 600; i++) {
      String[] p = params[random.nextInt(params.length)];
      HttpResponse<Buffer> r = await(http.get("/v1/tasks?" + p[0] + "=" + URLEncoder.encode(p[1], StandardCharsets.UTF_8)).send());
      JsonObject error = expectError(r, p[0] + "=" + p[1], 400);
      assertEquals("invalid_parameter", error.getString("code"));
      assertEquals(p[0], error.getString("param"));
    }
    for (String wait : new String[] {"-1", "61", "abc", "1.5", ""}) {
      JsonObject error = expectError(await(http.get("/v1/tasks/some-id?wait=" + wait).send()), "wait=" + wait, 400);
      assertEquals("wait", error.getString("param"));
    }
  }

  @Test
  void badProgressFromAJobChangesNothing() throws Exception {
    var bus = node.vertx().eventBus();
    await(bus.request(Addresses.CREATE, new JsonObject().put("type", "held").put("id", "fuzz-progress")));
    JsonObject claimed = await(bus.<JsonObject>request(Addresses.JOB_CLAIM,
      new JsonObject().put("types", new JsonArray().add("held")).put("limit", 1).put("worker", "fuzz"))).body()
      .getJsonArray("jobs").getJsonObject(0);
    Object[] bad = {Double.NaN, -0.1, 1.5, Double.POSITIVE_INFINITY, "half", new JsonObject()};
    for (Object progress : bad) {
      ApiError error = ApiError.fromThrowable(LiveNode.failure(bus.request(Addresses.JOB_PROGRESS,
        new JsonObject().put("id", "fuzz-progress").put("attempt", claimed.getInteger("attempt")).put("progress", progress))));
      assertNotNull(error, "progress " + progress + " was accepted");
      assertEquals(400, error.status());
      assertEquals("progress", error.param());
    }
    HttpResponse<Buffer> after = await(http.get("/v1/tasks/fuzz-progress").send());
    assertEquals(0.0, after.bodyAsJsonObject().getDouble("progress"));
  }

  /**
   * Its own abuse, unlike the tests above (which send one request at a time): hundreds of malformed
   * requests in flight at once and clients that vanish halfway through a request. Every request is
   * answered with its error, and then the server still serves a create, a read and a list.
   */
  @Test
  void serverIsHealthyAfterAllThat() throws Exception {
    Random random = new Random(SEED + 3);
    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
    List<String> what = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String id = randomId(random);
      String path = "/v1/tasks/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
      if (!id.equals(".") && !id.equals("..")) { // dot segments name the list itself
        inFlight.add(http.get(path).send());
        what.add("GET id of length " + id.length());
      }
      int depth = 1000 + random.nextInt(20_000);
      inFlight.add(http.post("/v1/tasks").putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"type\":\"held\",\"input\":" + "[".repeat(depth))));
      what.add("truncated body nested " + depth);
    }
    for (int i = 0; i < 20; i++) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.getOutputStream().write(("POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 1000\r\n\r\n{\"type\":").getBytes(StandardCharsets.US_ASCII));
      }
    }
    List<HttpResponse<Buffer>> replies = await(Future.all(inFlight), 120).list();
    for (int i = 0; i < replies.size(); i++) {
      expectError(replies.get(i), what.get(i), 400, 404);
    }
    assertTrue(replies.size() >= 390, "only " + replies.size() + " malformed requests were answered");

    assertEquals(200, await(http.get("/health").send()).statusCode());
    assertEquals(200, await(http.get("/ready").send()).statusCode());
    HttpResponse<Buffer> ok = await(http.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "held").put("id", "still-works").toBuffer()));
    assertEquals(202, ok.statusCode(), ok.bodyAsString());
    HttpResponse<Buffer> read = await(http.get("/v1/tasks/still-works").send());
    assertEquals(200, read.statusCode(), read.bodyAsString());
    assertEquals(ok.bodyAsJsonObject(), read.bodyAsJsonObject());
    HttpResponse<Buffer> listed = await(http.get("/v1/tasks?type=held&status=pending").send());
    assertEquals(200, listed.statusCode(), listed.bodyAsString());
    assertTrue(listed.bodyAsJsonObject().getJsonArray("data").stream()
      .anyMatch(t -> ((JsonObject) t).getString("id").equals("still-works")), listed.bodyAsString());
  }
}
