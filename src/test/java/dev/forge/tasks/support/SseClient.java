package dev.forge.tasks.support;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The one Server-Sent Events reader of the tests, for {@code GET /v1/tasks/{id}/events} and
 * {@code GET /v1/events}: opens a stream (the exchange checked against the OpenAPI document) and
 * hands its events to the test thread; {@link #ended()} completes when the server closes it.
 */
public final class SseClient implements AutoCloseable {

  /** One event: its name, id (null when absent) and data parsed as JSON. */
  public record Event(String name, String id, JsonObject data) {

    /** The id as a number: a task's version on {@code task.updated} events. */
    public long version() {
      return Long.parseLong(id);
    }
  }

  private final HttpClient client;
  private final HttpClientResponse response;
  private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
  /** Every event received so far, in order. */
  public final List<Event> seen = new ArrayList<>();
  private final Promise<Void> ended = Promise.promise();

  private SseClient(HttpClient client, HttpClientResponse response) {
    this.client = client;
    this.response = response;
  }

  /** Opens the stream of task {@code id}; {@code headers} such as {@code Last-Event-ID}. */
  public static Future<SseClient> task(Vertx vertx, int port, String id, Map<String, String> headers) {
    return open(vertx, port, "/v1/tasks/" + id + "/events", headers);
  }

  /** Opens {@code GET uri} on 127.0.0.1:{@code port}; the future fails unless the answer is 200. */
  public static Future<SseClient> open(Vertx vertx, int port, String uri, Map<String, String> headers) {
    HttpClient client = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(uri);
    headers.forEach(options::addHeader);
    MultiMap sent = MultiMap.caseInsensitiveMultiMap().addAll(headers);
    return client.request(options).compose(req -> req.send()).compose(response -> {
      if (response.statusCode() != 200) {
        return response.body().compose(b -> {
          List<String> problems = OpenApiContract.get().exchange(HttpMethod.GET, uri, sent, null, response.statusCode(),
            response.headers(), b);
          return Future.failedFuture(problems.isEmpty() ? new IllegalStateException(response.statusCode() + " " + b)
            : new AssertionError("The exchange disagrees with openapi.json: " + problems));
        });
      }
      List<String> problems = OpenApiContract.get().exchange(HttpMethod.GET, uri, sent, null, 200, response.headers(), null);
      if (!problems.isEmpty()) {
        return Future.failedFuture(new AssertionError("The exchange disagrees with openapi.json: " + problems));
      }
      SseClient sse = new SseClient(client, response);
      StringBuilder buffer = new StringBuilder();
      response.handler(chunk -> {
        buffer.append(chunk.toString());
        int end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          String block = buffer.substring(0, end);
          buffer.delete(0, end + 2);
          sse.parse(block);
        }
      });
      response.endHandler(v -> sse.ended.tryComplete());
      return Future.succeededFuture(sse);
    });
  }

  private void parse(String block) {
    String name = null;
    String id = null;
    StringBuilder data = new StringBuilder();
    for (String line : block.split("\n")) {
      if (line.startsWith("event: ")) {
        name = line.substring(7);
      } else if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      }
    }
    if (name != null) {
      queue.add(new Event(name, id, new JsonObject(data.toString())));
    }
  }

  /** Takes events until one matches, at most {@code seconds}; the events taken are added to {@link #seen}. */
  public Event until(Predicate<Event> wanted, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      long left = deadline - System.nanoTime();
      Event e = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no matching event within " + seconds + " s; seen " + seen);
      }
      seen.add(e);
      if (wanted.test(e)) {
        return e;
      }
    }
  }

  /** Events received but not yet taken by {@link #until}. */
  public List<Event> drain() {
    List<Event> out = new ArrayList<>();
    queue.drainTo(out);
    seen.addAll(out);
    return out;
  }

  /** Completes when the server ends the stream (a task's stream ends after its terminal event). */
  public Future<Void> ended() {
    return ended.future();
  }

  /** The response, for its headers. */
  public HttpClientResponse response() {
    return response;
  }

  /** Pauses reading (the server's write queue fills up) or resumes it. */
  public void paused(boolean paused) {
    if (paused) {
      response.pause();
    } else {
      response.resume();
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
