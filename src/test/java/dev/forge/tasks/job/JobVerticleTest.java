package dev.forge.tasks.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The job runtime against a fake store on the job addresses: limits, reports, cancellation, failures, shutdown. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class JobVerticleTest {

  /** No periodic claims (they would blur which claim follows what), fast flushes, generous timeouts. */
  private static final JobVerticle.Settings SETTINGS = new JobVerticle.Settings(1, 600_000, 20, 30_000, 5_000);

  /** A job of {@link FakeJobStore#TYPE} whose body the test gives. */
  private record TestJob(Body body) implements Job {
    interface Body {
      JsonObject run(JobContext ctx) throws Exception;
    }

    @Override
    public String type() {
      return FakeJobStore.TYPE;
    }

    @Override
    public JsonObject run(JobContext ctx) throws Exception {
      return body.run(ctx);
    }
  }

  /**
   * What a long job does: reports every few milliseconds until {@code done} is counted down or it
   * is told to stop (the report throws); {@code stopped} completes when it was told.
   */
  private static JsonObject workUntilStopped(JobContext ctx, CountDownLatch done, Promise<JobContext> stopped)
    throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    try {
      while (System.nanoTime() < deadline) {
        ctx.progress(0.5, new JsonObject().put("stage", "working"));
        if (done.await(5, TimeUnit.MILLISECONDS)) {
          return new JsonObject().put("result", "finished");
        }
      }
      return new JsonObject().put("result", "gave up waiting to be stopped");
    } catch (JobCancelledException e) {
      stopped.tryComplete(ctx);
      throw e;
    }
  }

  private static Future<FakeJobStore> deployStore(Vertx vertx, List<String> ids) {
    return deployStore(vertx, FakeJobStore.forIds(ids));
  }

  private static Future<FakeJobStore> deployStore(Vertx vertx, FakeJobStore store) {
    return vertx.deployVerticle(store).map(store);
  }

  @Test
  void neverRunsMoreThanTheConcurrencyLimit(Vertx vertx, VertxTestContext tc) {
    List<String> ids = List.of("t1", "t2", "t3", "t4", "t5", "t6");
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    // Two parties: a job finishes only once another runs beside it, so a runtime that ran one at a
    // time would never complete, and one that ran three would show maxActive 3.
    CyclicBarrier pair = new CyclicBarrier(2);
    TestJob job = new TestJob(ctx -> {
      maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
      try {
        pair.await(10, TimeUnit.SECONDS);
        return new JsonObject().put("ran", ctx.taskId());
      } finally {
        active.decrementAndGet();
      }
    });
    deployStore(vertx, ids).compose(store -> vertx.deployVerticle(
        new JobVerticle(job, new JobVerticle.Settings(2, 600_000, 20, 30_000, 5_000)))
      .compose(d -> store.nth(Addresses.JOB_COMPLETE, ids.size())).map(last -> store))
      .onComplete(tc.succeeding(store -> tc.verify(() -> {
        assertEquals(2, maxActive.get(), "two at once, never more");
        Set<String> completed = new HashSet<>();
        store.received(Addresses.JOB_COMPLETE).forEach(b -> completed.add(b.getString("id")));
        assertEquals(Set.copyOf(ids), completed);
        assertEquals(List.of(), store.received(Addresses.JOB_FAIL));
        for (JsonObject claim : store.received(Addresses.JOB_CLAIM)) {
          assertTrue(claim.getInteger("limit") + claim.getInteger("running") <= 2,
            "a claim asks only for free slots: " + claim);
          assertEquals(List.of(FakeJobStore.TYPE), claim.getJsonArray("types").getList());
        }
        tc.completeNow();
      })));
  }

  @Test
  void aHundredThousandReportsCostAHandfulOfRequestsAndTheLastOneArrives(Vertx vertx, VertxTestContext tc) {
    long flushMs = 50;
    int reports = 100_000;
    AtomicReference<Long> startedAt = new AtomicReference<>();
    TestJob job = new TestJob(ctx -> {
      startedAt.set(System.nanoTime());
      for (int i = 0; i < reports; i++) {
        JsonObject data = new JsonObject().put("step", i);
        if (i == reports - 1) {
          data.put("last", true);
        }
        ctx.progress((double) i / reports, data);
      }
      return new JsonObject().put("result", "ok");
    });
    deployStore(vertx, List.of("t1")).compose(store -> vertx.deployVerticle(
        new JobVerticle(job, new JobVerticle.Settings(1, 600_000, flushMs, 30_000, 5_000)))
      .compose(d -> store.nth(Addresses.JOB_COMPLETE, 1)).map(complete -> store))
      .onComplete(tc.succeeding(store -> tc.verify(() -> {
        long windowMs = (System.nanoTime() - startedAt.get()) / 1_000_000;
        List<JsonObject> progress = store.received(Addresses.JOB_PROGRESS);
        assertTrue(progress.size() <= windowMs / flushMs + 2,
          progress.size() + " progress requests in " + windowMs + " ms, flushing every " + flushMs + " ms");
        assertTrue(progress.size() < 100, "a handful, not " + progress.size());
        double last = -1;
        JsonObject merged = new JsonObject();
        for (JsonObject p : progress) {
          assertEquals(FakeJobStore.TENANT, p.getString("tenant"));
          assertEquals("t1", p.getString("id"));
          assertEquals(1, p.getInteger("attempt"));
          Double value = p.getDouble("progress");
          if (value != null) {
            assertTrue(value >= last && value <= 1.0, "progress never goes back: " + last + " then " + value);
            last = value;
          }
          if (p.getJsonObject("data") != null) {
            merged.mergeIn(p.getJsonObject("data"));
          }
        }
        JsonObject complete = store.received(Addresses.JOB_COMPLETE).get(0);
        merged.mergeIn(complete.getJsonObject("data", new JsonObject()));
        assertEquals(reports - 1, merged.getInteger("step"), "the last report reaches the store: " + merged);
        assertEquals(true, merged.getBoolean("last"));
        assertEquals("ok", complete.getJsonObject("data").getString("result"));
        tc.completeNow();
      })));
  }

  @Test
  void reportsStillPendingTravelWithTheCompletion(Vertx vertx, VertxTestContext tc) {
    int reports = 100_000;
    TestJob job = new TestJob(ctx -> {
      ctx.progress(0.0, new JsonObject().put("stage", "parsing"));
      for (int i = 0; i < reports; i++) {
        ctx.progress((double) i / reports, new JsonObject().put("step", i));
      }
      ctx.progress(1.0, new JsonObject().put("stage", "summarizing"));
      return new JsonObject().put("result", "ok");
    });
    // A flush interval longer than the test: nothing may go out before the completion.
    deployStore(vertx, List.of("t1")).compose(store -> vertx.deployVerticle(
        new JobVerticle(job, new JobVerticle.Settings(1, 600_000, 600_000, 30_000, 5_000)))
      .compose(d -> store.nth(Addresses.JOB_COMPLETE, 1)).map(complete -> store))
      .onComplete(tc.succeeding(store -> tc.verify(() -> {
        assertEquals(List.of(), store.received(Addresses.JOB_PROGRESS));
        JsonObject data = store.received(Addresses.JOB_COMPLETE).get(0).getJsonObject("data");
        assertEquals(new JsonObject().put("stage", "summarizing").put("step", reports - 1).put("result", "ok"), data);
        tc.completeNow();
      })));
  }

  @Test
  void aReportLostInFlightStillReachesTheStoreWithTheCompletion(Vertx vertx, VertxTestContext tc) {
    lostReport(vertx, () -> new JsonObject().put("result", "ok"), Addresses.JOB_COMPLETE)
      .onComplete(tc.succeeding(merged -> tc.verify(() -> {
        assertEquals(19, merged.getInteger("chunks_created"), "the report whose request failed is not lost: " + merged);
        assertEquals("ok", merged.getString("result"));
        tc.completeNow();
      })));
  }

  @Test
  void aReportLostInFlightStillReachesTheStoreBeforeTheFailure(Vertx vertx, VertxTestContext tc) {
    lostReport(vertx, () -> {
      throw JobFailure.fatal("The document is encrypted.");
    }, Addresses.JOB_FAIL).onComplete(tc.succeeding(merged -> tc.verify(() -> {
      assertEquals(19, merged.getInteger("chunks_created"), "the report whose request failed is not lost: " + merged);
      tc.completeNow();
    })));
  }

  /**
   * A job reports once and ends while that report is in flight; the store never answers it (so it
   * times out, not applied). Completes with the data the store applied up to the first request on
   * {@code end}, that request's data included.
   */
  private static Future<JsonObject> lostReport(Vertx vertx, Callable<JsonObject> ending, String end) {
    CountDownLatch reportSent = new CountDownLatch(1);
    TestJob job = new TestJob(ctx -> {
      ctx.progress(0.5, new JsonObject().put("chunks_created", 19));
      assertTrue(reportSent.await(10, TimeUnit.SECONDS));
      return ending.call();
    });
    JsonObject applied = new JsonObject();
    return deployStore(vertx, List.of("t1")).compose(store -> {
      store.onProgress = m -> {
        if (reportSent.getCount() > 0) {
          reportSent.countDown();
        } else {
          applied.mergeIn(m.body().getJsonObject("data", new JsonObject()));
          m.reply(new JsonObject().put("cancelled", false));
        }
      };
      // flushMs 0 sends the report at once; a short bus timeout lets it fail soon.
      return vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(1, 600_000, 0, 30_000, 500)))
        .compose(d -> store.nth(end, 1))
        .map(last -> applied.copy().mergeIn(last.getJsonObject("data", new JsonObject())));
    });
  }

  @Test
  void aCancelledReplyStopsTheJobWithoutCompletion(Vertx vertx, VertxTestContext tc) {
    Promise<JobContext> stopped = Promise.promise();
    TestJob job = new TestJob(ctx -> workUntilStopped(ctx, new CountDownLatch(1), stopped));
    deployStore(vertx, List.of("t1")).compose(store -> {
      store.onProgress = m -> m.reply(new JsonObject().put("cancelled", true));
      return vertx.deployVerticle(new JobVerticle(job, SETTINGS))
        // The first claim handed out the job; the next one comes once the job has ended.
        .compose(d -> Future.all(stopped.future(), store.nth(Addresses.JOB_CLAIM, 2))).map(all -> store);
    }).onComplete(tc.succeeding(store -> tc.verify(() -> {
      assertTrue(stopped.future().result().isCancelled());
      assertFalse(store.received(Addresses.JOB_PROGRESS).isEmpty());
      assertEquals(List.of(), store.received(Addresses.JOB_COMPLETE), "a cancelled job is not completed");
      assertEquals(List.of(), store.received(Addresses.JOB_FAIL), "nor failed");
      tc.completeNow();
    })));
  }

  @Test
  void aPublishedCancellationStopsTheJob(Vertx vertx, VertxTestContext tc) {
    Promise<JobContext> started = Promise.promise();
    Promise<JobContext> stopped = Promise.promise();
    TestJob job = new TestJob(ctx -> {
      started.complete(ctx);
      return workUntilStopped(ctx, new CountDownLatch(1), stopped);
    });
    AtomicReference<FakeJobStore> fake = new AtomicReference<>();
    deployStore(vertx, List.of("t1"))
      .compose(store -> {
        fake.set(store);
        return vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(2, 600_000, 20, 30_000, 5_000)));
      })
      .compose(d -> started.future())
      .compose(ctx -> {
        // Updates that must not stop it: another tenant's task of the same id, and a non-terminal change.
        vertx.eventBus().publish(Addresses.UPDATED, new JsonObject(), updated("other_tenant", "cancelled"));
        vertx.eventBus().publish(Addresses.UPDATED, new JsonObject(), updated(FakeJobStore.TENANT, "in_progress"));
        // Handled after the updates above: once it claims, they were seen.
        vertx.eventBus().publish(Addresses.JOB_AVAILABLE, new JsonObject().put("type", FakeJobStore.TYPE));
        return fake.get().nth(Addresses.JOB_CLAIM, 2).map(claim -> ctx);
      })
      .compose(ctx -> {
        tc.verify(() -> assertFalse(ctx.isCancelled(), "only this tenant's terminal update stops the job"));
        vertx.eventBus().publish(Addresses.UPDATED, new JsonObject(), updated(FakeJobStore.TENANT, "cancelled"));
        return Future.all(stopped.future(), fake.get().nth(Addresses.JOB_CLAIM, 3));
      })
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        assertEquals(List.of(), fake.get().received(Addresses.JOB_COMPLETE));
        assertEquals(List.of(), fake.get().received(Addresses.JOB_FAIL));
        tc.completeNow();
      })));
  }

  @Test
  void tasksOfTwoTenantsWithTheSameIdAreTrackedApart(Vertx vertx, VertxTestContext tc) {
    // API.md: task ids are scoped to a tenant, so one worker may run acme's t1 and globex's t1 at once.
    Map<String, Promise<JobContext>> started = Map.of("acme", Promise.promise(), "globex", Promise.promise());
    Map<String, Promise<JobContext>> stopped = Map.of("acme", Promise.promise(), "globex", Promise.promise());
    CountDownLatch globexDone = new CountDownLatch(1);
    TestJob job = new TestJob(ctx -> {
      started.get(ctx.tenant()).complete(ctx);
      return workUntilStopped(ctx, ctx.tenant().equals("globex") ? globexDone : new CountDownLatch(1),
        stopped.get(ctx.tenant()));
    });
    FakeJobStore store = new FakeJobStore(List.of(FakeJobStore.job("acme", "t1"), FakeJobStore.job("globex", "t1")));
    AtomicReference<JobContext> acme = new AtomicReference<>();
    AtomicReference<JobContext> globex = new AtomicReference<>();
    deployStore(vertx, store)
      .compose(s -> vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(3, 600_000, 20, 30_000, 5_000))))
      .compose(d -> Future.all(started.get("acme").future(), started.get("globex").future()))
      .compose(both -> {
        acme.set(both.resultAt(0));
        globex.set(both.resultAt(1));
        vertx.eventBus().publish(Addresses.UPDATED, new JsonObject(), updated("acme", "cancelled"));
        // Handled after the update: once it claims, the update was seen.
        vertx.eventBus().publish(Addresses.JOB_AVAILABLE, new JsonObject().put("type", FakeJobStore.TYPE));
        return store.nth(Addresses.JOB_CLAIM, 2);
      })
      .compose(claim -> {
        tc.verify(() -> {
          assertTrue(acme.get().isCancelled(), "acme's t1 was cancelled");
          assertFalse(globex.get().isCancelled(), "globex's t1 was not");
          // acme's job may already have returned (it stops within 5 ms of the cancel, and a busy machine can
          // pause this thread between the two publishes for longer), but globex's still holds its slot.
          assertTrue(claim.getInteger("limit") <= 2, "globex's job still holds one of three slots: " + claim);
        });
        globexDone.countDown();
        return Future.all(stopped.get("acme").future(), store.nth(Addresses.JOB_COMPLETE, 1));
      })
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        JsonObject complete = all.resultAt(1);
        assertEquals("globex", complete.getString("tenant"));
        assertEquals("t1", complete.getString("id"));
        assertEquals(1, store.received(Addresses.JOB_COMPLETE).size());
        assertEquals(List.of(), store.received(Addresses.JOB_FAIL));
        tc.completeNow();
      })));
  }

  @Test
  void undeployingDuringAClaimHandsBackWhatItMayHaveLeased(Vertx vertx, VertxTestContext tc) {
    // The store may have leased tasks to this worker for a claim whose answer never came back:
    // only a release by worker name hands them back before their lease runs out.
    TestJob job = new TestJob(ctx -> new JsonObject());
    FakeJobStore store = FakeJobStore.forIds(List.of("t1"));
    store.silentClaims = true;
    deployStore(vertx, store)
      .compose(s -> vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(1, 600_000, 20, 30_000, 300))))
      .compose(deployment -> store.nth(Addresses.JOB_CLAIM, 1).compose(claim -> vertx.undeploy(deployment)))
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        String worker = store.received(Addresses.JOB_CLAIM).get(0).getString("worker");
        assertEquals(List.of(new JsonObject().put("worker", worker)), store.received(Addresses.JOB_RELEASE));
        tc.completeNow();
      })));
  }

  private static DeliveryOptions updated(String tenant, String status) {
    return FakeJobStore.updated(tenant, "t1", status);
  }

  @Test
  void aThrowingJobFailsRetryablyWithAReferenceButNotTheMessage(Vertx vertx, VertxTestContext tc) {
    // No hex digits or dashes in the host: the reason's reference (a UUID) could contain them by chance.
    String secret = "password=hunter2 SELECT * FROM tasks at pgmain.internal";
    TestJob job = new TestJob(ctx -> {
      switch (ctx.taskId()) {
        case "runtime" -> throw new IllegalStateException(secret);
        case "checked" -> throw new IOException(secret);
        default -> throw new AssertionError(secret);
      }
    });
    List<String> ids = List.of("runtime", "checked", "error");
    deployStore(vertx, ids).compose(store -> vertx.deployVerticle(new JobVerticle(job, SETTINGS))
        .compose(d -> store.nth(Addresses.JOB_FAIL, ids.size())).map(last -> store))
      .onComplete(tc.succeeding(store -> tc.verify(() -> {
        List<JsonObject> fails = store.received(Addresses.JOB_FAIL);
        assertEquals(ids, fails.stream().map(f -> f.getString("id")).toList());
        for (JsonObject fail : fails) {
          assertEquals(true, fail.getBoolean("retryable"), fail.encode());
          assertEquals(FakeJobStore.TENANT, fail.getString("tenant"));
          assertEquals(1, fail.getInteger("attempt"));
          String reason = fail.getString("reason");
          assertNotNull(reason);
          assertTrue(reason.contains("reference"), reason);
          for (String hidden : List.of("hunter2", "SELECT", "pgmain", "Exception", "Error", "at dev.")) {
            assertFalse(reason.contains(hidden), "the reason hides the exception: " + reason);
          }
        }
        assertEquals(List.of(), store.received(Addresses.JOB_COMPLETE));
        tc.completeNow();
      })));
  }

  @Test
  void jobFailuresKeepTheirReasonAndRetryability(Vertx vertx, VertxTestContext tc) {
    TestJob job = new TestJob(ctx -> {
      if (ctx.taskId().equals("fatal")) {
        throw JobFailure.fatal("input.text is empty: there is nothing to analyse.");
      }
      throw JobFailure.retryable("The upstream service is busy.");
    });
    deployStore(vertx, List.of("fatal", "retryable"))
      .compose(store -> vertx.deployVerticle(new JobVerticle(job, SETTINGS))
        .compose(d -> store.nth(Addresses.JOB_FAIL, 2)).map(last -> store))
      .onComplete(tc.succeeding(store -> tc.verify(() -> {
        List<JsonObject> fails = store.received(Addresses.JOB_FAIL);
        assertEquals("fatal", fails.get(0).getString("id"));
        assertEquals(false, fails.get(0).getBoolean("retryable"));
        assertEquals("input.text is empty: there is nothing to analyse.", fails.get(0).getString("reason"));
        assertEquals("retryable", fails.get(1).getString("id"));
        assertEquals(true, fails.get(1).getBoolean("retryable"));
        assertEquals("The upstream service is busy.", fails.get(1).getString("reason"));
        tc.completeNow();
      })));
  }

  @Test
  void aJobPastItsTimeoutFailsRetryablyAndIsStopped(Vertx vertx, VertxTestContext tc) {
    Promise<JobContext> stopped = Promise.promise();
    TestJob job = new TestJob(ctx -> workUntilStopped(ctx, new CountDownLatch(1), stopped));
    long timeoutMs = 300;
    long begun = System.nanoTime();
    deployStore(vertx, List.of("t1"))
      .compose(store -> vertx.deployVerticle(
          new JobVerticle(job, new JobVerticle.Settings(1, 600_000, 20, timeoutMs, 5_000)))
        .compose(d -> Future.all(store.nth(Addresses.JOB_FAIL, 1), stopped.future())).map(all -> store))
      .onComplete(tc.succeeding(store -> tc.verify(() -> {
        assertTrue((System.nanoTime() - begun) / 1_000_000 >= timeoutMs);
        JsonObject fail = store.received(Addresses.JOB_FAIL).get(0);
        assertEquals("t1", fail.getString("id"));
        assertEquals(true, fail.getBoolean("retryable"));
        assertTrue(fail.getString("reason").contains("timeout"), fail.getString("reason"));
        assertEquals(List.of(), store.received(Addresses.JOB_COMPLETE));
        tc.completeNow();
      })));
  }

  @Test
  void undeployingHandsTheLeasesBack(Vertx vertx, VertxTestContext tc) {
    Promise<JobContext> started = Promise.promise();
    Promise<JobContext> stopped = Promise.promise();
    TestJob job = new TestJob(ctx -> {
      started.complete(ctx);
      return workUntilStopped(ctx, new CountDownLatch(1), stopped);
    });
    AtomicReference<FakeJobStore> fake = new AtomicReference<>();
    deployStore(vertx, List.of("t1"))
      .compose(store -> {
        fake.set(store);
        return vertx.deployVerticle(new JobVerticle(job, SETTINGS));
      })
      .compose(deployment -> started.future().compose(ctx -> vertx.undeploy(deployment)))
      .compose(v -> stopped.future())
      .onComplete(tc.succeeding(ctx -> tc.verify(() -> {
        FakeJobStore store = fake.get();
        String worker = store.received(Addresses.JOB_CLAIM).get(0).getString("worker");
        assertNotNull(worker);
        assertTrue(worker.startsWith(FakeJobStore.TYPE), worker);
        assertEquals(List.of(new JsonObject().put("worker", worker)), store.received(Addresses.JOB_RELEASE));
        assertTrue(ctx.isCancelled());
        tc.completeNow();
      })));
  }
}
