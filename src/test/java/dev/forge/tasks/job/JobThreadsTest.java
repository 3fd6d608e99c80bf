package dev.forge.tasks.job;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Where jobs run: on their type's own worker pool, not reported as blocked threads however long they
 * take (up to their timeout), and within the node's CPU budget for their CPU-bound sections.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class JobThreadsTest {

  private static final Pattern BLOCKED = Pattern.compile("Thread (\\S+) has been blocked for");

  /** A job of {@code type} whose body the test gives, recording the thread it ran on. */
  private record TestJob(String type, Body body, AtomicReference<String> thread) implements Job {
    interface Body {
      JsonObject run(JobContext ctx) throws Exception;
    }

    TestJob(Body body) {
      this(FakeJobStore.TYPE, body, new AtomicReference<>());
    }

    @Override
    public JsonObject run(JobContext ctx) throws Exception {
      thread.set(Thread.currentThread().getName());
      return body.run(ctx);
    }
  }

  @Test
  void aJobLongerThanTheBlockedThreadLimitIsNoWarningButTheSharedPoolsBlockingCallIs(VertxTestContext tc)
    throws Exception {
    // Worker threads are reported after 500 ms, checked every 100 ms: a 1.5 s job would be reported.
    Vertx vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(100)
      .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
      .setMaxWorkerExecuteTime(500).setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS));
    SyntheticJob sleep = SyntheticJob.SLEEP;
    TestJob job = new TestJob(sleep.type(), sleep::run, new AtomicReference<>());
    FakeJobStore store = new FakeJobStore(List.of(FakeJobStore.job(FakeJobStore.TENANT, "long")
      .put("input", new JsonObject().put("ms", 1500))));
    AtomicReference<String> sharedPoolThread = new AtomicReference<>();
    try (StderrCopy log = new StderrCopy()) {
      Future<JsonObject> completed = vertx.deployVerticle(store)
        .compose(d -> vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(1, 600_000, 20, 30_000, 5_000))))
        .compose(d -> store.nth(Addresses.JOB_COMPLETE, 1));
      // The same 1.5 s on Vert.x's shared worker pool, where JobVerticle used to run jobs, at the same time.
      Future<Object> control = vertx.executeBlocking(() -> {
        sharedPoolThread.set(Thread.currentThread().getName());
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1500));
        return null;
      }, false);
      await(Future.all(completed, control));
      // The checker logs while the thread is still blocked; wait (bounded) for the line to be written.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!blockedThreads(log.text()).contains(sharedPoolThread.get()) && System.nanoTime() < deadline) {
        await(vertx.timer(50));
      }
      Set<String> blocked = blockedThreads(log.text());
      tc.verify(() -> {
        assertEquals(Set.of(sharedPoolThread.get()), blocked,
          "only the shared pool's blocking call is reported, not the job's thread " + job.thread());
        assertTrue(job.thread().get().startsWith("jobs-sleep-"), "the job ran on its type's pool: " + job.thread());
        assertEquals(1500, completed.result().getJsonObject("data").getInteger("slept_ms"));
      });
      tc.completeNow();
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void withABudgetOfOneTwoJobsNeverComputeAtOnce(Vertx vertx, VertxTestContext tc) {
    sectionsAtOnce(vertx, 1).onComplete(tc.succeeding(most -> tc.verify(() -> {
      assertEquals(1, most);
      tc.completeNow();
    })));
  }

  @Test
  void withABudgetOfTwoTheSameJobsDoComputeAtOnce(Vertx vertx, VertxTestContext tc) {
    // The control of the test above: the same jobs overlap when the budget lets them.
    sectionsAtOnce(vertx, 2).onComplete(tc.succeeding(most -> tc.verify(() -> {
      assertEquals(2, most);
      tc.completeNow();
    })));
  }

  /**
   * Runs two jobs (two threads) that each enter one CPU section and stay in it until the other has
   * entered its own too, or is seen waiting for a permit, or has finished; completes with the most
   * sections that ran at once.
   */
  private static Future<Integer> sectionsAtOnce(Vertx vertx, int permits) {
    CpuBudget budget = new CpuBudget(permits);
    AtomicInteger arrived = new AtomicInteger();
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    TestJob job = new TestJob(ctx -> {
      arrived.incrementAndGet();
      return ctx.cpu(() -> {
        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
        boolean met = waitFor(() -> arrived.get() == 2 && (inside.get() == 2 || budget.waiting() > 0 || done.get() > 0));
        inside.decrementAndGet();
        done.incrementAndGet();
        return new JsonObject().put("met", met);
      });
    });
    FakeJobStore store = FakeJobStore.forIds(List.of("t1", "t2"));
    return vertx.deployVerticle(store)
      .compose(d -> vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(2, 600_000, 20, 30_000, 5_000, budget))))
      .compose(d -> store.nth(Addresses.JOB_COMPLETE, 2))
      .map(last -> {
        store.received(Addresses.JOB_COMPLETE).forEach(c -> assertEquals(true, c.getJsonObject("data").getBoolean("met"),
          "each section saw the other job arrive: " + c));
        assertEquals(0, budget.inUse());
        return most.get();
      });
  }

  /** CPU sections run below the event loops' OS priority (Linux: the test reads the threads' nice). */
  @Test
  void aJobsCpuSectionRunsAtALowerPriorityThanTheEventLoops(Vertx vertx, VertxTestContext tc) {
    Assumptions.assumeTrue(Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
    TestJob job = new TestJob(ctx -> {
      int before = nice();
      int inside = ctx.cpu(JobThreadsTest::nice);
      return new JsonObject().put("before", before).put("inside", inside);
    });
    FakeJobStore store = FakeJobStore.forIds(List.of("t1"));
    vertx.deployVerticle(store)
      .compose(d -> vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(1, 600_000, 20, 30_000, 5_000,
        new CpuBudget(1)))))
      .compose(d -> store.nth(Addresses.JOB_COMPLETE, 1))
      .onComplete(tc.succeeding(done -> tc.verify(() -> {
        JsonObject data = done.getJsonObject("data");
        assertEquals(JobThreadPriority.NICE, data.getInteger("inside") - data.getInteger("before"), data.encode());
        vertx.runOnContext(v -> tc.verify(() -> {
          assertEquals(data.getInteger("before"), nice(), "an event loop keeps its priority");
          tc.completeNow();
        }));
      })));
  }

  /** The calling thread's nice value (field 19 of /proc/thread-self/stat). */
  private static int nice() throws IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }

  @Test
  void aCancelledTaskWaitingForAPermitStopsWithoutComputing(Vertx vertx, VertxTestContext tc) {
    CpuBudget budget = new CpuBudget(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean waiterComputed = new AtomicBoolean();
    Promise<Void> holding = Promise.promise();
    Promise<JobCancelledException> stopped = Promise.promise();
    TestJob job = new TestJob(ctx -> {
      if (ctx.taskId().equals("holder")) {
        return ctx.cpu(() -> {
          holding.complete();
          return new JsonObject().put("released", release.await(20, TimeUnit.SECONDS));
        });
      }
      assertTrue(waitFor(() -> budget.inUse() == 1), "the holder holds the only permit");
      try {
        return ctx.cpu(() -> {
          waiterComputed.set(true);
          return new JsonObject();
        });
      } catch (JobCancelledException e) {
        stopped.complete(e);
        throw e;
      }
    });
    FakeJobStore store = FakeJobStore.forIds(List.of("holder", "waiter"));
    vertx.deployVerticle(store)
      .compose(d -> vertx.deployVerticle(new JobVerticle(job, new JobVerticle.Settings(2, 600_000, 20, 30_000, 5_000, budget))))
      .compose(d -> holding.future())
      .compose(v -> until(vertx, () -> budget.waiting() == 1))
      .compose(v -> {
        vertx.eventBus().publish(Addresses.UPDATED, new JsonObject(),
          FakeJobStore.updated(FakeJobStore.TENANT, "waiter", "cancelled"));
        return stopped.future();
      })
      .compose(e -> {
        tc.verify(() -> {
          assertEquals(1, budget.inUse(), "the holder still computes");
          assertEquals(0, budget.waiting());
        });
        release.countDown();
        return store.nth(Addresses.JOB_COMPLETE, 1);
      })
      .onComplete(tc.succeeding(complete -> tc.verify(() -> {
        assertEquals("holder", complete.getString("id"));
        assertEquals(true, complete.getJsonObject("data").getBoolean("released"));
        assertFalse(waiterComputed.get(), "the cancelled task never got to compute");
        assertEquals(1, store.received(Addresses.JOB_COMPLETE).size());
        assertEquals(List.of(), store.received(Addresses.JOB_FAIL));
        tc.completeNow();
      })));
  }

  @Test
  void aNestedSectionRunsWithinItsThreadsPermitAndAnEventLoopIsRefused(Vertx vertx, VertxTestContext tc)
    throws Exception {
    CpuBudget budget = new CpuBudget(1);
    assertEquals("inner", budget.run("t1", () -> false, () -> budget.run("t1", () -> false, () -> "inner")));
    assertEquals(0, budget.inUse());
    vertx.runOnContext(v -> tc.verify(() -> {
      assertThrows(IllegalStateException.class, () -> budget.run("t1", () -> false, () -> "on a loop"));
      tc.completeNow();
    }));
  }

  /** A section waiting for I/O lends its permit: another section runs meanwhile; the first goes on with it again. */
  @Test
  void aSectionWaitingOutsideTheBudgetLendsItsPermit() throws Exception {
    CpuBudget budget = new CpuBudget(1);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      String lent = budget.run("t1", () -> false, () -> {
        String result = budget.outside(() -> {
          assertEquals(0, budget.inUse(), "no permit is held while waiting");
          return other.submit(() -> budget.run("t2", () -> false, () -> "the other computed")).get(10, TimeUnit.SECONDS);
        });
        assertEquals(1, budget.inUse(), "the permit is back");
        return result;
      });
      assertEquals("the other computed", lent);
      assertEquals(0, budget.inUse());
      assertEquals("outside any section", budget.outside(() -> "outside any section"));
      assertEquals(0, budget.inUse());
    } finally {
      other.shutdownNow();
    }
  }

  /** Spins on the calling job thread until {@code condition} holds, 10 s at most; returns whether it held. */
  private static boolean waitFor(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return true;
  }

  /** Completes once {@code condition} holds (looked at every 10 ms), fails after 10 s. */
  private static Future<Void> until(Vertx vertx, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Promise<Void> p = Promise.promise();
    vertx.setPeriodic(10, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        p.tryComplete();
      } else if (System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        p.tryFail("the condition did not hold within 10 s");
      }
    });
    return p.future();
  }

  private static Set<String> blockedThreads(String log) {
    Set<String> names = new TreeSet<>();
    Matcher m = BLOCKED.matcher(log);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** Copies what is written to {@code System.err} (where slf4j-simple logs) while open, passing it on. */
  private static final class StderrCopy implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    StderrCopy() {
      System.setErr(new PrintStream(new OutputStream() {
        @Override
        public void write(int b) {
          synchronized (copy) {
            copy.write(b);
          }
          original.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          synchronized (copy) {
            copy.write(b, off, len);
          }
          original.write(b, off, len);
        }
      }, true, StandardCharsets.UTF_8));
    }

    String text() {
      synchronized (copy) {
        return copy.toString(StandardCharsets.UTF_8);
      }
    }

    @Override
    public void close() {
      System.setErr(original);
    }
  }
}
