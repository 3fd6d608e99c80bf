package dev.forge.tasks.client;

import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;

/**
 * One task followed by {@link TasksClient#watch}: its handler sees the states of the task in
 * version order, each once, older ones dropped; the watch ends by itself at the terminal state
 * (nothing changes after it but a deletion).
 */
public final class TaskWatch implements Subscription {

  private final String id;
  private final Handler<Task> handler;
  private final Promise<Task> terminal = Promise.promise();
  private Runnable stop = () -> { };
  private Task latest;
  private boolean closed;

  TaskWatch(String id, Handler<Task> handler) {
    this.id = id;
    this.handler = handler;
  }

  public String id() {
    return id;
  }

  /** The newest state seen so far. */
  public synchronized Task latest() {
    return latest;
  }

  /**
   * Completes with the terminal state ({@code completed}, {@code failed} or {@code cancelled});
   * fails with a 404 {@link ApiException} when the task is found gone.
   */
  public Future<Task> terminal() {
    return terminal.future();
  }

  @Override
  public Future<Void> close() {
    Runnable s;
    synchronized (this) {
      closed = true;
      s = stop;
    }
    s.run();
    return Future.succeededFuture();
  }

  synchronized void onStop(Runnable stop) {
    this.stop = stop;
  }

  /** A state from an event or a read: handed on only when newer than the last one. */
  synchronized void offer(Task task) {
    if (closed || (latest != null && task.version() <= latest.version())) {
      return;
    }
    latest = task;
    handler.handle(task);
    if (task.terminal()) {
      terminal.tryComplete(task);
      close();
    }
  }

  void gone(Throwable notFound) {
    terminal.tryFail(notFound);
    close();
  }

  synchronized boolean closed() {
    return closed;
  }
}
