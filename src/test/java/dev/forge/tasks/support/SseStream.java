package dev.forge.tasks.support;

import static dev.forge.tasks.support.LiveNode.await;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A client of {@code GET /v1/tasks/{id}/events} on 127.0.0.1: the one parser of Server-Sent Events
 * in the tests. Every {@code task.updated} event is collected (and handed to a listener as it
 * arrives); {@link #ended()} completes when the server closes the stream.
 */
public final class SseStream {

  /** One event: its {@code id:} (the task's version) and its {@code data:} (the Trace). */
  public record Event(long id, JsonObject trace) {
  }

  private final HttpClient client;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final Promise<Void> ended = Promise.promise();
  private final Promise<Void> opened = Promise.promise();
  private HttpClientResponse response;

  private SseStream(Vertx vertx) {
    this.client = vertx.createHttpClient();
  }

  /**
   * Opens the stream of task {@code id} on {@code port}, sending {@code lastEventId} when not null;
   * {@code onEvent} (may be null) hears each event on the event loop. Completes with the response.
   */
  public static Future<SseStream> open(Vertx vertx, int port, String id, String lastEventId, Consumer<Event> onEvent) {
    SseStream stream = new SseStream(vertx);
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
      .setURI("/v1/tasks/" + id + "/events");
    if (lastEventId != null) {
      options.addHeader("Last-Event-ID", lastEventId);
    }
    // Handlers are set on the event loop as the response arrives: the first event may come with it.
    return stream.client.request(options).compose(req -> req.send()).map(response -> {
      stream.response = response;
      StringBuilder buffer = new StringBuilder();
      response.handler(chunk -> {
        stream.opened.tryComplete();
        buffer.append(chunk.toString());
        int end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          Event event = parse(buffer.substring(0, end));
          buffer.delete(0, end + 2);
          if (event != null) {
            stream.events.add(event);
            if (onEvent != null) {
              onEvent.accept(event);
            }
          }
        }
      });
      response.endHandler(v -> stream.ended.tryComplete());
      return stream;
    });
  }

  /** Opens the stream from test code and waits until it is open. */
  public static SseStream openAndWait(Vertx vertx, int port, String id, String lastEventId, Consumer<Event> onEvent)
    throws Exception {
    return await(open(vertx, port, id, lastEventId, onEvent));
  }

  /** A {@code task.updated} event, or null for a comment (keep-alive) or another kind of event. */
  private static Event parse(String block) {
    String kind = null;
    Long id = null;
    String data = null;
    for (String line : block.split("\n")) {
      if (line.startsWith("event: ")) {
        kind = line.substring(7);
      } else if (line.startsWith("id: ")) {
        id = Long.parseLong(line.substring(4));
      } else if (line.startsWith("data: ")) {
        data = line.substring(6);
      }
    }
    return "task.updated".equals(kind) && id != null && data != null ? new Event(id, new JsonObject(data)) : null;
  }

  public HttpClientResponse response() {
    return response;
  }

  /** The events so far. */
  public List<Event> events() {
    return events;
  }

  /** Completes at the first bytes the server sends (an event or a keep-alive comment). */
  public Future<Void> opened() {
    return opened.future();
  }

  /** Completes when the server ends the stream. */
  public Future<Void> ended() {
    return ended.future();
  }

  /** Closes the client. */
  public Future<Void> close() {
    return client.close();
  }
}
