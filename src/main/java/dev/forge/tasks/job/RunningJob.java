package dev.forge.tasks.job;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One claimed attempt, as its job sees it and as the store hears of it. The job's reports are folded
 * into one unsent {@link Report}; the verticle's event loop sends it at most once per flush
 * interval, one request at a time, puts it back when the store could not be reached, and sends
 * whatever is still unsent with the attempt's outcome, so no report is lost.
 */
final class RunningJob {

  /**
   * What every attempt run by one job verticle shares: the verticle's event loop ({@code context}),
   * the bus options of its requests, the flush interval of reports and the node's CPU budget.
   */
  record Host(Vertx vertx, Context context, DeliveryOptions bus, long flushMs, CpuBudget cpuBudget) {
  }

  private final Host host;
  private final ClaimedJob claim;
  private final long heartbeatMs;

  private volatile boolean cancelled;
  /** Added to by the job's thread, taken by the event loop. */
  private final AtomicReference<Report> unsent = new AtomicReference<>(Report.NONE);
  private final AtomicBoolean wakeUpQueued = new AtomicBoolean();
  // Touched on the event loop only.
  private Future<?> inFlight;
  private long lastSentAt = System.nanoTime();
  private long timerId = -1;
  private boolean finished;

  RunningJob(Host host, ClaimedJob claim) {
    this.host = host;
    this.claim = claim;
    this.heartbeatMs = Math.max(1, claim.leaseMs() / 3);
  }

  ClaimedJob claim() {
    return claim;
  }

  /** What the job sees: its claim's task, tenant, attempt and input, and its reports through this. */
  JobContext context() {
    return new View(claim.taskId(), claim.tenant(), claim.attempt(), claim.input(), this);
  }

  private record View(String taskId, String tenant, int attempt, JsonObject input, RunningJob run) implements JobContext {

    @Override
    public void progress(double progress, JsonObject data) {
      run.progress(progress, data);
    }

    @Override
    public boolean isCancelled() {
      return run.cancelled;
    }

    @Override
    public <T> T cpu(Callable<T> work) throws Exception {
      return run.host.cpuBudget().run(taskId, this::isCancelled, work);
    }

    @Override
    public <T, E extends Exception> T waitOutsideCpu(Wait<T, E> io) throws E {
      return run.host.cpuBudget().outside(io);
    }
  }

  private void progress(double progress, JsonObject data) {
    if (!(progress >= 0.0 && progress <= 1.0)) {
      throw new IllegalArgumentException("progress must be a number from 0.0 to 1.0, not " + progress);
    }
    if (cancelled) {
      throw new JobCancelledException(claim.taskId());
    }
    unsent.accumulateAndGet(Report.of(progress, data), Report::merge);
    // One wake-up of the event loop queued at a time, however fast the job reports: a job in a
    // tight loop must not flood the loop, which finds everything reported so far in one place.
    if (wakeUpQueued.compareAndSet(false, true)) {
      host.context().runOnContext(v -> {
        wakeUpQueued.set(false);
        schedule();
      });
    }
  }

  /** Stops the job at its next report (a cancel was seen, the lease was lost, or the node stops). */
  void cancel() {
    cancelled = true;
  }

  boolean finished() {
    return finished;
  }

  private void schedule() {
    if (finished || inFlight != null || timerId != -1 || unsent.get().isEmpty()) {
      return;
    }
    long delay = host.flushMs() - (System.nanoTime() - lastSentAt) / 1_000_000;
    if (delay <= 0) {
      send(takeUnsent());
    } else {
      timerId = host.vertx().setTimer(delay, t -> {
        timerId = -1;
        schedule();
      });
    }
  }

  /** Renews the lease when nothing else was sent for a third of it. */
  void heartbeat() {
    if (!finished && inFlight == null && (System.nanoTime() - lastSentAt) / 1_000_000 >= heartbeatMs) {
      send(takeUnsent());
    }
  }

  private Report takeUnsent() {
    return unsent.getAndSet(Report.NONE);
  }

  private void send(Report report) {
    lastSentAt = System.nanoTime();
    inFlight = host.vertx().eventBus().<JsonObject>request(Addresses.JOB_PROGRESS, report.toBody(claim.key()), host.bus())
      .onComplete(done -> {
        inFlight = null;
        if (done.succeeded()) {
          if (done.result().body().getBoolean("cancelled", false)) {
            cancelled = true;
          }
        } else {
          ApiError error = ApiError.fromThrowable(done.cause());
          if (error != null && (error.status() == 404 || error.status() == 409)) {
            cancelled = true;
          } else {
            // The store is unreachable: keep the report, under anything reported since, and try again later.
            unsent.accumulateAndGet(report, (since, lost) -> lost.merge(since));
          }
        }
        schedule();
      });
  }

  /** Ends the attempt: after any report in flight, completes with the unsent data plus {@code result}. */
  Future<JsonObject> complete(JsonObject result) {
    end();
    return afterInFlight().compose(v -> {
      JsonObject data = takeUnsent().dataOrEmpty();
      if (result != null) {
        data.mergeIn(result);
      }
      return settle(Addresses.JOB_COMPLETE, claim.key().put("data", data), System.nanoTime() + claim.leaseMs() * 1_000_000);
    });
  }

  /** Ends the attempt as failed; unsent data still reaches the store first. */
  Future<JsonObject> fail(String reason, boolean retryable) {
    end();
    long deadline = System.nanoTime() + claim.leaseMs() * 1_000_000;
    return afterInFlight().compose(v -> {
      JsonObject data = takeUnsent().dataOrEmpty();
      return data.isEmpty() ? Future.<Void>succeededFuture()
        : host.vertx().eventBus().request(Addresses.JOB_PROGRESS, claim.key().put("data", data), host.bus()).<Void>mapEmpty()
          .otherwiseEmpty();
    }).compose(v -> settle(Addresses.JOB_FAIL, claim.key().put("reason", reason).put("retryable", retryable), deadline));
  }

  /**
   * Sends the attempt's outcome, retrying while the store is unreachable and the lease may still
   * hold: the work is done, and a short outage should not cost it (after the lease, the task is
   * rescued and run again anyway).
   */
  private Future<JsonObject> settle(String address, JsonObject body, long deadlineNanos) {
    return host.vertx().eventBus().<JsonObject>request(address, body, host.bus()).map(m -> m.body()).recover(err -> {
      ApiError error = ApiError.fromThrowable(err);
      boolean passing = error == null || error.status() == 503 || error.status() == 504;
      if (!passing || System.nanoTime() + 500_000_000L > deadlineNanos) {
        return Future.failedFuture(err);
      }
      return host.vertx().timer(500).compose(v -> settle(address, body, deadlineNanos));
    });
  }

  /**
   * Stops reporting. What is unsent is taken only after the report in flight, which puts its values
   * back when it fails.
   */
  private void end() {
    finished = true;
    cancelled = true;
    if (timerId != -1) {
      host.vertx().cancelTimer(timerId);
      timerId = -1;
    }
  }

  private Future<Void> afterInFlight() {
    return inFlight == null ? Future.succeededFuture() : inFlight.<Void>mapEmpty().otherwiseEmpty();
  }
}
