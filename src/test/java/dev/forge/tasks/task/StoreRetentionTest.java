package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreFixture.idBody;
import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention: completed and cancelled tasks older than their age are deleted, a small batch at a
 * time, while failed tasks (with a longer age) and live tasks stay.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class StoreRetentionTest {

  @Test
  void oldTerminalTasksAreDeletedInBatchesAndOthersStay(Vertx vertx, VertxTestContext ctx) {
    StoreFixture store = StoreFixture.onFreshDatabase(vertx);
    StoreVerticle.Settings base = StoreFixture.settings(store.db, 30_000, 0, 0);
    // Completed and cancelled kept 1 s, failed 1 hour; a pass every 200 ms, 2 rows per batch.
    StoreVerticle.Settings settings = new StoreVerticle.Settings(base.connect(), base.poolSize(), base.knownTypes(),
      1, base.leaseMs(), base.retryBaseMs(), base.rescueIntervalMs(),
      new StoreVerticle.Retention(1, 1, 3600, 200, 2));
    List<String> done = List.of("done-1", "done-2", "done-3");
    List<String> kept = List.of("failed-1", "pending-1");
    Future<Void> setUp = store.start(settings);
    for (String id : done) {
      setUp = setUp.compose(v -> store.create(new JsonObject().put("type", "noop").put("id", id)))
        .compose(t -> store.claimOnly(id, "noop"))
        .compose(job -> store.call(Addresses.JOB_COMPLETE, report(job))).mapEmpty();
    }
    setUp = setUp.compose(v -> store.create(new JsonObject().put("type", "noop").put("id", "cancelled-1")))
      .compose(t -> store.call(Addresses.CANCEL, idBody("cancelled-1")))
      .compose(t -> store.create(new JsonObject().put("type", "noop").put("id", "failed-1")))
      .compose(t -> store.claimOnly("failed-1", "noop"))
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "broken").put("retryable", false)))
      .compose(t -> store.create(new JsonObject().put("type", "noop").put("id", "pending-1"))).mapEmpty();
    setUp.compose(v -> waitUntilGone(vertx, store, List.of("done-1", "done-2", "done-3", "cancelled-1"), 100))
      .compose(v -> Future.all(kept.stream().map(store::get).toList()))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        assertEquals("failed", ((JsonObject) all.resultAt(0)).getString("status"));
        assertEquals("pending", ((JsonObject) all.resultAt(1)).getString("status"));
        ctx.completeNow();
      })));
  }

  /** Polls until every id answers 404, at most {@code tries} times 100 ms apart. */
  private static Future<Void> waitUntilGone(Vertx vertx, StoreFixture store, List<String> ids, int tries) {
    List<Future<Boolean>> gone = ids.stream().map(id -> store.request(Addresses.GET, idBody(id))
      .transform(r -> Future.succeededFuture(r.failed()
        && ApiError.fromThrowable(r.cause()) != null
        && ApiError.fromThrowable(r.cause()).status() == 404))).toList();
    return Future.all(gone).compose(all -> {
      if (gone.stream().allMatch(Future::result)) {
        return Future.succeededFuture();
      }
      if (tries == 0) {
        return Future.failedFuture("still present after 10 s: " + ids);
      }
      return vertx.timer(100).compose(t -> waitUntilGone(vertx, store, ids, tries - 1));
    });
  }
}
