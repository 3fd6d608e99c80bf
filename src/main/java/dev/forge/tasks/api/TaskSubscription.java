package dev.forge.tasks.api;

import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * What a long poll and an event stream share: subscribe to the task's changes first, then read its
 * current state, so that no change can slip between the two; changes that arrive before the read
 * are held, and the newer of them and the read wins. Ends, and unsubscribes, at most once: when
 * the subclass finishes or the client goes away.
 */
abstract class TaskSubscription implements Watchers.Watcher {

  protected final Vertx vertx;
  protected final RoutingContext ctx;
  protected final String id;
  private final Watchers watchers;
  private final String tenant;
  private TaskChange early;
  private boolean current;
  private boolean done;

  TaskSubscription(Vertx vertx, Watchers watchers, RoutingContext ctx, String tenant, String id) {
    this.vertx = vertx;
    this.watchers = watchers;
    this.ctx = ctx;
    this.tenant = tenant;
    this.id = id;
  }

  /** Subscribes, then reads through {@code reader}; answers 503 when the node holds too many waiters. */
  final void start(TaskReader reader) {
    if (!watchers.add(tenant, id, this)) {
      HttpErrors.send(ctx, HttpErrors.tooManyWaiters());
      return;
    }
    ctx.response().closeHandler(v -> finish());
    reader.read(tenant, id).onComplete(got -> {
      if (done) {
        return;
      }
      if (got.failed()) {
        finish();
        HttpErrors.send(ctx, got.cause());
        return;
      }
      TaskState state = got.result();
      if (early != null && early.version() > state.version()) {
        state = early.state();
      }
      current = true;
      onCurrent(state);
    });
  }

  @Override
  public final void onChange(TaskChange change) {
    if (done) {
      return;
    }
    if (!current) {
      if (early == null || change.version() > early.version()) {
        early = change;
      }
      return;
    }
    onLaterChange(change);
  }

  /** The state when the subscription began (the read, or a newer change). */
  protected abstract void onCurrent(TaskState state);

  /** A change published after {@link #onCurrent}; may be older than what was already seen. */
  protected abstract void onLaterChange(TaskChange change);

  /** Called once when the subscription ends, to release timers. */
  protected abstract void onFinish();

  protected final boolean done() {
    return done;
  }

  /** Unsubscribes and releases; safe to call more than once. */
  protected final void finish() {
    if (!done) {
      done = true;
      watchers.remove(tenant, id, this);
      onFinish();
    }
  }
}
