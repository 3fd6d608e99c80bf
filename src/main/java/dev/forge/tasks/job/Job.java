package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * One type of background work. The runtime claims tasks of {@link #type()}, at most
 * {@link #concurrency()} at once on a node, and calls {@link #run} on a thread of the type's own
 * pool, {@code jobs-<type>}: a job may block or wait there as long as its timeout allows, and runs
 * its CPU-bound sections through {@link JobContext#cpu}, within the node's CPU budget.
 *
 * <p>A job reports through its {@link JobContext}; it ends by returning the data to merge into the
 * task (the task becomes {@code completed}), by throwing a {@link JobFailure} (retryable or final),
 * or by throwing anything else (a retryable failure whose reason hides the exception). When its
 * task is cancelled, or its lease is lost, the next report throws {@link JobCancelledException}.
 */
public interface Job {

  /** The task type this job runs, such as {@code document_analysis}. */
  String type();

  /** How many tasks of this type a node runs at once; {@code 0} takes the node's default. */
  default int concurrency() {
    return 0;
  }

  /** Does the work; returns data merged into the task's data on completion (may be null). */
  JsonObject run(JobContext ctx) throws Exception;
}
