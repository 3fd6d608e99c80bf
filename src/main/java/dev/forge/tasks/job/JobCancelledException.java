package dev.forge.tasks.job;

/** Thrown from a report once the task was cancelled or the attempt lost its lease: stop now. */
public final class JobCancelledException extends RuntimeException {

  public JobCancelledException(String taskId) {
    super("Task " + taskId + " was cancelled or handed to another attempt", null, false, false);
  }
}
