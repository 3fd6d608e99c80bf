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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The task table's operations, each one statement in the common case. The state machine lives in
 * the {@code WHERE} clauses: an update that finds its row in the wrong state changes nothing, and a
 * second read tells the caller why.
 *
 * <p>Creates and completions are group-committed ({@link GroupCommit}): under load, those that
 * arrive while one such statement is in flight leave together as one multi-row statement, so many
 * tasks share one commit; each caller still gets the answer the single-row path would give it.
 * Used from one verticle context only (the batches are not thread-safe).
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

  /** The most rows one group-committed statement carries. */
  static final int MAX_BATCH = 256;

  private record Key(String tenant, String id) {
  }

  private record NewTask(String tenant, String id, String type, JsonObject data, JsonObject input, int maxAttempts) {
  }

  private record Completion(String tenant, String id, int attempt, JsonObject data) {
    /** The parameters of {@link TaskSql#COMPLETE}. */
    Tuple args() {
      return Tuple.of(tenant, id, attempt, data);
    }
  }

  private final Pool pool;
  private final GroupCommit<Key, NewTask, Created> creates;
  private final GroupCommit<Key, Completion, Trace> completions;

  public TaskStore(Pool pool) {
    this(pool, TaskMetrics.none(), (tenant, id) -> { });
  }

  /**
   * A store that counts the size of its group-committed statements into {@code metrics}, and tells
   * {@code unsure} (tenant, id) of each task a group-committed write may have changed without an
   * answer (the connection broke while the statement was in flight).
   */
  public TaskStore(Pool pool, TaskMetrics metrics, BiConsumer<String, String> unsure) {
    this.pool = pool;
    this.creates = new GroupCommit<>(MAX_BATCH, n -> metrics.batch("create", n), this::createOne, this::createMany,
      k -> unsure.accept(k.tenant(), k.id()));
    this.completions = new GroupCommit<>(MAX_BATCH, n -> metrics.batch("complete", n), this::completeOne,
      this::completeMany, k -> unsure.accept(k.tenant(), k.id()));
  }

  /**
   * Creates the task, or finds the existing one of this id: {@code created} false when it has this
   * type, 409 {@code id_conflict} when it has another.
   */
  public Future<Created> create(String tenant, String id, String type, JsonObject data, JsonObject input,
                                int maxAttempts) {
    return creates.submit(new Key(tenant, id), new NewTask(tenant, id, type, data, input, maxAttempts));
  }

  private Future<Map<Key, Created>> createMany(List<NewTask> tasks) {
    int n = tasks.size();
    String[] tenants = new String[n];
    String[] ids = new String[n];
    String[] types = new String[n];
    JsonObject[] data = new JsonObject[n];
    JsonObject[] inputs = new JsonObject[n];
    Integer[] maxAttempts = new Integer[n];
    for (int i = 0; i < n; i++) {
      NewTask t = tasks.get(i);
      tenants[i] = t.tenant();
      ids[i] = t.id();
      types[i] = t.type();
      data[i] = t.data();
      inputs[i] = t.input();
      maxAttempts[i] = t.maxAttempts();
    }
    Tuple args = Tuple.tuple().addArrayOfString(tenants).addArrayOfString(ids).addArrayOfString(types)
      .addArrayOfJsonObject(data).addArrayOfJsonObject(inputs).addArrayOfInteger(maxAttempts);
    return pool.preparedQuery(TaskSql.INSERT_MANY).execute(args).map(rows -> {
      Map<Key, Created> out = new HashMap<>();
      byKey(rows).forEach((key, t) -> out.put(key, new Created(t, true)));
      return out;
    });
  }

  private Future<Created> createOne(NewTask n) {
    String tenant = n.tenant();
    String id = n.id();
    String type = n.type();
    return pool.preparedQuery(TaskSql.INSERT).execute(Tuple.of(tenant, id, type, n.data(), n.input(), n.maxAttempts()))
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

  /**
   * Completes the running attempt; 409 {@code task_cancelled} when a cancel came first, 409
   * {@code lease_lost} when the attempt no longer runs, 404 when the task is gone.
   */
  public Future<Trace> complete(String tenant, String id, int attempt, JsonObject data) {
    return completions.submit(new Key(tenant, id), new Completion(tenant, id, attempt, data == null ? new JsonObject() : data));
  }

  /**
   * The single-task {@link TaskSql#COMPLETE}, once per completion, sent as one batch: one round trip
   * and one transaction (Postgres commits the whole batch at its one Sync). Each row is found by
   * primary key whatever the table's statistics; a join of the rows against {@code unnest} of arrays
   * was planned, on a table never analysed, as a scan of every running task's lease entry, dead ones
   * included (7 ms per batch after 80,000 tasks; BENCHMARKS.md).
   */
  private Future<Map<Key, Trace>> completeMany(List<Completion> list) {
    List<Tuple> batch = new ArrayList<>(list.size());
    for (Completion c : list) {
      batch.add(c.args());
    }
    return pool.preparedQuery(TaskSql.COMPLETE).executeBatch(batch).map(TaskStore::byKey);
  }

  /** The rows of a result, and of every result after it in a batch, by task. */
  private static Map<Key, Trace> byKey(RowSet<Row> results) {
    Map<Key, Trace> out = new HashMap<>();
    for (RowSet<Row> rows = results; rows != null; rows = rows.next()) {
      for (Row row : rows) {
        Trace t = Trace.fromRow(row);
        out.put(new Key(t.tenant(), t.id()), t);
      }
    }
    return out;
  }

  private Future<Trace> completeOne(Completion c) {
    String tenant = c.tenant();
    String id = c.id();
    int attempt = c.attempt();
    return pool.preparedQuery(TaskSql.COMPLETE)
      .execute(c.args())
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
