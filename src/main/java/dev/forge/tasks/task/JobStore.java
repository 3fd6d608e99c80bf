package dev.forge.tasks.task;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The task table's operations on behalf of workers: claims, progress and heartbeats, completion and
 * failure of an attempt, and the leases handed back or rescued. A report names its attempt; one
 * that no longer holds the task changes nothing and learns why ({@link #refused}).
 *
 * <p>Completions are group-committed ({@link GroupCommit}), as {@link TaskStore}'s creates are.
 * Used from one verticle context only.
 */
final class JobStore {

  /** A claimed job: the task now in progress, its attempt and its input. */
  record Claimed(Trace trace, int attempt, JsonObject input) {
  }

  /** A progress report's outcome: the new Trace (null for a heartbeat), or that the task was cancelled. */
  record Reported(Trace trace, boolean cancelled) {
  }

  private record Completion(String tenant, String id, int attempt, JsonObject data) {
    /** The parameters of {@link TaskSql#COMPLETE}. */
    Tuple args() {
      return Tuple.of(tenant, id, attempt, data);
    }
  }

  private final Pool pool;
  private final GroupCommit<TaskKey, Completion, Trace> completions;

  /** As {@link TaskStore#TaskStore}: batch sizes into {@code metrics}, unknown outcomes to {@code unsure}. */
  JobStore(Pool pool, TaskMetrics metrics, Consumer<TaskKey> unsure) {
    this.pool = pool;
    this.completions = new GroupCommit<>(TaskStore.MAX_BATCH, n -> metrics.batch("complete", n), this::completeOne,
      this::completeMany, unsure);
  }

  Future<List<Claimed>> claim(List<String> types, int limit, String worker, long leaseMs) {
    return pool.preparedQuery(TaskSql.CLAIM)
      .execute(Tuple.tuple().addArrayOfString(types.toArray(String[]::new)).addInteger(limit)
        .addString(worker).addLong(leaseMs))
      .map(rows -> {
        List<Claimed> out = new ArrayList<>(rows.size());
        for (Row row : rows) {
          Object input = row.getValue("input");
          out.add(new Claimed(Trace.fromRow(row), row.getInteger("attempt"),
            input instanceof JsonObject json ? json : new JsonObject()));
        }
        return out;
      });
  }

  /** A report with neither progress nor data only renews the lease, and changes nothing visible. */
  Future<Reported> progress(String tenant, String id, int attempt, Double progress, JsonObject data, long leaseMs) {
    if (progress == null && (data == null || data.isEmpty())) {
      return pool.preparedQuery(TaskSql.HEARTBEAT).execute(Tuple.of(tenant, id, attempt, leaseMs))
        .compose(rows -> rows.size() == 1
          ? Future.succeededFuture(new Reported(null, false))
          : refused(tenant, id, attempt).map(cancelled -> new Reported(null, true)));
    }
    Tuple args = Tuple.of(tenant, id, attempt, progress, data == null ? new JsonObject() : data, leaseMs);
    return pool.preparedQuery(TaskSql.PROGRESS).execute(args).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(new Reported(Rows.first(rows), false))
      : refused(tenant, id, attempt).map(cancelled -> new Reported(null, true)));
  }

  /**
   * Completes the running attempt; 409 {@code task_cancelled} when a cancel came first, 409
   * {@code lease_lost} when the attempt no longer runs, 404 when the task is gone.
   */
  Future<Trace> complete(String tenant, String id, int attempt, JsonObject data) {
    return completions.submit(new TaskKey(tenant, id),
      new Completion(tenant, id, attempt, data == null ? new JsonObject() : data));
  }

  /**
   * The single-task {@link TaskSql#COMPLETE}, once per completion, sent as one batch: one round trip
   * and one transaction (Postgres commits the whole batch at its one Sync). Each row is found by
   * primary key whatever the table's statistics; a join of the rows against {@code unnest} of arrays
   * was planned, on a table never analysed, as a scan of every running task's lease entry, dead ones
   * included (7 ms per batch after 80,000 tasks; BENCHMARKS.md).
   */
  private Future<Map<TaskKey, Trace>> completeMany(List<Completion> list) {
    List<Tuple> batch = new ArrayList<>(list.size());
    for (Completion c : list) {
      batch.add(c.args());
    }
    return pool.preparedQuery(TaskSql.COMPLETE).executeBatch(batch).map(Rows::byKey);
  }

  private Future<Trace> completeOne(Completion c) {
    return pool.preparedQuery(TaskSql.COMPLETE).execute(c.args())
      .compose(rows -> rows.size() == 1 ? Future.succeededFuture(Rows.first(rows)) : cancelledBefore(c.tenant(), c.id(),
        c.attempt(), "completed"));
  }

  Future<Trace> fail(String tenant, String id, int attempt, String reason, boolean retryable, long retryBaseMs) {
    return pool.preparedQuery(TaskSql.FAIL).execute(Tuple.of(tenant, id, attempt, reason, retryable, retryBaseMs))
      .compose(rows -> rows.size() == 1 ? Future.succeededFuture(Rows.first(rows)) : cancelledBefore(tenant, id,
        attempt, "failed"));
  }

  Future<List<Trace>> rescue(int limit, long retryBaseMs) {
    return pool.preparedQuery(TaskSql.RESCUE).execute(Tuple.of(limit, retryBaseMs)).map(Rows::all);
  }

  Future<List<Trace>> release(String worker) {
    return pool.preparedQuery(TaskSql.RELEASE).execute(Tuple.of(worker)).map(Rows::all);
  }

  /** Why a final report (completion, failure) changed nothing: 409 {@code task_cancelled}, or {@link #refused}'s failure. */
  private Future<Trace> cancelledBefore(String tenant, String id, int attempt, String ending) {
    return refused(tenant, id, attempt).compose(cancelled -> Future.failedFuture(new ApiException(
      ApiError.conflict("task_cancelled", "Task '" + id + "' was cancelled before it " + ending + "."))));
  }

  /**
   * Why a job's report on (id, attempt) changed nothing: succeeds when the task was cancelled (the
   * job must stop), fails with 404 when it is gone, and with 409 {@code lease_lost} otherwise.
   */
  private Future<Void> refused(String tenant, String id, int attempt) {
    return pool.preparedQuery(TaskSql.STATE).execute(Tuple.of(tenant, id)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new ApiException(ApiError.taskNotFound(id)));
      }
      Row row = rows.iterator().next();
      if (TaskStatus.CANCELLED.wire().equals(row.getString("status"))) {
        return Future.succeededFuture();
      }
      return Future.failedFuture(new ApiException(ApiError.conflict("lease_lost",
        "Attempt " + attempt + " of task '" + id + "' no longer holds the task (now " + row.getString("status")
          + ", attempt " + row.getInteger("attempt") + ").")));
    });
  }
}
