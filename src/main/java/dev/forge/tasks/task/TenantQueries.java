package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.bus.ListQuery;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Read-only queries over all of a tenant's tasks, for the tenant-wide event stream and the
 * dashboard: {@link Addresses#EVENTS_REPLAY} (tasks changed since a point in time, for a stream
 * that resumes) and {@link Addresses#COUNTS} (tasks by status), answered by each store verticle
 * on its own pool; it writes nothing, so any number of instances may answer.
 *
 * <p>Neither query has an index of its own ({@code (tenant, updated_at)} would serve the replay):
 * both read the tenant's rows through the primary key. That is fine for a resume or a dashboard
 * opening, not for a request on every poll.
 */
final class TenantQueries {

  /**
   * $1 tenant, $2 since (µs since the epoch), $3 after seq, $4 statuses or null, $5 type or null,
   * $6 limit. Keyset order on (updated_at, seq), so that pages neither skip nor repeat a row.
   */
  static final String CHANGED_SINCE = "SELECT " + Trace.COLUMNS + """
      , (extract(epoch from updated_at) * 1000000)::bigint AS updated_us FROM tasks
      WHERE tenant = $1
        AND (updated_at, seq) > (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::bigint)
        AND ($4::text[] IS NULL OR status = ANY($4::text[]))
        AND ($5::text IS NULL OR type = $5::text)
      ORDER BY updated_at, seq
      LIMIT $6""";

  /** $1 tenant, $2 type or null. */
  static final String COUNT_BY_STATUS = """
      SELECT status, count(*) AS n FROM tasks
      WHERE tenant = $1 AND ($2::text IS NULL OR type = $2::text)
      GROUP BY status""";

  private final Pool pool;

  TenantQueries(Pool pool) {
    this.pool = pool;
  }

  /** The reply of {@link Addresses#EVENTS_REPLAY}. */
  Future<JsonObject> replay(JsonObject body) {
    long since = BusBodies.number(body, "since_us", 0, Long.MAX_VALUE, 0);
    long afterSeq = BusBodies.number(body, "after_seq", 0, Long.MAX_VALUE, 0);
    int limit = BusBodies.integer(body, "limit", 1, 500, 200);
    List<TaskStatus> filter = ListQuery.statuses(body.getValue("status"));
    String[] statuses = filter == null ? null : filter.stream().map(TaskStatus::wire).toArray(String[]::new);
    String type = BusBodies.optString(body, "type");
    Tuple args = Tuple.tuple().addString(BusBodies.tenant(body)).addLong(since).addLong(afterSeq)
      .addArrayOfString(statuses).addString(type).addInteger(limit + 1);
    return pool.preparedQuery(CHANGED_SINCE).execute(args).map(rows -> {
      JsonArray events = new JsonArray();
      boolean more = false;
      for (Row row : rows) {
        if (events.size() == limit) {
          more = true;
          break;
        }
        Trace t = Trace.fromRow(row);
        events.add(new JsonObject().put("trace", t.toJson()).put("version", t.version()).put("etag", t.etag())
          .put("updated_us", row.getLong("updated_us")).put("seq", t.seq()));
      }
      return new JsonObject().put("events", events).put("has_more", more);
    });
  }

  /** The reply of {@link Addresses#COUNTS}. */
  Future<JsonObject> counts(JsonObject body) {
    String type = BusBodies.optString(body, "type");
    return pool.preparedQuery(COUNT_BY_STATUS).execute(Tuple.of(BusBodies.tenant(body), type)).map(rows -> {
      JsonObject counts = new JsonObject();
      for (TaskStatus s : TaskStatus.values()) {
        counts.put(s.wire(), 0L);
      }
      long total = 0;
      for (Row row : rows) {
        counts.put(row.getString("status"), row.getLong("n"));
        total += row.getLong("n");
      }
      return new JsonObject().put("object", "task_counts").put("type", type).put("counts", counts).put("total", total);
    });
  }
}
