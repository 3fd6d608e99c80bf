package dev.forge.tasks.vector;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.support.Polls;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A test client of one node's files and vector-store routes, as forge_cli calls them: multipart
 * uploads laid out as aiohttp sends them, JSON bodies, an optional API key. Blocking: test threads only.
 */
final class VectorClient {

  final WebClient http;
  final int port;
  final String key;

  VectorClient(WebClient http, int port, String key) {
    this.http = http;
    this.port = port;
    this.key = key;
  }

  HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body) throws Exception {
    HttpRequest<Buffer> req = http.request(method, port, "127.0.0.1", path);
    if (key != null) {
      req.putHeader("Authorization", "Bearer " + key);
    }
    return await(body == null ? req.send() : req.sendJsonObject(body));
  }

  /** The call's JSON body, asserting its status. */
  JsonObject json(int status, HttpMethod method, String path, JsonObject body) throws Exception {
    HttpResponse<Buffer> r = call(method, path, body);
    assertEquals(status, r.statusCode(), method + " " + path + ": " + r.bodyAsString());
    assertEquals("application/json", r.getHeader("Content-Type"), path);
    return r.bodyAsJsonObject();
  }

  JsonObject ok(HttpMethod method, String path, JsonObject body) throws Exception {
    return json(200, method, path, body);
  }

  /** Uploads {@code text} as {@code filename}; {@code parseOptions} may be null. Returns the file object. */
  JsonObject upload(String filename, String text, JsonObject parseOptions) throws Exception {
    String boundary = UUID.randomUUID().toString().replace("-", "");
    Buffer body = Buffer.buffer();
    body.appendString("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
      + "Content-Disposition: form-data; name=\"purpose\"\r\n\r\ngeneral\r\n");
    if (parseOptions != null) {
      body.appendString("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + "Content-Disposition: form-data; name=\"parse_options\"\r\n\r\n" + parseOptions.encode() + "\r\n");
    }
    body.appendString("--" + boundary + "\r\nContent-Type: application/octet-stream\r\n"
      + "Content-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"; filename*=utf-8''" + filename
      + "\r\n\r\n").appendString(text, "UTF-8").appendString("\r\n--" + boundary + "--\r\n");
    HttpRequest<Buffer> req = http.request(HttpMethod.POST, port, "127.0.0.1", "/v1/files")
      .putHeader("Content-Type", "multipart/form-data; boundary=" + boundary).putHeader("Connection", "close");
    if (key != null) {
      req.putHeader("Authorization", "Bearer " + key);
    }
    HttpResponse<Buffer> r = await(req.sendBuffer(body));
    assertEquals(200, r.statusCode(), "upload " + filename + ": " + r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  /** Waits (long polls, at most {@code seconds}) until task {@code id} has one of {@code statuses}; returns it. */
  JsonObject until(String id, long seconds, String... statuses) throws Exception {
    if (key == null) {
      return Polls.untilStatus(http, port, id, seconds, statuses);
    }
    java.util.List<String> wanted = java.util.List.of(statuses);
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    JsonObject state = ok(HttpMethod.GET, "/v1/tasks/" + id, null);
    while (!wanted.contains(state.getString("status")) && System.nanoTime() < deadline) {
      state = ok(HttpMethod.GET, "/v1/tasks/" + id + "?wait=2", null);
    }
    return state;
  }

  JsonObject search(String store, String query, JsonObject extra) throws Exception {
    JsonObject body = new JsonObject().put("query", query);
    if (extra != null) {
      body.mergeIn(extra);
    }
    return ok(HttpMethod.POST, "/v1/vector_stores/" + store + "/search", body);
  }

  static String resource(String name) throws IOException {
    try (InputStream in = VectorClient.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
