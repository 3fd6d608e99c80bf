package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreFixture.idBody;
import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The job side of the store through the bus: claim, progress, complete, fail and release, and the
 * state machine that keeps stale or late reports from changing anything. The store runs with a
 * long lease, no rescue timer and no retry backoff unless a test says otherwise.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class StoreJobTest {

  private StoreFixture store;

  @BeforeEach
  void startStore(Vertx vertx, VertxTestContext ctx) {
    store = StoreFixture.onFreshDatabase(vertx);
    store.start().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void claimTakesOnlyRequestedTypesOldestFirstWithInputAndLease(VertxTestContext ctx) {
    JsonObject input = new JsonObject().put("text", "hello world").put("n", 2);
    store.create(new JsonObject().put("type", "document_analysis").put("id", "doc-1").put("input", input)
        .put("data", new JsonObject().put("file_id", "f1")).put("tenant", "acme"))
      .compose(v -> store.create(new JsonObject().put("type", "noop").put("id", "noop-1")))
      .compose(v -> store.create(new JsonObject().put("type", "document_analysis").put("id", "doc-2")))
      .compose(v -> store.claim("worker-a", 1, "document_analysis"))
      .map(jobs -> {
        assertEquals(1, jobs.size());
        JsonObject job = jobs.getJsonObject(0);
        assertEquals("acme", job.getString("tenant"));
        assertEquals("doc-1", job.getString("id"), "oldest first");
        assertEquals("document_analysis", job.getString("type"));
        assertEquals(1, job.getInteger("attempt"));
        assertEquals(input, job.getJsonObject("input"));
        assertEquals(new JsonObject().put("operation", "document_analysis").put("file_id", "f1"), job.getJsonObject("data"));
        assertEquals(30_000L, job.getLong("lease_ms"));
        return null;
      })
      .compose(v -> store.call(Addresses.GET, new JsonObject().put("tenant", "acme").put("id", "doc-1")))
      .map(t -> {
        assertEquals("in_progress", t.getString("status"));
        assertEquals(0.0, t.getDouble("progress"));
        return null;
      })
      .compose(v -> store.claim("worker-a", 10, "document_analysis", "no_such_type"))
      .map(jobs -> {
        assertEquals(List.of("doc-2"), jobIds(jobs), "only pending tasks of the requested types");
        assertEquals(new JsonObject(), jobs.getJsonObject(0).getJsonObject("input"), "no input reads as {}");
        return null;
      })
      .compose(v -> store.claim("worker-a", 10, "no_such_type"))
      .map(jobs -> {
        assertTrue(jobs.isEmpty());
        return null;
      })
      .compose(v -> store.claim("worker-a", 10, "noop"))
      .map(jobs -> {
        assertEquals(List.of("noop-1"), jobIds(jobs));
        return null;
      })
      .compose(v -> store.claim("worker-a", 100, "noop", "document_analysis"))
      .map(jobs -> {
        assertTrue(jobs.isEmpty(), "nothing is claimed twice");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * A claim reads the oldest due rows of each type in index order and stops at its limit: behind a
   * backlog of 3,000 pending tasks of two types, a claim of 5 takes the 5 oldest of both types and
   * reads at most 5 index entries per type (a plan that sorts the backlog reads all 3,000, on every
   * claim).
   */
  @Test
  void claimTakesTheOldestOfAllTypesAndReadsOnlyWhatItTakes(VertxTestContext ctx) {
    TestDatabase.sql(store.db, """
        INSERT INTO tasks (tenant, id, type, data)
        SELECT 'default', 'backlog-' || lpad(n::text, 5, '0'), CASE WHEN n % 3 = 0 THEN 'noop' ELSE 'document_analysis' END,
               '{}'::jsonb
        FROM generate_series(1, 3000) AS n""");
    String plan = TestDatabase.inRolledBackTransaction(store.db,
      "PREPARE claim(text[], int, text, double precision) AS " + TaskSql.CLAIM,
      "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim('{noop,document_analysis}', 5, 'explain', 30000)");
    long read = indexRowsRead(new JsonArray(plan).getJsonObject(0).getJsonObject("Plan"), "tasks_claimable");
    assertTrue(read > 0 && read <= 10, () -> "the claim read " + read + " entries of tasks_claimable: " + plan);
    store.claim("worker-a", 5, "noop", "document_analysis")
      .map(jobs -> {
        assertEquals(Set.of("backlog-00001", "backlog-00002", "backlog-00003", "backlog-00004", "backlog-00005"),
          Set.copyOf(jobIds(jobs)), "the oldest of both types");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  /** Index entries read from {@code index} anywhere in an EXPLAIN (ANALYZE, FORMAT JSON) plan. */
  private static long indexRowsRead(JsonObject node, String index) {
    long rows = index.equals(node.getString("Index Name"))
      ? node.getLong("Actual Rows") * node.getLong("Actual Loops") : 0;
    JsonArray children = node.getJsonArray("Plans");
    if (children != null) {
      for (Object child : children) {
        rows += indexRowsRead((JsonObject) child, index);
      }
    }
    return rows;
  }

  private static List<String> jobIds(JsonArray jobs) {
    List<String> ids = new ArrayList<>();
    jobs.forEach(j -> ids.add(((JsonObject) j).getString("id")));
    return ids;
  }

  @Test
  void concurrentClaimsNeverShareATask(VertxTestContext ctx) {
    int tasks = 60;
    List<Future<?>> creates = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      creates.add(store.create("noop"));
    }
    Future.all(creates)
      .compose(v -> {
        List<Future<JsonArray>> claims = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          claims.add(store.claim("worker-" + i, 8, "noop"));
        }
        return Future.all(claims).map(all -> {
          List<String> claimed = new ArrayList<>();
          for (int i = 0; i < claims.size(); i++) {
            JsonArray jobs = all.resultAt(i);
            jobs.forEach(j -> {
              claimed.add(((JsonObject) j).getString("id"));
              assertEquals(1, ((JsonObject) j).getInteger("attempt"));
            });
          }
          return claimed;
        });
      })
      .compose(claimed -> store.claim("late", 100, "noop").map(rest -> {
        List<String> all = new ArrayList<>(claimed);
        all.addAll(jobIds(rest));
        assertEquals(tasks, all.size(), () -> "claimed " + all);
        assertEquals(tasks, new HashSet<>(all).size(), "no task is claimed twice");
        return null;
      }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void claimRefusesBadBodies(VertxTestContext ctx) {
    Future.all(
        store.refused(Addresses.JOB_CLAIM, new JsonObject().put("types", new JsonArray().add("noop")).put("limit", 1),
          400, "invalid_parameter").map(e -> assertParam("worker", e.param())),
        store.refused(Addresses.JOB_CLAIM, new JsonObject().put("types", new JsonArray().add("noop")).put("limit", 0)
          .put("worker", "w"), 400, "invalid_parameter").map(e -> assertParam("limit", e.param())),
        store.refused(Addresses.JOB_CLAIM, new JsonObject().put("types", new JsonArray().add("noop")).put("limit", 101)
          .put("worker", "w"), 400, "invalid_parameter").map(e -> assertParam("limit", e.param())),
        store.refused(Addresses.JOB_CLAIM, new JsonObject().put("types", "noop").put("worker", "w"),
          400, "invalid_parameter").map(e -> assertParam("types", e.param())),
        store.refused(Addresses.JOB_CLAIM, new JsonObject().put("types", new JsonArray().add(1)).put("worker", "w"),
          400, "invalid_parameter").map(e -> assertParam("types", e.param())),
        store.refused(Addresses.JOB_CLAIM, new JsonObject().put("worker", "w"),
          400, "invalid_parameter").map(e -> assertParam("types", e.param())))
      .onComplete(ctx.succeedingThenComplete());
  }

  private static String assertParam(String expected, String actual) {
    assertEquals(expected, actual);
    return actual;
  }

  @Test
  void progressNeverDecreasesAndMergesDataShallowly(VertxTestContext ctx) {
    store.create(new JsonObject().put("type", "noop").put("data", new JsonObject().put("file_id", "f1")))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.5)
          .put("data", new JsonObject().put("stage", "parsing").put("nested", new JsonObject().put("a", 1))))
        .map(reply -> {
          assertEquals(new JsonObject().put("cancelled", false), reply);
          return job;
        }))
      .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.3)
          .put("data", new JsonObject().put("operation", "hijack").put("nested", new JsonObject().put("b", 2))))
        .map(job))
      .compose(job -> store.get(job.getString("id")).map(t -> {
        assertEquals(0.5, t.getDouble("progress"), "progress never goes back");
        assertEquals(new JsonObject().put("operation", "noop").put("file_id", "f1").put("stage", "parsing")
          .put("nested", new JsonObject().put("b", 2)), t.getJsonObject("data"), "shallow merge; operation is kept");
        assertEquals("in_progress", t.getString("status"));
        return job;
      }))
      .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 1)).map(job))
      .compose(job -> store.get(job.getString("id")))
      .map(t -> {
        assertEquals(1.0, t.getDouble("progress"));
        assertEquals("in_progress", t.getString("status"), "only complete completes");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void progressRefusesValuesOutsideZeroToOne(VertxTestContext ctx) {
    store.create("noop")
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> {
        List<Future<?>> checks = new ArrayList<>();
        for (Object bad : List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.01, 1.0001, 2,
            "0.5", true, new JsonObject())) {
          checks.add(store.refused(Addresses.JOB_PROGRESS, report(job).put("progress", bad), 400, "invalid_parameter")
            .map(e -> assertParam("progress", e.param())));
        }
        checks.add(store.refused(Addresses.JOB_PROGRESS, idBody(job.getString("id")).put("progress", 0.1), 400,
          "invalid_parameter").map(e -> assertParam("attempt", e.param())));
        checks.add(store.refused(Addresses.JOB_PROGRESS, report(job).put("data", "text"), 400, "invalid_parameter")
          .map(e -> assertParam("data", e.param())));
        return Future.all(checks).compose(v -> store.get(job.getString("id")));
      })
      .map(t -> {
        assertEquals(0.0, t.getDouble("progress"), "refused reports change nothing");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void reportsAfterCancelAreToldToStop(VertxTestContext ctx) {
    store.create("noop")
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.2)).map(job))
      .compose(job -> store.call(Addresses.CANCEL, idBody(job.getString("id"))).map(job))
      .compose(job -> Future.all(
          store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.6)),
          store.call(Addresses.JOB_PROGRESS, report(job)))
        .map(replies -> {
          assertEquals(new JsonObject().put("cancelled", true), replies.resultAt(0));
          assertEquals(new JsonObject().put("cancelled", true), replies.resultAt(1), "a heartbeat is told too");
          return job;
        }))
      .compose(job -> store.refused(Addresses.JOB_COMPLETE, report(job), 409, "task_cancelled").map(job))
      .compose(job -> store.refused(Addresses.JOB_FAIL, report(job).put("reason", "x").put("retryable", true),
        409, "task_cancelled").map(job))
      .compose(job -> store.get(job.getString("id")))
      .map(t -> {
        assertEquals("cancelled", t.getString("status"));
        assertEquals(0.2, t.getDouble("progress"), "nothing after the cancel was kept");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void completeSetsFullProgressAndMergesData(VertxTestContext ctx) {
    store.create(new JsonObject().put("type", "noop").put("data", new JsonObject().put("file_id", "f1")))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.3)
        .put("data", new JsonObject().put("stage", "parsing"))).map(job))
      .compose(job -> store.request(Addresses.JOB_COMPLETE, report(job).put("data", new JsonObject()
          .put("stage", "done").put("chunks_created", 19).put("operation", "other")))
        .map(reply -> {
          JsonObject t = StoreFixture.assertTrace(reply.body());
          assertEquals("completed", t.getString("status"));
          assertEquals(1.0, t.getDouble("progress"));
          assertNull(t.getValue("failure_reason"));
          assertEquals(new JsonObject().put("operation", "noop").put("file_id", "f1").put("stage", "done")
            .put("chunks_created", 19), t.getJsonObject("data"));
          assertEquals("completed", reply.headers().get(Addresses.HEADER_STATUS));
          return job;
        }))
      // A second completion of the same attempt is stale: the task is no longer running.
      .compose(job -> store.refused(Addresses.JOB_COMPLETE, report(job), 409, "lease_lost").map(job))
      .compose(job -> store.refused(Addresses.JOB_PROGRESS, report(job).put("progress", 0.1), 409, "lease_lost")
        .map(job))
      .compose(job -> store.refused(Addresses.JOB_FAIL, report(job).put("reason", "late").put("retryable", false),
        409, "lease_lost").map(job))
      .compose(job -> store.get(job.getString("id")))
      .map(t -> {
        assertEquals("completed", t.getString("status"));
        assertNull(t.getValue("failure_reason"));
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void retryableFailuresRetryUntilMaxAttemptsThenFail(VertxTestContext ctx) {
    store.create(new JsonObject().put("type", "noop").put("id", "flaky").put("max_attempts", 3))
      .compose(t -> failRetryable("flaky", 1, "pending"))
      .compose(v -> failRetryable("flaky", 2, "pending"))
      .compose(v -> failRetryable("flaky", 3, "failed"))
      .compose(v -> store.get("flaky"))
      .map(t -> {
        assertEquals("failed", t.getString("status"));
        assertEquals("boom 3", t.getString("failure_reason"));
        return null;
      })
      .compose(v -> store.claim("w", 10, "noop"))
      .map(jobs -> {
        assertTrue(jobs.isEmpty(), "a failed task is never claimed again");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  /** Claims {@code id} (expecting {@code attempt}), reports progress, fails it retryably. */
  private Future<Void> failRetryable(String id, int attempt, String expectedStatus) {
    return store.claimOnly(id, "noop")
      .compose(job -> {
        assertEquals(attempt, job.getInteger("attempt"));
        return store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.7)).map(job);
      })
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "boom " + attempt)
        .put("retryable", true)))
      .map(t -> {
        assertEquals(expectedStatus, t.getString("status"));
        if (expectedStatus.equals("pending")) {
          assertNull(t.getValue("failure_reason"), "a task that will retry has not failed");
        }
        return null;
      });
  }

  @Test
  void finalFailureFailsAtOnce(VertxTestContext ctx) {
    store.create(new JsonObject().put("type", "noop").put("max_attempts", 5))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "The file is not a PDF.")
        .put("retryable", false)))
      .map(t -> {
        assertEquals("failed", t.getString("status"));
        assertEquals("The file is not a PDF.", t.getString("failure_reason"));
        return null;
      })
      .compose(v -> store.claim("w", 10, "noop"))
      .map(jobs -> {
        assertTrue(jobs.isEmpty());
        return null;
      })
      .compose(v -> store.refused(Addresses.JOB_FAIL, new JsonObject().put("id", "x").put("attempt", 1), 400,
        "invalid_parameter"))
      .map(e -> assertParam("reason", e.param()))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void failureReasonsAreCappedAndMustBeStorable(VertxTestContext ctx) {
    store.create("noop")
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.refused(Addresses.JOB_FAIL, report(job).put("reason", "nul\u0000byte"), 400,
        "invalid_parameter").map(job))
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "x".repeat(5000))))
      .map(t -> {
        String reason = t.getString("failure_reason");
        assertEquals("x".repeat(2000) + "...", reason, "a reason is capped at 2000 characters");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void claimableWorkIsAnnounced(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> announced = new ArrayList<>();
    Promise<Void> twice = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_AVAILABLE, m -> {
      synchronized (announced) {
        announced.add(m.body());
        if (announced.size() == 2) {
          twice.complete();
        }
      }
    }).completion()
      .compose(v -> store.create("noop"))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      // A retryable failure makes the task claimable again: announced too.
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "again").put("retryable", true)))
      .compose(t -> twice.future())
      .map(v -> {
        synchronized (announced) {
          assertEquals(List.of(new JsonObject().put("type", "noop"), new JsonObject().put("type", "noop")), announced);
        }
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void staleAttemptsAreRefusedAndChangeNothing(VertxTestContext ctx) {
    store.create("noop")
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(first -> store.call(Addresses.JOB_FAIL, report(first).put("reason", "retry").put("retryable", true))
        .compose(v -> store.claimOnly(first.getString("id"), "noop"))
        .compose(second -> {
          assertEquals(2, second.getInteger("attempt"));
          return store.call(Addresses.JOB_PROGRESS, report(second).put("progress", 0.25)
            .put("data", new JsonObject().put("stage", "second"))).map(second);
        })
        .compose(second -> staleReportsChangeNothing(first, second).map(second)))
      .compose(second -> store.call(Addresses.JOB_COMPLETE, report(second)))
      .map(t -> {
        assertEquals("completed", t.getString("status"), "the current attempt still completes");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  /** Every report of the stale attempt {@code first} is refused, and the task stays as it was. */
  private Future<Void> staleReportsChangeNothing(JsonObject first, JsonObject second) {
    String id = first.getString("id");
    return store.request(Addresses.GET, idBody(id)).compose(before -> Future.all(
        store.refused(Addresses.JOB_PROGRESS, report(first).put("progress", 0.9)
          .put("data", new JsonObject().put("stage", "first")), 409, "lease_lost"),
        store.refused(Addresses.JOB_PROGRESS, report(first), 409, "lease_lost"),
        store.refused(Addresses.JOB_COMPLETE, report(first), 409, "lease_lost"),
        store.refused(Addresses.JOB_FAIL, report(first).put("reason", "old").put("retryable", false), 409,
          "lease_lost"),
        store.refused(Addresses.JOB_COMPLETE, report(second).put("attempt", 3), 409, "lease_lost"))
      .compose(v -> store.request(Addresses.GET, idBody(id)))
      .map(after -> {
        assertEquals(before.body(), after.body());
        assertEquals(before.headers().get(Addresses.HEADER_ETAG), after.headers().get(Addresses.HEADER_ETAG));
        assertEquals("second", after.body().getJsonObject("data").getString("stage"));
        assertEquals(0.25, after.body().getDouble("progress"));
        return null;
      }));
  }

  @Test
  void reportsOnUnknownOrForeignTasksAreNotFound(VertxTestContext ctx) {
    store.create(new JsonObject().put("type", "noop").put("tenant", "acme").put("id", "mine"))
      .compose(t -> store.claimOnly("mine", "noop"))
      .compose(job -> Future.all(
        store.refused(Addresses.JOB_PROGRESS, report(job).put("progress", 0.5), 404, "task_not_found"),
        store.refused(Addresses.JOB_COMPLETE, report(job), 404, "task_not_found"),
        store.refused(Addresses.JOB_FAIL, report(job).put("reason", "x"), 404, "task_not_found"),
        store.refused(Addresses.JOB_PROGRESS, report(job).put("tenant", "other").put("progress", 0.5), 404,
          "task_not_found"),
        store.refused(Addresses.JOB_COMPLETE, report(job).put("id", "no-such-task").put("tenant", "acme"), 404,
          "task_not_found")).map(job))
      .compose(job -> store.call(Addresses.JOB_COMPLETE, report(job).put("tenant", "acme")))
      .map(t -> {
        assertEquals("completed", t.getString("status"));
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void pendingTasksRefuseJobReports(VertxTestContext ctx) {
    store.create("noop")
      .compose(t -> store.refused(Addresses.JOB_COMPLETE, idBody(t.getString("id")).put("attempt", 1), 409,
        "lease_lost").map(t))
      .compose(t -> store.get(t.getString("id")))
      .map(t -> {
        assertEquals("pending", t.getString("status"));
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void releaseHandsBackAWorkersTasksWithoutUsingAnAttempt(Vertx vertx, VertxTestContext ctx) {
    // max_attempts 1: if the release used up the attempt, the retryable failure below would be final.
    JsonObject once = new JsonObject().put("type", "noop").put("max_attempts", 1);
    Set<String> ofA = new HashSet<>();
    UpdatesRecorder.listen(vertx).compose(updates -> store.create(once.copy().put("id", "a1"))
      .compose(v -> store.create(once.copy().put("id", "a2")))
      .compose(v -> store.create(once.copy().put("id", "b1")))
      .compose(v -> store.claim("worker-a", 2, "noop"))
      .compose(jobs -> {
        ofA.addAll(jobIds(jobs));
        assertEquals(Set.of("a1", "a2"), ofA);
        return store.claim("worker-b", 2, "noop");
      })
      .compose(jobs -> {
        assertEquals(List.of("b1"), jobIds(jobs));
        return store.call(Addresses.JOB_RELEASE, new JsonObject().put("worker", "worker-a"));
      })
      .compose(released -> {
        assertEquals(new JsonObject().put("released", 2), released);
        return Future.all(updates.first("a1", "pending"), updates.first("a2", "pending"),
          store.get("a1"), store.get("b1"));
      })
      .compose(all -> {
        assertEquals("pending", all.<JsonObject>resultAt(2).getString("status"));
        assertEquals("in_progress", all.<JsonObject>resultAt(3).getString("status"), "other workers keep theirs");
        return store.call(Addresses.JOB_RELEASE, new JsonObject().put("worker", "worker-a"));
      })
      .compose(again -> {
        assertEquals(0, again.getInteger("released"));
        return store.claim("worker-c", 10, "noop");
      })
      .compose(jobs -> {
        assertEquals(Set.of("a1", "a2"), new HashSet<>(jobIds(jobs)));
        JsonObject job = jobs.getJsonObject(0);
        assertEquals(2, job.getInteger("attempt"), "the released claim still counts as an attempt number");
        return store.call(Addresses.JOB_FAIL, report(job).put("reason", "transient").put("retryable", true));
      })
      .map(t -> {
        assertEquals("failed", t.getString("status"), "one real attempt, max_attempts 1: the retry is refused");
        return null;
      })
      .compose(v -> store.claim("w", 10, "noop"))
      .map(jobs -> {
        assertTrue(jobs.isEmpty(), () -> "claimed " + jobs);
        return null;
      }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void releasedTaskWithAttemptsLeftRetries(VertxTestContext ctx) {
    store.create(new JsonObject().put("type", "noop").put("id", "r1").put("max_attempts", 2))
      .compose(t -> store.claimOnly("r1", "noop"))
      .compose(job -> store.call(Addresses.JOB_RELEASE, new JsonObject().put("worker", "worker-1")))
      .compose(released -> store.claimOnly("r1", "noop"))
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "transient").put("retryable", true)))
      .map(t -> {
        assertEquals("pending", t.getString("status"), "the release did not use up one of the two attempts");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void retryWaitsForItsBackoff(VertxTestContext ctx) {
    store.restart(StoreFixture.settings(store.db, 30_000, 60_000, 0))
      .compose(v -> store.create("noop"))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "transient").put("retryable", true)))
      .compose(t -> {
        assertEquals("pending", t.getString("status"));
        return store.claim("w", 10, "noop");
      })
      .map(jobs -> {
        assertTrue(jobs.isEmpty(), "a retry is not claimable before its backoff");
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }
}
