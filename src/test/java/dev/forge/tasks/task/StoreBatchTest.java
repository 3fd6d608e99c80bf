package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreFixture.assertTrace;
import static dev.forge.tasks.task.StoreFixture.idBody;
import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.TaskIds;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Group commit through the bus against real Postgres: hundreds of creates and completions sent at
 * once to one store leave as a few multi-row statements, and every caller still gets exactly the
 * answer it would get alone (its own task, {@code created} false for an existing id, 409
 * {@code id_conflict}, {@code task_cancelled}, {@code lease_lost}, 404, 400).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class StoreBatchTest {

  private static final int TASKS = 500;

  private StoreFixture store;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void startStore(Vertx vertx, VertxTestContext ctx) {
    store = StoreFixture.onFreshDatabase(vertx);
    registry = new SimpleMeterRegistry();
    // No backoff: a retryable failure makes the task claimable again at once.
    store.start(StoreFixture.settings(store.db, 30_000, 0, 0), new TaskMetrics(registry))
      .onComplete(ctx.succeedingThenComplete());
  }

  /** What one completion request is expected to get. */
  private enum Expect { COMPLETED, CANCELLED, LEASE_LOST, NOT_FOUND, ONE_OF_TWO }

  private record Sent(String id, String marker, Expect expect, Future<Message<JsonObject>> reply) {
  }

  @Test
  void concurrentCompletionsEachGetTheirOwnAnswer(Vertx vertx, VertxTestContext ctx) {
    UpdatesRecorder.listen(vertx).compose(updates -> createAll(TASKS)
      .compose(ids -> claimAll(new ArrayList<>()))
      .compose(jobs -> prepare(jobs))
      .compose(jobs -> {
        // Every completion at once: they reach the store together and group-commit.
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
          JsonObject job = jobs.get(i);
          switch (i % 5) {
            case 0 -> sent.add(complete(job, job.getInteger("attempt"), "c" + i, Expect.CANCELLED));
            case 1 -> { // rescued and claimed again as attempt 2: attempt 1 is stale, attempt 2 completes
              sent.add(complete(job, 1, "s" + i, Expect.LEASE_LOST));
              sent.add(complete(job, 2, "n" + i, Expect.COMPLETED));
            }
            case 2 -> { // the same completion twice: one completes, the other finds it done
              sent.add(complete(job, job.getInteger("attempt"), "a" + i, Expect.ONE_OF_TWO));
              sent.add(complete(job, job.getInteger("attempt"), "b" + i, Expect.ONE_OF_TWO));
            }
            case 3 -> {
              sent.add(complete(job, job.getInteger("attempt"), "p" + i, Expect.COMPLETED));
              sent.add(complete(new JsonObject().put("id", "no-such-" + i), 1, "x" + i, Expect.NOT_FOUND));
            }
            default -> sent.add(complete(job, job.getInteger("attempt"), "p" + i, Expect.COMPLETED));
          }
        }
        return Future.join(sent.stream().map(Sent::reply).toList()).transform(ar -> Future.succeededFuture(sent));
      })
      .compose(sent -> checkCompletions(sent, updates)))
      .onComplete(ctx.succeedingThenComplete());
  }

  /** Cancels every fifth task, and fails and re-claims (as attempt 2) every fifth from the second on. */
  private Future<List<JsonObject>> prepare(List<JsonObject> jobs) {
    jobs.sort((a, b) -> a.getString("id").compareTo(b.getString("id")));
    List<Future<?>> steps = new ArrayList<>();
    List<JsonObject> retried = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      JsonObject job = jobs.get(i);
      if (i % 5 == 0) {
        steps.add(store.call(Addresses.CANCEL, idBody(job.getString("id"))));
      } else if (i % 5 == 1) {
        retried.add(job);
        steps.add(store.call(Addresses.JOB_FAIL, report(job).put("reason", "again").put("retryable", true)));
      }
    }
    return Future.all(steps).compose(v -> claimAll(new ArrayList<>())).map(again -> {
      assertEquals(retried.size(), again.size(), "every failed task is claimable again");
      again.forEach(j -> assertEquals(2, j.getInteger("attempt"), () -> "attempt of " + j));
      return jobs;
    });
  }

  private Sent complete(JsonObject job, int attempt, String marker, Expect expect) {
    JsonObject body = report(job).put("attempt", attempt).put("data", new JsonObject().put("by", marker));
    return new Sent(job.getString("id"), marker, expect, store.request(Addresses.JOB_COMPLETE, body));
  }

  private Future<Void> checkCompletions(List<Sent> sent, UpdatesRecorder updates) {
    Map<String, List<Sent>> byId = new HashMap<>();
    for (Sent s : sent) {
      byId.computeIfAbsent(s.id(), k -> new ArrayList<>()).add(s);
      switch (s.expect()) {
        case COMPLETED -> assertCompleted(s);
        case CANCELLED -> assertError(s, 409, "task_cancelled");
        case LEASE_LOST -> assertError(s, 409, "lease_lost");
        case NOT_FOUND -> assertError(s, 404, "task_not_found");
        case ONE_OF_TWO -> {
        }
      }
    }
    List<Future<?>> checks = new ArrayList<>();
    for (Map.Entry<String, List<Sent>> e : byId.entrySet()) {
      String id = e.getKey();
      List<Sent> mine = e.getValue();
      if (mine.get(0).expect() == Expect.NOT_FOUND) {
        continue;
      }
      List<Sent> won = mine.stream().filter(s -> s.reply().succeeded()).toList();
      if (mine.get(0).expect() == Expect.ONE_OF_TWO) {
        assertEquals(1, won.size(), () -> id + ": exactly one of two equal completions succeeds");
        assertCompleted(won.get(0));
        mine.stream().filter(s -> s.reply().failed()).forEach(s -> assertError(s, 409, "lease_lost"));
      }
      checks.add(store.get(id).compose(task -> {
        if (mine.get(0).expect() == Expect.CANCELLED) {
          assertEquals("cancelled", task.getString("status"), id);
          assertFalse(task.getJsonObject("data").containsKey("by"), () -> id + ": a refused completion left data");
          return Future.succeededFuture();
        }
        assertEquals("completed", task.getString("status"), id);
        assertEquals(won.get(0).marker(), task.getJsonObject("data").getString("by"),
          () -> id + ": the stored data is the successful caller's");
        return updates.first(id, "completed").map(m -> {
          long terminal = updates.about(id).stream()
            .filter(u -> "completed".equals(u.headers().get(Addresses.HEADER_STATUS))).count();
          assertEquals(1, terminal, () -> id + ": one completion, one published fact");
          return null;
        });
      }));
    }
    return Future.all(checks).map(v -> {
      DistributionSummary batches = registry.find("tasks.store.batch").tag("statement", "complete").summary();
      assertNotNull(batches, "the complete statements are counted");
      System.out.printf("complete: %d requests in %d statements, the largest %.0f rows%n",
        sent.size(), batches.count(), batches.max());
      assertEquals(sent.size(), (long) batches.totalAmount(), "every request left in a counted statement");
      assertTrue(batches.max() > 1 && batches.count() < sent.size() / 2,
        () -> "the completions were group-committed: " + batches.count() + " statements, the largest " + batches.max());
      return null;
    });
  }

  private static void assertCompleted(Sent s) {
    assertTrue(s.reply().succeeded(), () -> s.id() + " " + s.marker() + ": expected success, got " + s.reply().cause());
    JsonObject t = assertTrace(s.reply().result().body());
    assertEquals(s.id(), t.getString("id"), "a caller gets its own task");
    assertEquals("completed", t.getString("status"), s.id());
    assertEquals(s.marker(), t.getJsonObject("data").getString("by"), () -> s.id() + ": a caller gets its own data");
    assertEquals(s.id(), s.reply().result().headers().get(Addresses.HEADER_TASK_ID), "the reply's task_id header");
  }

  private static void assertError(Sent s, int status, String code) {
    assertTrue(s.reply().failed(), () -> s.id() + " " + s.marker() + ": expected " + code + ", got success "
      + (s.reply().succeeded() ? s.reply().result().body() : ""));
    ApiError error = ApiError.fromThrowable(s.reply().cause());
    assertNotNull(error, () -> s.id() + ": not an ApiError: " + s.reply().cause());
    assertEquals(status, error.status(), () -> s.id() + " " + s.marker() + ": " + error);
    assertEquals(code, error.code(), () -> s.id() + " " + s.marker() + ": " + error);
  }

  @Test
  void concurrentCreatesWithDuplicateIdsEachGetTheirOwnAnswer(VertxTestContext ctx) {
    List<Future<?>> before = new ArrayList<>();
    for (int k = 0; k < 20; k++) {
      before.add(store.create(new JsonObject().put("type", "noop").put("id", "pre-" + k)));
    }
    Future.all(before).compose(pre -> {
      Map<String, JsonObject> existing = new HashMap<>();
      pre.<JsonObject>list().forEach(t -> existing.put(t.getString("id"), t));
      List<Future<Message<JsonObject>>> fresh = new ArrayList<>();
      List<Future<Message<JsonObject>>> again = new ArrayList<>();
      Map<String, List<Future<Message<JsonObject>>>> dups = new HashMap<>();
      Map<String, List<Future<Message<JsonObject>>>> clashes = new HashMap<>();
      List<Future<Message<JsonObject>>> shared = new ArrayList<>();
      Future<Message<JsonObject>> bad = null;
      Function<JsonObject, Future<Message<JsonObject>>> send = body -> store.request(Addresses.CREATE, body);
      // Everything at once, interleaved, so that each kind lands in the same batches as the others.
      for (int i = 0; i < 200; i++) {
        JsonObject body = new JsonObject().put("type", "noop").put("data", new JsonObject().put("n", i));
        if (i % 2 == 0) {
          body.put("input", new JsonObject().put("k", i));
        }
        fresh.add(send.apply(body));
        if (i < 20) {
          again.add(send.apply(new JsonObject().put("type", "noop").put("id", "pre-" + i)));
        }
        if (i < 50) {
          String id = "dup-" + i;
          for (int c = 0; c < 3; c++) {
            dups.computeIfAbsent(id, x -> new ArrayList<>())
              .add(send.apply(new JsonObject().put("type", "noop").put("id", id).put("data", new JsonObject().put("c", c))));
          }
        }
        if (i < 30) {
          String id = "clash-" + i;
          clashes.put(id, List.of(send.apply(new JsonObject().put("type", "noop").put("id", id)),
            send.apply(new JsonObject().put("type", "document_analysis").put("id", id))));
        }
        if (i < 20) {
          shared.add(send.apply(new JsonObject().put("tenant", "a").put("type", "noop").put("id", "shared-" + i)));
          shared.add(send.apply(new JsonObject().put("tenant", "b").put("type", "noop").put("id", "shared-" + i)));
        }
        if (i == 100) {
          bad = send.apply(new JsonObject().put("type", "noop").put("data", new JsonObject().put("x", "nul\u0000byte")));
        }
      }
      List<Future<Message<JsonObject>>> all = new ArrayList<>(fresh);
      all.addAll(again);
      dups.values().forEach(all::addAll);
      clashes.values().forEach(all::addAll);
      all.addAll(shared);
      all.add(bad);
      Future<Message<JsonObject>> refused = bad;
      return Future.join(all).transform(ar -> {
        Map<String, Integer> inputs = new HashMap<>();
        for (int i = 0; i < fresh.size(); i++) {
          JsonObject t = created(fresh.get(i), true);
          assertEquals(i, t.getJsonObject("data").getInteger("n"), "each creator gets its own task");
          assertTrue(TaskIds.isValid(t.getString("id")) && t.getString("id").startsWith("task_"));
          inputs.put(t.getString("id"), i % 2 == 0 ? i : -1);
        }
        for (Future<Message<JsonObject>> f : again) {
          JsonObject t = created(f, false);
          assertEquals(existing.get(t.getString("id")), t, "an existing id answers the existing task");
        }
        for (Map.Entry<String, List<Future<Message<JsonObject>>>> e : dups.entrySet()) {
          List<Future<Message<JsonObject>>> tries = e.getValue();
          long made = tries.stream().filter(f -> "true".equals(f.result().headers().get(Addresses.HEADER_CREATED))).count();
          assertEquals(1, made, () -> e.getKey() + ": exactly one of three equal creates makes the task");
          JsonObject winner = tries.stream().filter(f -> "true".equals(f.result().headers().get(Addresses.HEADER_CREATED)))
            .findFirst().orElseThrow().result().body();
          for (Future<Message<JsonObject>> f : tries) {
            assertEquals(winner, assertTrace(f.result().body()), () -> e.getKey() + ": every caller sees the one task");
            assertEquals("1", f.result().headers().get(Addresses.HEADER_VERSION));
          }
        }
        for (Map.Entry<String, List<Future<Message<JsonObject>>>> e : clashes.entrySet()) {
          List<Future<Message<JsonObject>>> tries = e.getValue();
          List<Future<Message<JsonObject>>> ok = tries.stream().filter(Future::succeeded).toList();
          assertEquals(1, ok.size(), () -> e.getKey() + ": one of two creates with different types wins");
          assertEquals("true", ok.get(0).result().headers().get(Addresses.HEADER_CREATED));
          Future<Message<JsonObject>> lost = tries.stream().filter(Future::failed).findFirst().orElseThrow();
          ApiError error = ApiError.fromThrowable(lost.cause());
          assertNotNull(error, () -> "not an ApiError: " + lost.cause());
          assertEquals(409, error.status());
          assertEquals("id_conflict", error.code());
        }
        for (Future<Message<JsonObject>> f : shared) {
          created(f, true);
        }
        assertTrue(refused.failed(), "a task whose data cannot be stored is refused");
        ApiError error = ApiError.fromThrowable(refused.cause());
        assertNotNull(error, () -> "not an ApiError: " + refused.cause());
        assertEquals(400, error.status(), error::toString);
        assertEquals("invalid_parameter", error.code());
        return Future.succeededFuture(inputs);
      });
    }).compose(inputs -> claimAll(new ArrayList<>()).map(jobs -> {
      int seen = 0;
      for (JsonObject job : jobs) {
        Integer k = inputs.get(job.getString("id"));
        if (k != null) {
          seen++;
          assertEquals(k < 0 ? new JsonObject() : new JsonObject().put("k", k), job.getJsonObject("input"),
            () -> job.getString("id") + ": the input kept for the job");
        }
      }
      assertEquals(inputs.size(), seen, "every created task is claimable once");
      return null;
    })).compose(v -> Future.all(List.of(
        store.call(Addresses.GET, new JsonObject().put("tenant", "a").put("id", "shared-3")),
        store.call(Addresses.GET, new JsonObject().put("tenant", "b").put("id", "shared-3"))))
      .map(both -> {
        DistributionSummary batches = registry.find("tasks.store.batch").tag("statement", "create").summary();
        assertNotNull(batches, "the create statements are counted");
        System.out.printf("create: %d statements, the largest %.0f rows%n", batches.count(), batches.max());
        assertTrue(batches.max() > 1, () -> "the creates were group-committed: the largest batch " + batches.max());
        return null;
      }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aBatchOfCreatesIsAnnouncedOnce(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> announced = Collections.synchronizedList(new ArrayList<>());
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_AVAILABLE, m -> announced.add(m.body())).completion()
      .compose(v -> createAll(200))
      // The store announces after the turn that persisted the changes; a ping to it is answered after that.
      .compose(ids -> store.call(Addresses.PING, new JsonObject()))
      .map(v -> {
        DistributionSummary batches = registry.find("tasks.store.batch").tag("statement", "create").summary();
        System.out.printf("200 creates in %d statements: %d announcements%n", batches.count(), announced.size());
        assertTrue(!announced.isEmpty(), "claimable work is announced");
        assertTrue(announced.size() <= batches.count(), () -> announced.size() + " announcements for "
          + batches.count() + " create statements");
        announced.forEach(a -> assertEquals(new JsonObject().put("type", "noop"), a));
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  private static JsonObject created(Future<Message<JsonObject>> f, boolean expected) {
    assertTrue(f.succeeded(), () -> "create failed: " + f.cause());
    assertEquals(Boolean.toString(expected), f.result().headers().get(Addresses.HEADER_CREATED));
    JsonObject t = assertTrace(f.result().body());
    assertNotNull(f.result().headers().get(Addresses.HEADER_ETAG), "a Trace reply carries its etag");
    return t;
  }

  private Future<List<String>> createAll(int n) {
    List<Future<JsonObject>> created = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      created.add(store.create("noop"));
    }
    return Future.all(created).map(all -> all.<JsonObject>list().stream().map(t -> t.getString("id")).toList());
  }

  /** Claims every claimable noop task, 100 at a time. */
  private Future<List<JsonObject>> claimAll(List<JsonObject> into) {
    return store.claim("worker-1", 100, "noop").compose(jobs -> {
      jobs.forEach(j -> into.add((JsonObject) j));
      return jobs.isEmpty() ? Future.succeededFuture(into) : claimAll(into);
    });
  }
}
