package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;

/**
 * What a running job sees of its task. Thread-safe: a job calls it from its worker thread.
 * Reports are coalesced: calling {@link #progress} thousands of times a second costs a few writes a
 * second, and the latest values always reach the store (the last ones together with completion).
 */
public interface JobContext {

  String taskId();

  String tenant();

  /** 1 for the first run, then 2, 3... after a retry or a rescue. */
  int attempt();

  /** The {@code input} the task was created with ({@code {}} when none). */
  JsonObject input();

  /**
   * Reports progress in [0, 1] (a lower value than an earlier report is kept at the earlier one).
   *
   * @throws JobCancelledException when the task was cancelled or this attempt lost its lease
   * @throws IllegalArgumentException when {@code progress} is not a number in [0, 1]
   */
  default void progress(double progress) {
    progress(progress, null);
  }

  /** Reports progress and data keys to merge into the task's data (such as {@code stage}). */
  void progress(double progress, JsonObject data);

  /** True once the task was cancelled or the attempt lost its lease; the job should stop. */
  boolean isCancelled();

  /**
   * Runs CPU-bound {@code work} (parsing, embedding) on this job thread within the node's CPU
   * budget ({@code jobCpuBudget}): waits while that many job threads already compute, so heavy jobs
   * never take the cores that serve status polls. Keep sections short (one document, one batch):
   * a permit is held for the whole call. Waiting or I/O outside such sections costs no permit.
   *
   * @throws JobCancelledException when the task is cancelled while waiting for a permit
   */
  <T> T cpu(Callable<T> work) throws Exception;

  /**
   * Waits for {@code io} (a reply from a store) from inside a {@link #cpu} section without holding
   * the section's permit meanwhile, so that another job computes while this one waits; the section
   * goes on once it has a permit again. Outside a section (and by default) it just runs {@code io}.
   */
  default <T, E extends Exception> T waitOutsideCpu(Wait<T, E> io) throws E {
    return io.get();
  }

  /** Something to wait for, throwing only {@code E}. */
  @FunctionalInterface
  interface Wait<T, E extends Exception> {
    T get() throws E;
  }
}
