package dev.forge.tasks.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Migrations}: idempotent, and safe when several nodes start on one fresh database at once. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class MigrationsTest {

  private PgConnectOptions db;
  private List<Integer> versions;

  @BeforeEach
  void freshDatabase() throws Exception {
    db = TestDatabase.freshDatabase();
    versions = Migrations.load().stream().map(Migrations.Migration::version).toList();
    assertTrue(!versions.isEmpty(), "the classpath holds migrations");
  }

  @Test
  void secondRunAppliesNothing(Vertx vertx, VertxTestContext ctx) {
    Migrations.migrate(vertx, db)
      .compose(first -> {
        assertEquals(versions.size(), first, "a fresh database gets every migration");
        return Migrations.migrate(vertx, db);
      })
      .compose(second -> {
        assertEquals(0, second, "nothing is applied twice");
        return appliedVersions(vertx);
      })
      .map(applied -> {
        assertEquals(versions, applied);
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void concurrentRunsOnAFreshDatabaseBothSucceed(Vertx vertx, VertxTestContext ctx) {
    List<Future<Integer>> runs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      runs.add(Migrations.migrate(vertx, db));
    }
    Future.all(runs)
      .map(all -> {
        List<Integer> counts = new ArrayList<>(all.<Integer>list());
        counts.sort(null);
        assertEquals(List.of(0, 0, versions.size()), counts, "one run applies everything, the others wait and find nothing");
        return null;
      })
      .compose(v -> appliedVersions(vertx))
      .map(applied -> {
        assertEquals(versions, applied, "each migration recorded once");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  private Future<List<Integer>> appliedVersions(Vertx vertx) {
    return PgConnection.connect(vertx, db).compose(conn -> conn
      .query("SELECT version FROM schema_history ORDER BY version").execute()
      .compose(rows -> conn.query("SELECT count(*) FROM tasks").execute().map(count -> {
        assertEquals(0L, count.iterator().next().getLong(0), "the tasks table exists, empty");
        List<Integer> applied = new ArrayList<>();
        for (Row row : rows) {
          applied.add(row.getInteger(0));
        }
        return applied;
      }))
      .eventually(conn::close));
  }
}
