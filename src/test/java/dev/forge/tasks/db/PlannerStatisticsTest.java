package dev.forge.tasks.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Where autovacuum does not run (here the table's own switch, so that the embedded Postgres, which
 * runs it, shows the case too), a store analyses its tables itself: once a table changed by more than
 * autovacuum's threshold since its last analysis, and not again until it changes that much again.
 * The tasks table in miniature: its leases index made on the empty table, as the migrations make it.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class PlannerStatisticsTest {

  private static final String STATISTICS = "SELECT (SELECT coalesce(last_analyze::text, 'never') FROM pg_stat_user_tables "
    + "WHERE relname = 'jobs') || ' ' || (SELECT reltuples::bigint FROM pg_class WHERE relname = 'jobs_leases')";

  @Test
  void aTableAutovacuumLeavesAloneIsAnalysedOnceItChangedEnough(Vertx vertx, VertxTestContext ctx) {
    PgConnectOptions db = TestDatabase.freshDatabase();
    TestDatabase.sql(db, "CREATE TABLE jobs (tenant text, id text, status text NOT NULL, lease timestamptz, "
      + "PRIMARY KEY (tenant, id)) WITH (autovacuum_enabled = false)");
    TestDatabase.sql(db, "CREATE INDEX jobs_leases ON jobs (lease) WHERE status = 'running'");
    TestDatabase.sql(db, "INSERT INTO jobs SELECT 't', 'j-' || g, CASE WHEN g % 50 = 0 THEN 'running' ELSE 'done' END, "
      + "now() + g * interval '1 second' FROM generate_series(1, 5000) g");
    assertTrue(TestDatabase.inRolledBackTransaction(db, STATISTICS).startsWith("never "), "not analysed yet");
    Pool pool = StorePool.open(vertx, db, 2, 16, "statistics-test");
    PlannerStatistics.analyseDue(pool, List.of("jobs"))
      .compose(analysed -> {
        ctx.verify(() -> {
          assertEquals(List.of("jobs"), analysed);
          String[] statistics = TestDatabase.inRolledBackTransaction(db, STATISTICS).split(" ");
          assertTrue(!statistics[0].equals("never"), "analysed: " + String.join(" ", statistics));
          // The leases index now counts its 100 running rows (it counted 0: made on the empty table).
          assertEquals("100", statistics[statistics.length - 1]);
        });
        return PlannerStatistics.analyseDue(pool, List.of("jobs"));
      })
      .onComplete(ctx.succeeding(again -> ctx.verify(() -> {
        assertEquals(List.of(), again, "nothing changed since the analysis");
        pool.close();
        ctx.completeNow();
      })));
  }
}
