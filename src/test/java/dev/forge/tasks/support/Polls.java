package dev.forge.tasks.support;

import static dev.forge.tasks.support.LiveNode.await;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Waiting for a task's state over HTTP as a client does: long polls, each naming the last ETag seen. */
public final class Polls {

  private Polls() {
  }

  /**
   * Long-polls {@code GET /v1/tasks/{id}} on 127.0.0.1:{@code port} until the task's status is one
   * of {@code statuses} or {@code seconds} have passed; returns the last state seen.
   */
  public static JsonObject untilStatus(WebClient client, int port, String id, long seconds, String... statuses)
    throws Exception {
    List<String> wanted = List.of(statuses);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    HttpResponse<Buffer> r = await(client.get(port, "127.0.0.1", "/v1/tasks/" + id).send());
    JsonObject state = r.bodyAsJsonObject();
    String etag = r.getHeader("ETag");
    while (!wanted.contains(state.getString("status")) && System.nanoTime() < deadline) {
      r = await(client.get(port, "127.0.0.1", "/v1/tasks/" + id + "?wait=5").putHeader("If-None-Match", etag).send());
      if (r.statusCode() == 200) { // 304: nothing changed within the wait
        state = r.bodyAsJsonObject();
        etag = r.getHeader("ETag");
      }
    }
    return state;
  }
}
