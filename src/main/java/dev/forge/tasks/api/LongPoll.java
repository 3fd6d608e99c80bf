package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/tasks/{id}?wait=N}: answers as soon as the task differs from the client's
 * {@code If-None-Match} (or from its state when the request arrived), or at the deadline.
 */
final class LongPoll extends TaskSubscription {

  private final String ifNoneMatch;
  private Watchers.Update current;
  private String reference;
  private long timer = -1;

  LongPoll(Vertx vertx, Watchers watchers, RoutingContext ctx, String tenant, String id) {
    super(vertx, watchers, ctx, tenant, id);
    this.ifNoneMatch = ctx.request().getHeader("If-None-Match");
  }

  /** Starts waiting; answers at the latest after {@code waitSeconds}. */
  void start(int waitSeconds, TaskReader read) {
    timer = vertx.setTimer(waitSeconds * 1000L, t -> {
      timer = -1;
      if (!done() && current != null) {
        answer(current); // Still reading at the deadline: the bus timeout answers if the store never does.
      }
    });
    start(read);
  }

  @Override
  protected void onCurrent(Watchers.Update state) {
    current = state;
    reference = ifNoneMatch != null ? ifNoneMatch : state.etag();
    if (state.terminal() || !TaskRoutes.etagMatches(reference, state.etag())) {
      answer(state);
    }
  }

  @Override
  protected void onChange(Watchers.Update update) {
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

  @Override
  protected void onFinish() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }

  private void answer(Watchers.Update state) {
    finish();
    TaskRoutes.sendState(ctx, state, ifNoneMatch);
  }
}
