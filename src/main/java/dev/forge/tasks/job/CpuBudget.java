package dev.forge.tasks.job;

import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How many job threads of a node may run CPU-bound work at once, across every job type. Jobs wait
 * for threads freely (a job waiting on I/O or on another task holds no permit); only the sections
 * they run through {@link JobContext#cpu} count, so heavy work (parsing, embedding) can never take
 * every core and the event loops that answer status polls keep one. One instance per node.
 */
public final class CpuBudget {

  private final int permits;
  private final Semaphore semaphore;

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

  /**
   * Runs {@code work} on the calling thread once a permit is free, giving up with
   * {@link JobCancelledException} if {@code cancelled} turns true while it waits.
   */
  <T> T run(String taskId, BooleanSupplier cancelled, Callable<T> work) throws Exception {
    while (!semaphore.tryAcquire(50, TimeUnit.MILLISECONDS)) {
      if (cancelled.getAsBoolean()) {
        throw new JobCancelledException(taskId);
      }
    }
    try {
      return work.call();
    } finally {
      semaphore.release();
    }
  }
}
