package dev.forge.tasks.job;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vertx.core.Context;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How many job threads of a node may run CPU-bound work at once, across every job type. Jobs wait
 * for threads freely (a job waiting on I/O or on another task holds no permit); only the sections
 * they run through {@link JobContext#cpu} count, so heavy work (parsing, embedding) can never take
 * every core and the event loops that answer status polls keep one. Permits go first come, first
 * served, so a job type with many threads cannot starve another. The threads that run them do so
 * at a lower OS priority ({@link JobThreadPriority}), so that the event loops go first when the
 * cores are full. One instance per node.
 *
 * <p>As a {@link MeterBinder} it publishes {@code tasks_job_cpu_permits} (the budget),
 * {@code tasks_job_cpu_in_use} (sections running) and {@code tasks_job_cpu_waiting} (job threads
 * waiting for a permit).
 */
public final class CpuBudget implements MeterBinder {

  /** How often a job waiting for a permit looks whether its task was cancelled meanwhile. */
  private static final long CANCEL_CHECK_MS = 50;

  private final int permits;
  private final Semaphore semaphore;
  /** Set while this thread holds a permit: a nested section runs within it rather than wait for a second. */
  private final ThreadLocal<Boolean> holding = ThreadLocal.withInitial(() -> false);

  /** A budget of {@code permits} concurrent CPU-bound sections (at least 1). */
  public CpuBudget(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("A CPU budget needs at least 1 permit, not " + permits);
    }
    this.permits = permits;
    this.semaphore = new Semaphore(permits, true);
  }

  /** The default budget: the machine's cores less one, at least one. */
  public static int defaultPermits() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
  }

  public int permits() {
    return permits;
  }

  /** Sections running now. */
  public int inUse() {
    return permits - semaphore.availablePermits();
  }

  /** Job threads waiting for a permit now (an estimate, as {@link Semaphore#getQueueLength()}). */
  public int waiting() {
    return semaphore.getQueueLength();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("tasks.job.cpu.permits", this, CpuBudget::permits).strongReference(true)
      .description("CPU-bound job sections the node runs at once (jobCpuBudget)").register(registry);
    Gauge.builder("tasks.job.cpu.in_use", this, CpuBudget::inUse).strongReference(true)
      .description("CPU-bound job sections running").register(registry);
    Gauge.builder("tasks.job.cpu.waiting", this, CpuBudget::waiting).strongReference(true)
      .description("Job threads waiting for the CPU budget").register(registry);
  }

  /**
   * Runs {@code work} on the calling thread once a permit is free, giving up with
   * {@link JobCancelledException} if {@code cancelled} turns true while it waits.
   *
   * @throws IllegalStateException on an event loop, which must never wait for a permit
   */
  <T> T run(String taskId, BooleanSupplier cancelled, Callable<T> work) throws Exception {
    if (holding.get()) {
      return work.call();
    }
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("Task " + taskId + ": CPU-bound work runs on a job thread, never on an event loop");
    }
    JobThreadPriority.lowerCurrentThread();
    while (!semaphore.tryAcquire(CANCEL_CHECK_MS, TimeUnit.MILLISECONDS)) {
      if (cancelled.getAsBoolean()) {
        throw new JobCancelledException(taskId);
      }
    }
    holding.set(true);
    try {
      return work.call();
    } finally {
      holding.set(false);
      semaphore.release();
    }
  }

  /**
   * Waits for {@code io} (a store's reply) from inside a section without holding its permit: another
   * job computes meanwhile, and this thread takes a permit again (behind those already waiting)
   * before it goes on. It takes it back even if the task is cancelled meanwhile (the section it
   * returns to ends by itself, and its end hands the permit back). Outside a section it just runs
   * {@code io}.
   */
  <T, E extends Exception> T outside(JobContext.Wait<T, E> io) throws E {
    if (!holding.get()) {
      return io.get();
    }
    holding.set(false);
    semaphore.release();
    try {
      return io.get();
    } finally {
      semaphore.acquireUninterruptibly();
      holding.set(true);
    }
  }
}
