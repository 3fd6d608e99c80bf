package dev.forge.tasks.task;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.ListQuery;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.db.Keyset;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The task table's operations on behalf of clients (create, read, list, cancel, delete) and of
 * retention, each one statement in the common case; {@link JobStore} has those of the workers. The
 * state machine lives in the {@code WHERE} clauses: an update that finds its row in the wrong state
 * changes nothing, and a second read tells the caller why.
 *
 * <p>Creates are group-committed ({@link GroupCommit}): under load, those that arrive while one such
 * statement is in flight leave together as one multi-row statement, so many tasks share one commit;
 * each caller still gets the answer the single-row path would give it. Used from one verticle
 * context only (the batches are not thread-safe).
 */
final class TaskStore {

  /** A create's outcome: the task, and whether this call made it. */
  record Created(Trace trace, boolean created) {
  }

  /** A cancel's outcome: the task, and whether this call changed it. */
  record Cancelled(Trace trace, boolean changed) {
  }

  /** A task to create. */
  record NewTask(String tenant, String id, String type, JsonObject data, JsonObject input, int maxAttempts) {
  }

  /** The most rows one group-committed statement carries. */
  static final int MAX_BATCH = 256;

  private final Pool pool;
  private final Keyset keyset;
  private final GroupCommit<TaskKey, NewTask, Created> creates;

  /**
   * A store that counts the size of its group-committed statements into {@code metrics}, and tells
   * {@code unsure} of each task a group-committed write may have changed without an answer (the
   * connection broke while the statement was in flight).
   */
  TaskStore(Pool pool, TaskMetrics metrics, Consumer<TaskKey> unsure) {
    this.pool = pool;
    this.keyset = new Keyset(pool, TaskSql.SEQ_OF, "task");
    this.creates = new GroupCommit<>(MAX_BATCH, n -> metrics.batch("create", n), this::createOne, this::createMany,
      unsure);
  }

  /**
   * Creates the task, or finds the existing one of this id: {@code created} false when it has this
   * type, 409 {@code id_conflict} when it has another.
   */
  Future<Created> create(NewTask task) {
    return creates.submit(new TaskKey(task.tenant(), task.id()), task);
  }

  private Future<Map<TaskKey, Created>> createMany(List<NewTask> tasks) {
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
      Map<TaskKey, Created> out = new HashMap<>();
      Rows.byKey(rows).forEach((key, t) -> out.put(key, new Created(t, true)));
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
          return Future.succeededFuture(new Created(Rows.first(rows), true));
        }
        return get(tenant, id).compose(existing -> existing.type().equals(type)
          ? Future.succeededFuture(new Created(existing, false))
          : Future.failedFuture(new ApiException(ApiError.conflict("id_conflict",
            "A task with id '" + id + "' already exists with another type."))));
      });
  }

  /** Succeeds once the database answers a query. */
  Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  Future<Long> countPending() {
    return pool.query(TaskSql.COUNT_PENDING).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * How many other server nodes have sessions on this database: application names that start with
   * {@code prefix}, other than {@code self}.
   */
  Future<Long> otherNodes(String prefix, String self) {
    return pool.preparedQuery(TaskSql.OTHER_NODES).execute(Tuple.of(self, prefix + "%"))
      .map(rows -> rows.iterator().next().getLong(0));
  }

  Future<Trace> get(String tenant, String id) {
    return pool.preparedQuery(TaskSql.GET).execute(Tuple.of(tenant, id)).map(rows -> Rows.one(rows, id));
  }

  /** One page in creation order; an unknown cursor is refused rather than read as "from the start". */
  Future<Keyset.Page<Trace>> list(String tenant, ListQuery q) {
    return keyset.bounds(tenant, q.ascending(), q.after(), q.before()).compose(page -> {
      String[] statuses = q.statuses() == null ? null : q.statuses().stream().map(TaskStatus::wire).toArray(String[]::new);
      Tuple args = Tuple.tuple().addString(tenant).addArrayOfString(statuses).addString(q.type())
        .addLong(page.lower()).addLong(page.upper()).addInteger(q.limit() + 1);
      return pool.preparedQuery(page.sqlAscending() ? TaskSql.LIST_ASC : TaskSql.LIST_DESC).execute(args)
        .map(rows -> page.page(Rows.all(rows), q.limit()));
    });
  }

  Future<Cancelled> cancel(String tenant, String id) {
    return pool.preparedQuery(TaskSql.CANCEL).execute(Tuple.of(tenant, id)).compose(rows -> {
      if (rows.size() == 1) {
        return Future.succeededFuture(new Cancelled(Rows.first(rows), true));
      }
      return get(tenant, id).compose(t -> t.status() == TaskStatus.CANCELLED
        ? Future.succeededFuture(new Cancelled(t, false))
        : Future.failedFuture(new ApiException(ApiError.conflict("task_not_cancellable",
          "Task '" + id + "' is " + t.status().wire() + " and can no longer be cancelled."))));
    });
  }

  Future<Trace> delete(String tenant, String id) {
    return pool.preparedQuery(TaskSql.DELETE).execute(Tuple.of(tenant, id)).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(Rows.first(rows))
      : get(tenant, id).compose(t -> Future.failedFuture(new ApiException(ApiError.conflict("task_not_deletable",
        "Task '" + id + "' is " + t.status().wire() + "; only completed, failed or cancelled tasks can be deleted.")))));
  }

  /** Deletes one batch of at most {@code batch} tasks in {@code status} older than {@code ageSeconds}; returns them. */
  Future<List<Trace>> expire(TaskStatus status, long ageSeconds, int batch) {
    return pool.preparedQuery(TaskSql.EXPIRE).execute(Tuple.of(status.wire(), ageSeconds, batch)).map(Rows::all);
  }
}
