package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/tasks/{id}?wait=N}: answers as soon as the task differs from the client's
 * {@code If-None-Match} (or from its state when the request arrived), or at the deadline. It
 * subscribes before it reads, so no change can slip between the two.
 */
final class LongPoll implements Watchers.Watcher {

  private final Vertx vertx;
  private final Watchers watchers;
  private final RoutingContext ctx;
  private final String tenant;
  private final String id;
  private final String ifNoneMatch;
  private Watchers.Update current;
  private Watchers.Update early;
  private String reference;
  private long timer = -1;
  private boolean done;

  LongPoll(Vertx vertx, Watchers watchers, RoutingContext ctx, String tenant, String id) {
    this.vertx = vertx;
    this.watchers = watchers;
    this.ctx = ctx;
    this.tenant = tenant;
    this.id = id;
    this.ifNoneMatch = ctx.request().getHeader("If-None-Match");
  }

  /** Subscribes, then reads the task through {@code read}; answers at the latest after {@code waitSeconds}. */
  void start(int waitSeconds, TaskReader read) {
    if (!watchers.add(tenant, id, this)) {
      HttpErrors.send(ctx, HttpErrors.tooManyWaiters());
      return;
    }
    ctx.response().closeHandler(v -> finish());
    timer = vertx.setTimer(waitSeconds * 1000L, t -> {
      timer = -1;
      deadline();
    });
    read.read(tenant, id).onComplete(got -> {
      if (done) {
        return;
      }
      if (got.failed()) {
        finish();
        HttpErrors.send(ctx, got.cause());
        return;
      }
      current = got.result();
      if (early != null && early.version() > current.version()) {
        current = early;
      }
      reference = ifNoneMatch != null ? ifNoneMatch : current.etag();
      if (current.terminal() || !TaskRoutes.etagMatches(reference, current.etag())) {
        answer(current);
      }
    });
  }

  @Override
  public void onUpdate(Watchers.Update update) {
    if (done) {
      return;
    }
    if (current == null) {
      if (early == null || update.version() > early.version()) {
        early = update;
      }
      return;
    }
    if (update.deleted()) {
      finish();
      HttpErrors.send(ctx, ApiError.taskNotFound(id));
    } else if (update.version() > current.version()) {
      current = update;
      if (update.terminal() || !TaskRoutes.etagMatches(reference, update.etag())) {
        answer(update);
      }
    }
  }

  private void deadline() {
    if (done || current == null) {
      return; // Still reading: the bus timeout answers if the store never does.
    }
    answer(current);
  }

  private void answer(Watchers.Update state) {
    finish();
    TaskRoutes.sendState(ctx, state, ifNoneMatch);
  }

  private void finish() {
    if (!done) {
      done = true;
      watchers.remove(tenant, id, this);
      if (timer != -1) {
        vertx.cancelTimer(timer);
      }
    }
  }
}
