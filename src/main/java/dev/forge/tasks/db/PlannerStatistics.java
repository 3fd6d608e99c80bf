package dev.forge.tasks.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of a store's tables where Postgres's autovacuum does not (off on
 * the server, or for the table). Without it nothing ever analyses them, and what the migrations left
 * misleads the planner for good: a partial index created on an empty table counts as empty however
 * much it holds, so every completion, progress report and heartbeat ("tenant = $1 AND id = $2 AND
 * status = 'in_progress'") was planned as a scan of every running task's lease instead of a
 * primary-key lookup (bench/results-webhooks.md), and prepared plans are never made again.
 *
 * <p>Every {@value #EVERY_MS} ms, a table that changed by more than autovacuum's own threshold since
 * it was last analysed (50 rows + 10 %) is analysed, by one store instance of one node at a time (an
 * advisory lock; the others skip it); an analysis also makes Postgres plan the prepared statements
 * that read the table again. Where autovacuum runs, it does nothing. It never vacuums: dead rows
 * stay until the operator runs VACUUM, as they would with any client.
 */
public final class PlannerStatistics {

  private static final Logger LOG = LoggerFactory.getLogger(PlannerStatistics.class);
  static final long EVERY_MS = 30_000;
  private static final Pattern TABLE = Pattern.compile("[a-z_]+");
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  /** $1 table names. Those whose statistics autovacuum does not keep and that changed enough since they were analysed. */
  private static final String DUE = """
      SELECT s.relname::text AS name, s.n_mod_since_analyze AS changed, current_setting('autovacuum') = 'off' AS server_off
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.relname = ANY ($1::text[]) AND s.schemaname = current_schema()
        AND (current_setting('autovacuum') = 'off' OR c.reloptions @> ARRAY['autovacuum_enabled=false'])
        AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)""";

  private PlannerStatistics() {
  }

  /** Checks {@code tables} every {@value #EVERY_MS} ms on the calling verticle's context (cancelled with it). */
  static void keep(Vertx vertx, Pool pool, List<String> tables) {
    tables.forEach(PlannerStatistics::checked);
    vertx.setPeriodic(EVERY_MS, timer -> analyseDue(pool, tables)
      .onFailure(e -> LOG.debug("Could not analyse {}: {}", tables, e.getMessage())));
  }

  /** Analyses those of {@code tables} that are due (see the class); the names of those this call analysed. */
  public static Future<List<String>> analyseDue(Pool pool, List<String> tables) {
    return pool.preparedQuery(DUE).execute(Tuple.of(tables.stream().map(PlannerStatistics::checked).toArray(String[]::new)))
      .compose(rows -> {
        List<Future<String>> analysed = new ArrayList<>();
        for (Row row : rows) {
          if (row.getBoolean("server_off") && WARNED.compareAndSet(false, true)) {
            LOG.warn("Postgres runs with autovacuum off: the stores analyse their own tables for the planner, but dead rows"
              + " stay until VACUUM runs (set autovacuum = on, or vacuum on a schedule)");
          }
          analysed.add(analyse(pool, row.getString("name"), row.getLong("changed")));
        }
        return Future.all(analysed).map(all -> all.<String>list().stream().filter(Objects::nonNull).toList());
      });
  }

  /** ANALYZE {@code table} unless another store instance is analysing it; its name, or null when skipped. */
  private static Future<String> analyse(Pool pool, String table, long changed) {
    return pool.withTransaction(c -> c.preparedQuery("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS mine")
      .execute(Tuple.of("forge planner statistics " + table))
      .compose(rows -> rows.iterator().next().getBoolean("mine")
        ? c.query("ANALYZE " + table).execute().map(done -> {
          LOG.debug("Analysed {} ({} rows changed since its last analysis)", table, changed);
          return table;
        })
        : Future.succeededFuture(null)));
  }

  /** A table name as the stores write them in code; never a value from a request. */
  private static String checked(String table) {
    if (!TABLE.matcher(table).matches()) {
      throw new IllegalArgumentException("not a table name: " + table);
    }
    return table;
  }
}
