package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

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
  void progress(double progress);

  /** Reports progress and data keys to merge into the task's data (such as {@code stage}). */
  void progress(double progress, JsonObject data);

  /** True once the task was cancelled or the attempt lost its lease; the job should stop. */
  boolean isCancelled();
}
