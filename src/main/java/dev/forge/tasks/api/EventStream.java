package dev.forge.tasks.api;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/tasks/{id}/events}: Server-Sent Events. The current state first (unless the
 * client's {@code Last-Event-ID} says it has it), then one {@code task.updated} event per newer
 * version, closed after the terminal event; a comment line keeps proxies from closing an idle
 * stream. Events that arrive out of order are dropped when older than what was sent, and a slow
 * reader gets the newest state once it catches up rather than every state in between.
 */
final class EventStream extends TaskSubscription {

  private static final Buffer KEEP_ALIVE = Buffer.buffer(": keep-alive\n\n");

  private final long keepAliveMs;
  private long sentVersion;
  private long keepAlive = -1;
  private TaskState backlog;

  EventStream(Vertx vertx, Watchers watchers, RoutingContext ctx, String tenant, String id, long keepAliveMs) {
    super(vertx, watchers, ctx, tenant, id);
    this.keepAliveMs = keepAliveMs;
    String last = ctx.request().getHeader(ApiHeaders.LAST_EVENT_ID);
    try {
      this.sentVersion = last == null ? 0 : Long.parseLong(last.trim());
    } catch (NumberFormatException e) {
      this.sentVersion = 0;
    }
  }

  @Override
  protected void onCurrent(TaskState state) {
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
      .putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.EVENT_STREAM)
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
      .putHeader(ApiHeaders.X_ACCEL_BUFFERING, "no");
    keepAlive = vertx.setPeriodic(keepAliveMs, t -> response.write(KEEP_ALIVE));
    if (state.version() > sentVersion || state.terminal()) {
      send(state);
    } else {
      response.write(KEEP_ALIVE); // Sends the headers now: the client knows it is subscribed.
    }
  }

  @Override
  protected void onLaterChange(TaskChange change) {
    if (change.deleted()) {
      finish();
      ctx.response().end();
    } else if (change.version() > sentVersion) {
      send(change.state());
    }
  }

  @Override
  protected void onFinish() {
    if (keepAlive != -1) {
      vertx.cancelTimer(keepAlive);
    }
  }

  private void send(TaskState state) {
    HttpServerResponse response = ctx.response();
    if (!state.terminal() && response.writeQueueFull()) {
      if (backlog == null) {
        response.drainHandler(v -> {
          TaskState next = backlog;
          backlog = null;
          if (next != null && !done()) {
            send(next);
          }
        });
      }
      backlog = state;
      return;
    }
    sentVersion = state.version();
    Buffer data = state.body();
    Buffer event = Buffer.buffer(data.length() + 64)
      .appendString("event: task.updated\nid: ").appendString(Long.toString(state.version()))
      .appendString("\ndata: ").appendBuffer(data).appendString("\n\n");
    if (state.terminal()) {
      finish();
      response.end(event);
    } else {
      response.write(event);
    }
  }
}
