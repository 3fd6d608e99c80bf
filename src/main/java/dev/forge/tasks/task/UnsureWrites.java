package dev.forge.tasks.task;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Function;

/**
 * The repair of writes whose outcome is unknown: the connection failed while the statement was in
 * flight, perhaps after Postgres committed it. The node's cached state of the task can no longer be
 * trusted and the change, if it happened, was never announced: the cache forgets the task at once,
 * and a second later the task is read again and announced through {@link Changes} (newer version
 * wins everywhere, so announcing a state already known changes nothing). If the task cannot be read
 * then (still an outage), the next read of it goes to the database anyway.
 */
final class UnsureWrites {

  /** How long after a write of unknown outcome its task is read again and announced. */
  static final long REREAD_MS = 1000;

  private final Vertx vertx;
  private final Changes changes;
  private final Function<TaskKey, Future<Trace>> read;

  /** Repairs through {@code changes}, reading tasks again with {@code read}. */
  UnsureWrites(Vertx vertx, Changes changes, Function<TaskKey, Future<Trace>> read) {
    this.vertx = vertx;
    this.changes = changes;
    this.read = read;
  }

  /** A write to {@code task} may have been committed without this store hearing of it. */
  void unsure(TaskKey task) {
    changes.forget(task.tenant(), task.id());
    vertx.setTimer(REREAD_MS, t -> read.apply(task).onSuccess(changes::changed));
  }
}
