package dev.forge.tasks.job;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Job} type on this node: claims pending tasks through the store (when told work is
 * available, and every poll interval), runs at most {@code concurrency} at once, renews their
 * leases, stops them when their task is cancelled anywhere in the cluster, and fails an attempt
 * that throws or outlives its timeout. On undeploy it hands its leases back at once.
 *
 * <p>Jobs run on a worker pool of their type's own, {@code jobs-<type>}, with one thread per unit
 * of concurrency (not on Vert.x's shared pool, which would cap every type together at its 20
 * threads), and a maximum execution time equal to the job timeout, so that a long job is not
 * reported as a blocked thread. Undeploying waits a few seconds for the cancelled jobs to return,
 * then closes the pool, which interrupts those still running. The pool is shared by name within a
 * Vert.x instance: deploy one verticle per job type there.
 */
public final class JobVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(JobVerticle.class);
  private static final int MAX_CLAIM = 100;
  /** How long undeploying waits for cancelled jobs to return before closing their pool interrupts them. */
  private static final long STOP_GRACE_MS = 5_000;

  /** {@code cpu} is the node-wide budget shared by every job type of the node. */
  public record Settings(int concurrency, long pollMs, long flushMs, long timeoutMs, long busTimeoutMs, CpuBudget cpu) {

    /** Settings with a budget of its own (cores − 1), for a job verticle deployed alone. */
    public Settings(int concurrency, long pollMs, long flushMs, long timeoutMs, long busTimeoutMs) {
      this(concurrency, pollMs, flushMs, timeoutMs, busTimeoutMs, new CpuBudget(CpuBudget.defaultPermits()));
    }
  }

  /** Task ids are scoped to a tenant: two tenants' tasks of the same id may run here at once. */
  private record TaskKey(String tenant, String id) {
  }

  private final Job job;
  private final Settings settings;
  private final int limit;
  private final String worker;
  private final Map<TaskKey, RunningJob> running = new HashMap<>();
  private DeliveryOptions bus;
  private RunningJob.Host host;
  private WorkerExecutor threads;
  private boolean claiming;
  private boolean claimAgain;
  private Future<?> claimInFlight;
  private boolean stopping;
  /** Completed by the last job to end once stopping. */
  private Promise<Void> drained;

  public JobVerticle(Job job, Settings settings) {
    this.job = job;
    this.settings = settings;
    this.limit = job.concurrency() > 0 ? job.concurrency() : settings.concurrency();
    this.worker = job.type() + "@" + UUID.randomUUID();
  }

  @Override
  public Future<?> start() {
    bus = new DeliveryOptions().setSendTimeout(settings.busTimeoutMs());
    host = new RunningJob.Host(vertx, context, bus, settings.flushMs(), settings.cpu());
    threads = vertx.createSharedWorkerExecutor("jobs-" + job.type(), limit, settings.timeoutMs(), TimeUnit.MILLISECONDS);
    var available = vertx.eventBus().<JsonObject>consumer(Addresses.JOB_AVAILABLE, m -> {
      if (job.type().equals(m.body().getString("type"))) {
        claim();
      }
    });
    var updates = vertx.eventBus().<JsonObject>consumer(Addresses.UPDATED, this::onUpdate);
    vertx.setPeriodic(settings.pollMs(), t -> claim());
    // Each job renews its lease after a third of it without a report; a 250 ms tick serves leases down to 1 s.
    vertx.setPeriodic(250, t -> running.values().forEach(RunningJob::heartbeat));
    return Future.all(available.completion(), updates.completion()).onSuccess(v -> claim());
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    running.values().forEach(RunningJob::cancel);
    // A claim in flight may lease tasks to this worker that it will never run: settle it, then hand back.
    boolean claimed = claiming;
    Future<?> settled = claimed ? claimInFlight.otherwiseEmpty() : Future.succeededFuture();
    return settled.compose(v -> {
      if (running.isEmpty() && !claimed) {
        return Future.succeededFuture();
      }
      LOG.info("Handing back {} running {} task(s) of worker {}", running.size(), job.type(), worker);
      return vertx.eventBus().request(Addresses.JOB_RELEASE, new JsonObject().put("worker", worker), bus)
        .onFailure(err -> LOG.warn("Could not hand back the leases of worker {}; they expire on their own", worker))
        .otherwiseEmpty();
    }).compose(v -> drain()).eventually(() -> threads.close());
  }

  /** Waits, at most {@link #STOP_GRACE_MS}, for the cancelled jobs to see it and return. */
  private Future<Void> drain() {
    if (running.isEmpty()) {
      return Future.succeededFuture();
    }
    drained = Promise.promise();
    long grace = vertx.setTimer(STOP_GRACE_MS, t -> {
      LOG.warn("{} {} job(s) of worker {} still running {} ms after a stop: interrupting them", running.size(),
        job.type(), worker, STOP_GRACE_MS);
      drained.tryComplete();
    });
    return drained.future().onComplete(v -> vertx.cancelTimer(grace));
  }

  private void onUpdate(Message<JsonObject> m) {
    RunningJob r = running.get(new TaskKey(m.headers().get(Addresses.HEADER_TENANT),
      m.headers().get(Addresses.HEADER_TASK_ID)));
    // Only a terminal state is final for every attempt; a lost lease shows in the reply to the next report.
    if (r != null && TaskStatus.terminalWire(m.headers().get(Addresses.HEADER_STATUS))) {
      r.cancel();
    }
  }

  private void claim() {
    int free = limit - running.size();
    if (claiming) {
      // Work announced while a claim is in flight may have been committed after that claim's
      // snapshot: look again as soon as it returns, rather than at the next poll.
      claimAgain = true;
      return;
    }
    if (stopping || free <= 0) {
      return;
    }
    claiming = true;
    claimAgain = false;
    int ask = Math.min(free, MAX_CLAIM); // the claim address takes at most 100 at once
    JsonObject body = new JsonObject().put("types", new JsonArray().add(job.type())).put("limit", ask)
      .put("worker", worker);
    claimInFlight = vertx.eventBus().<JsonObject>request(Addresses.JOB_CLAIM, body, bus).onComplete(done -> {
      claiming = false;
      if (done.failed()) {
        ApiError error = ApiError.fromThrowable(done.cause());
        if (error != null && error.status() < 500) {
          LOG.error("Claims for {} are refused: {}", job.type(), error.message()); // a bug, not an outage
        } else {
          LOG.debug("Claim for {} failed: {}", job.type(), done.cause().getMessage());
        }
        return;
      }
      if (stopping) {
        return; // Leased to this worker: stop() hands them back.
      }
      JsonArray jobs = done.result().body().getJsonArray("jobs");
      for (int i = 0; i < jobs.size(); i++) {
        start(jobs.getJsonObject(i));
      }
      if (jobs.size() == ask || claimAgain) {
        claim();
      }
    });
  }

  private void start(JsonObject claimed) {
    RunningJob r = new RunningJob(host, ClaimedJob.from(claimed));
    running.put(new TaskKey(r.claim().tenant(), r.claim().taskId()), r);
    LOG.debug("Task {} ({}) attempt {} started by {}", r.claim().taskId(), job.type(), r.claim().attempt(), worker);
    long timeout = vertx.setTimer(settings.timeoutMs(), t -> {
      if (!r.finished()) {
        LOG.warn("Task {} attempt {} ran past its {} ms timeout", r.claim().taskId(), r.claim().attempt(), settings.timeoutMs());
        r.fail("The job ran past its timeout of " + settings.timeoutMs() + " ms.", true).onFailure(err -> LOG.info(
          "Task {} attempt {} ended without effect: {}", r.claim().taskId(), r.claim().attempt(), err.getMessage()));
      }
    });
    threads.executeBlocking(() -> job.run(r.context()), false).onComplete(done -> {
      vertx.cancelTimer(timeout);
      if (r.finished()) {
        // Failed by its timeout already; its thread, and so its slot, is free only now.
        end(r, Future.succeededFuture());
        return;
      }
      if (done.succeeded()) {
        end(r, r.complete(done.result()));
      } else if (done.cause() instanceof JobCancelledException || stopping) {
        // While stopping, whatever a job throws (closing the pool interrupts it) is moot: its lease is handed back.
        end(r, Future.succeededFuture());
        LOG.info("Task {} attempt {} stopped: cancelled, lease lost or worker stopping", r.claim().taskId(), r.claim().attempt());
      } else if (done.cause() instanceof JobFailure f) {
        end(r, r.fail(f.getMessage(), f.retryable()));
      } else {
        String ref = UUID.randomUUID().toString();
        LOG.error("Task {} attempt {} threw, reference {}", r.claim().taskId(), r.claim().attempt(), ref, done.cause());
        end(r, r.fail("The job failed with an internal error (reference " + ref + ").", true));
      }
    });
  }

  private void end(RunningJob r, Future<?> outcome) {
    outcome.onComplete(done -> {
      // A rescued task may run again here as a newer attempt: remove only this attempt's entry.
      running.remove(new TaskKey(r.claim().tenant(), r.claim().taskId()), r);
      if (drained != null && running.isEmpty()) {
        drained.tryComplete();
      }
      if (done.failed()) {
        LOG.info("Task {} attempt {} ended without effect: {}", r.claim().taskId(), r.claim().attempt(), done.cause().getMessage());
      }
      claim();
    });
  }
}
