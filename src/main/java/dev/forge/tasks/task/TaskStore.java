package dev.forge.tasks.task;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The task table's operations, each one statement in the common case. The state machine lives in
 * the {@code WHERE} clauses: an update that finds its row in the wrong state changes nothing, and a
 * second read tells the caller why.
 */
public final class TaskStore {

  /** A create's outcome: the task, and whether this call made it. */
  public record Created(Trace trace, boolean created) {
  }

  /** A claimed job: the task now in progress, its attempt and its input. */
  public record Claimed(Trace trace, int attempt, JsonObject input) {
  }

  /** A cancel's outcome: the task, and whether this call changed it. */
  public record Cancelled(Trace trace, boolean changed) {
  }

  /** A progress report's outcome: the new Trace (null for a heartbeat), or that the task was cancelled. */
  public record Reported(Trace trace, boolean cancelled) {
  }

  /** One page of a listing. */
  public record Page(List<Trace> traces, boolean hasMore) {
  }

  private final Pool pool;

  public TaskStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Created> create(String tenant, String id, String type, JsonObject data, JsonObject input,
                                int maxAttempts) {
    return pool.preparedQuery(TaskSql.INSERT).execute(Tuple.of(tenant, id, type, data, input, maxAttempts))
      .compose(rows -> {
        if (rows.size() == 1) {
          return Future.succeededFuture(new Created(Trace.fromRow(rows.iterator().next()), true));
        }
        return get(tenant, id).compose(existing -> existing.type().equals(type)
          ? Future.succeededFuture(new Created(existing, false))
          : Future.failedFuture(new ApiException(ApiError.conflict("id_conflict",
            "A task with id '" + id + "' already exists with another type."))));
      });
  }

  /** Succeeds once the database answers a query. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  public Future<Long> countPending() {
    return pool.query(TaskSql.COUNT_PENDING).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  /** How many other server nodes have sessions on this database (application names other than {@code self}). */
  public Future<Long> otherNodes(String self) {
    return pool.preparedQuery(TaskSql.OTHER_NODES).execute(Tuple.of(self)).map(rows -> rows.iterator().next().getLong(0));
  }

  public Future<Trace> get(String tenant, String id) {
    return pool.preparedQuery(TaskSql.GET).execute(Tuple.of(tenant, id)).map(rows -> one(rows, id));
  }

  /**
   * One page in creation order. {@code after} and {@code before} are task ids, read in the list's
   * own order; an unknown cursor is refused rather than read as "from the start".
   */
  public Future<Page> list(String tenant, int limit, boolean ascending, String after, String before,
                           List<String> statuses, String type) {
    return Future.all(seqOf(tenant, after, "after"), seqOf(tenant, before, "before")).compose(cursors -> {
      Long afterSeq = cursors.resultAt(0);
      Long beforeSeq = cursors.resultAt(1);
      // In descending order "after" means older (lower seq); "before" means newer.
      Long lower = ascending ? afterSeq : beforeSeq;
      Long upper = ascending ? beforeSeq : afterSeq;
      // With only "before", read towards the cursor's side so the page ends next to it.
      boolean reverse = before != null && after == null;
      boolean sqlAscending = reverse != ascending;
      String[] statusArray = statuses == null ? null : statuses.toArray(String[]::new);
      Tuple args = Tuple.tuple().addString(tenant).addArrayOfString(statusArray).addString(type)
        .addLong(lower).addLong(upper).addInteger(limit + 1);
      return pool.preparedQuery(sqlAscending ? TaskSql.LIST_ASC : TaskSql.LIST_DESC).execute(args)
        .map(rows -> {
          List<Trace> traces = new ArrayList<>(rows.size());
          for (Row row : rows) {
            traces.add(Trace.fromRow(row));
          }
          boolean more = traces.size() > limit;
          if (more) {
            traces.remove(traces.size() - 1);
          }
          if (reverse) {
            Collections.reverse(traces);
          }
          return new Page(traces, more);
        });
    });
  }

  private Future<Long> seqOf(String tenant, String cursor, String param) {
    if (cursor == null) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(TaskSql.SEQ_OF).execute(Tuple.of(tenant, cursor)).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(rows.iterator().next().getLong(0))
      : Future.failedFuture(new ApiException(ApiError.invalidParameter(param,
        "'" + param + "' names no task: '" + ApiError.printable(cursor) + "'."))));
  }

  public Future<Cancelled> cancel(String tenant, String id) {
    return pool.preparedQuery(TaskSql.CANCEL).execute(Tuple.of(tenant, id)).compose(rows -> {
      if (rows.size() == 1) {
        return Future.succeededFuture(new Cancelled(Trace.fromRow(rows.iterator().next()), true));
      }
      return get(tenant, id).compose(t -> t.status() == TaskStatus.CANCELLED
        ? Future.succeededFuture(new Cancelled(t, false))
        : Future.failedFuture(new ApiException(ApiError.conflict("task_not_cancellable",
          "Task '" + id + "' is " + t.status().wire() + " and can no longer be cancelled."))));
    });
  }

  public Future<Trace> delete(String tenant, String id) {
    return pool.preparedQuery(TaskSql.DELETE).execute(Tuple.of(tenant, id)).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(Trace.fromRow(rows.iterator().next()))
      : get(tenant, id).compose(t -> Future.failedFuture(new ApiException(ApiError.conflict("task_not_deletable",
        "Task '" + id + "' is " + t.status().wire() + "; only completed, failed or cancelled tasks can be deleted.")))));
  }

  public Future<List<Claimed>> claim(List<String> types, int limit, String worker, long leaseMs) {
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
  public Future<Reported> progress(String tenant, String id, int attempt, Double progress, JsonObject data,
                                   long leaseMs) {
    if (progress == null && (data == null || data.isEmpty())) {
      return pool.preparedQuery(TaskSql.HEARTBEAT).execute(Tuple.of(tenant, id, attempt, leaseMs))
        .compose(rows -> rows.size() == 1
          ? Future.succeededFuture(new Reported(null, false))
          : refused(tenant, id, attempt).map(cancelled -> new Reported(null, true)));
    }
    Tuple args = Tuple.of(tenant, id, attempt, progress, data == null ? new JsonObject() : data, leaseMs);
    return pool.preparedQuery(TaskSql.PROGRESS).execute(args).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(new Reported(Trace.fromRow(rows.iterator().next()), false))
      : refused(tenant, id, attempt).map(cancelled -> new Reported(null, true)));
  }

  public Future<Trace> complete(String tenant, String id, int attempt, JsonObject data) {
    return pool.preparedQuery(TaskSql.COMPLETE)
      .execute(Tuple.of(tenant, id, attempt, data == null ? new JsonObject() : data))
      .compose(rows -> rows.size() == 1
        ? Future.succeededFuture(Trace.fromRow(rows.iterator().next()))
        : refused(tenant, id, attempt).compose(cancelled -> Future.failedFuture(new ApiException(
          ApiError.conflict("task_cancelled", "Task '" + id + "' was cancelled before it completed.")))));
  }

  public Future<Trace> fail(String tenant, String id, int attempt, String reason, boolean retryable, long retryBaseMs) {
    return pool.preparedQuery(TaskSql.FAIL).execute(Tuple.of(tenant, id, attempt, reason, retryable, retryBaseMs))
      .compose(rows -> rows.size() == 1
        ? Future.succeededFuture(Trace.fromRow(rows.iterator().next()))
        : refused(tenant, id, attempt).compose(cancelled -> Future.failedFuture(new ApiException(
          ApiError.conflict("task_cancelled", "Task '" + id + "' was cancelled before it failed.")))));
  }

  public Future<List<Trace>> rescue(int limit, long retryBaseMs) {
    return pool.preparedQuery(TaskSql.RESCUE).execute(Tuple.of(limit, retryBaseMs)).map(TaskStore::all);
  }

  /** Deletes at most {@code batch} tasks in {@code status} older than {@code ageSeconds}; completes with the count. */
  /** Deletes one batch of terminal tasks older than {@code ageSeconds}; returns what it deleted. */
  public Future<List<Trace>> expire(TaskStatus status, long ageSeconds, int batch) {
    return pool.preparedQuery(TaskSql.EXPIRE).execute(Tuple.of(status.wire(), ageSeconds, batch))
      .map(TaskStore::all);
  }

  public Future<List<Trace>> release(String worker) {
    return pool.preparedQuery(TaskSql.RELEASE).execute(Tuple.of(worker)).map(TaskStore::all);
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

  private static Trace one(RowSet<Row> rows, String id) {
    if (rows.size() == 0) {
      throw new ApiException(ApiError.taskNotFound(id));
    }
    return Trace.fromRow(rows.iterator().next());
  }

  private static List<Trace> all(RowSet<Row> rows) {
    List<Trace> out = new ArrayList<>(rows.size());
    for (Row row : rows) {
      out.add(Trace.fromRow(row));
    }
    return out;
  }

  /** The list object of API.md. */
  public static JsonObject listJson(Page page) {
    JsonArray data = new JsonArray();
    page.traces().forEach(t -> data.add(t.toJson()));
    List<Trace> traces = page.traces();
    return new JsonObject()
      .put("object", "list")
      .put("data", data)
      .put("first_id", traces.isEmpty() ? null : traces.get(0).id())
      .put("last_id", traces.isEmpty() ? null : traces.get(traces.size() - 1).id())
      .put("has_more", page.hasMore());
  }
}
