package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rescue of lost workers: with a 1 s lease and a rescue pass every 200 ms, a claimed task that
 * nobody reports on goes back to pending, and fails once its attempts are used up; reports keep the
 * lease alive. The tests wait for the published facts, never for a fixed time.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class StoreRescueTest {

  private static final long LEASE_MS = 1000;
  private static final long RESCUE_INTERVAL_MS = 200;

  private StoreFixture store;

  @BeforeEach
  void startStore(Vertx vertx, VertxTestContext ctx) {
    store = StoreFixture.onFreshDatabase(vertx);
    store.start(StoreFixture.settings(store.db, LEASE_MS, 0, RESCUE_INTERVAL_MS)).onComplete(ctx.succeedingThenComplete());
  }

  /** The first fact about {@code id} with {@code status} from version {@code minVersion} on. */
  private static Future<Message<JsonObject>> fact(UpdatesRecorder updates, String id, String status, long minVersion) {
    return updates.first(m -> id.equals(m.headers().get(Addresses.HEADER_TASK_ID))
      && status.equals(m.headers().get(Addresses.HEADER_STATUS))
      && Long.parseLong(m.headers().get(Addresses.HEADER_VERSION)) >= minVersion);
  }

  @Test
  void lostWorkersTaskIsRetriedThenFailed(Vertx vertx, VertxTestContext ctx) {
    String id = "lost-1";
    UpdatesRecorder.listen(vertx).compose(updates -> store.create(new JsonObject().put("type", "noop").put("id", id)
        .put("max_attempts", 2))
      .compose(t -> claimAndWaitForRescue(updates, id, 1, "pending"))
      .compose(rescued -> {
        assertEquals(null, rescued.body().getValue("failure_reason"));
        // The lost worker comes back too late: its attempt no longer holds the task.
        return store.refused(Addresses.JOB_COMPLETE, new JsonObject().put("id", id).put("attempt", 1), 409, "lease_lost");
      })
      .compose(e -> claimAndWaitForRescue(updates, id, 2, "failed"))
      .compose(failed -> {
        String reason = failed.body().getString("failure_reason");
        assertTrue(reason != null && reason.toLowerCase(Locale.ROOT).contains("worker")
          && reason.toLowerCase(Locale.ROOT).contains("lost"), () -> "failure_reason " + reason);
        return store.get(id).map(t -> {
          assertEquals("failed", t.getString("status"));
          assertEquals(reason, t.getString("failure_reason"));
          return null;
        });
      })
      .compose(v -> store.claim("w", 10, "noop"))
      .map(jobs -> {
        assertTrue(jobs.isEmpty(), "a failed task is never claimed again");
        return null;
      }))
      .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Claims {@code id} (expecting {@code attempt}), then reports nothing and waits for the rescue to
   * move it to {@code status}, which must not happen before the lease ran out.
   */
  private Future<Message<JsonObject>> claimAndWaitForRescue(UpdatesRecorder updates, String id, int attempt,
                                                            String status) {
    long claimedAt = System.nanoTime();
    return store.request(Addresses.JOB_CLAIM, new JsonObject().put("types", new JsonArray().add("noop"))
        .put("limit", 1).put("worker", "doomed-" + attempt))
      .compose(reply -> {
        JsonObject job = reply.body().getJsonArray("jobs").getJsonObject(0);
        assertEquals(id, job.getString("id"));
        assertEquals(attempt, job.getInteger("attempt"));
        return store.request(Addresses.GET, new JsonObject().put("id", id));
      })
      .compose(got -> {
        assertEquals("in_progress", got.body().getString("status"));
        long claimedVersion = Long.parseLong(got.headers().get(Addresses.HEADER_VERSION));
        return fact(updates, id, status, claimedVersion + 1);
      })
      .map(rescued -> {
        long waitedMs = (System.nanoTime() - claimedAt) / 1_000_000;
        // 50 ms of slack for the database clock against this JVM's.
        assertTrue(waitedMs >= LEASE_MS - 50, () -> "rescued after " + waitedMs + " ms, before the lease ran out");
        StoreFixture.assertTrace(rescued.body());
        return rescued;
      });
  }

  @Test
  void reportsKeepTheLeaseAlive(Vertx vertx, VertxTestContext ctx) {
    String id = "alive-1";
    UpdatesRecorder.listen(vertx).compose(updates -> store.create(new JsonObject().put("type", "noop").put("id", id))
      .compose(t -> store.claimOnly(id, "noop"))
      .compose(job -> {
        // Heartbeats every 200 ms for 1.4 s, longer than the lease.
        Future<Void> beats = Future.succeededFuture();
        for (int i = 0; i < 7; i++) {
          beats = beats.compose(v -> vertx.timer(200))
            .compose(v -> store.call(Addresses.JOB_PROGRESS, report(job)))
            .map(reply -> {
              assertEquals(new JsonObject().put("cancelled", false), reply);
              return null;
            });
        }
        return beats.map(job);
      })
      .compose(job -> store.get(id).map(t -> {
        assertEquals("in_progress", t.getString("status"), "a task whose worker reports is not rescued");
        assertEquals(List.of("pending", "in_progress"),
          updates.about(id).stream().map(m -> m.headers().get(Addresses.HEADER_STATUS)).toList(),
          "heartbeats publish nothing, and no rescue happened");
        return job;
      }))
      // Once the reports stop, the same task is rescued: the check above could have failed.
      .compose(job -> fact(updates, id, "pending", 3))
      .compose(rescued -> store.claimOnly(id, "noop"))
      .map(job -> {
        assertEquals(2, job.getInteger("attempt"));
        return null;
      }))
      .onComplete(ctx.succeedingThenComplete());
  }
}
