package dev.forge.tasks.api;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/tasks/{id}/events}: Server-Sent Events. The current state first (unless the
 * client's {@code Last-Event-ID} says it has it), then one {@code task.updated} event per newer
 * version, closed after the terminal event; a comment line keeps proxies from closing an idle
 * stream. Events that arrive out of order are dropped when older than what was sent.
 */
final class EventStream implements Watchers.Watcher {

  private static final Buffer KEEP_ALIVE = Buffer.buffer(": keep-alive\n\n");

  private final Vertx vertx;
  private final Watchers watchers;
  private final RoutingContext ctx;
  private final String tenant;
  private final String id;
  private long sentVersion;
  private Watchers.Update early;
  private boolean open;
  private boolean done;
  private long keepAlive = -1;
  private Watchers.Update backlog;

  EventStream(Vertx vertx, Watchers watchers, RoutingContext ctx, String tenant, String id) {
    this.vertx = vertx;
    this.watchers = watchers;
    this.ctx = ctx;
    this.tenant = tenant;
    this.id = id;
    String last = ctx.request().getHeader("Last-Event-ID");
    try {
      this.sentVersion = last == null ? 0 : Long.parseLong(last.trim());
    } catch (NumberFormatException e) {
      this.sentVersion = 0;
    }
  }

  void start(long keepAliveMs, TaskReader read) {
    if (!watchers.add(tenant, id, this)) {
      HttpErrors.send(ctx, HttpErrors.tooManyWaiters());
      return;
    }
    ctx.response().closeHandler(v -> finish());
    read.read(tenant, id).onComplete(got -> {
      if (done) {
        return;
      }
      if (got.failed()) {
        finish();
        HttpErrors.send(ctx, got.cause());
        return;
      }
      Watchers.Update current = got.result();
      if (early != null && early.version() > current.version()) {
        current = early;
      }
      HttpServerResponse response = ctx.response();
      response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
      open = true;
      keepAlive = vertx.setPeriodic(keepAliveMs, t -> response.write(KEEP_ALIVE));
      if (current.version() > sentVersion || current.terminal()) {
        send(current);
      } else {
        response.write(KEEP_ALIVE); // Sends the headers now: the client knows it is subscribed.
      }
    });
  }

  @Override
  public void onUpdate(Watchers.Update update) {
    if (done) {
      return;
    }
    if (!open) {
      if (early == null || update.version() > early.version()) {
        early = update;
      }
      return;
    }
    if (update.deleted()) {
      finish();
      ctx.response().end();
    } else if (update.version() > sentVersion) {
      send(update);
    }
  }

  private void send(Watchers.Update update) {
    HttpServerResponse response = ctx.response();
    if (!update.terminal() && response.writeQueueFull()) {
      // A slow reader gets the newest state once it catches up, not every state in between.
      if (backlog == null) {
        response.drainHandler(v -> {
          Watchers.Update next = backlog;
          backlog = null;
          if (next != null && !done) {
            send(next);
          }
        });
      }
      backlog = update;
      return;
    }
    sentVersion = update.version();
    Buffer data = update.body();
    Buffer event = Buffer.buffer(data.length() + 64)
      .appendString("event: task.updated\nid: ").appendString(Long.toString(update.version()))
      .appendString("\ndata: ").appendBuffer(data).appendString("\n\n");
    if (update.terminal()) {
      finish();
      ctx.response().end(event);
    } else {
      ctx.response().write(event);
    }
  }

  private void finish() {
    if (!done) {
      done = true;
      watchers.remove(tenant, id, this);
      if (keepAlive != -1) {
        vertx.cancelTimer(keepAlive);
      }
    }
  }
}
