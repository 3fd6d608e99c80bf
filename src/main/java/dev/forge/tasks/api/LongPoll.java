package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/tasks/{id}?wait=N}: answers as soon as the task differs from the client's
 * {@code If-None-Match} (or from its state when the request arrived), or at the deadline.
 */
final class LongPoll extends TaskSubscription {

  private final String ifNoneMatch;
  private TaskState current;
  private String reference;
  private long timer = -1;

  LongPoll(Vertx vertx, Watchers watchers, RoutingContext ctx, String tenant, String id) {
    super(vertx, watchers, ctx, tenant, id);
    this.ifNoneMatch = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
  }

  /** Starts waiting; answers at the latest after {@code waitSeconds}. */
  void start(int waitSeconds, TaskReader reader) {
    timer = vertx.setTimer(waitSeconds * 1000L, t -> {
      timer = -1;
      if (!done() && current != null) {
        answer(current); // Still reading at the deadline: the bus timeout answers if the store never does.
      }
    });
    start(reader);
  }

  @Override
  protected void onCurrent(TaskState state) {
    current = state;
    reference = ifNoneMatch != null ? ifNoneMatch : state.etag();
    if (state.terminal() || !TaskRoutes.etagMatches(reference, state.etag())) {
      answer(state);
    }
  }

  @Override
  protected void onLaterChange(TaskChange change) {
    if (change.deleted()) {
      finish();
      HttpErrors.send(ctx, ApiError.taskNotFound(id));
    } else if (change.version() > current.version()) {
      current = change.state();
      if (current.terminal() || !TaskRoutes.etagMatches(reference, current.etag())) {
        answer(current);
      }
    }
  }

  @Override
  protected void onFinish() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }

  private void answer(TaskState state) {
    finish();
    TaskRoutes.sendState(ctx, state, ifNoneMatch);
  }
}
