package dev.forge.tasks.job;

/** Thrown by a job to fail its attempt with a reason that clients will read. */
public final class JobFailure extends Exception {

  private final boolean retryable;

  private JobFailure(String reason, boolean retryable) {
    super(reason, null, false, false);
    this.retryable = retryable;
  }

  /** The task is retried (with backoff) while attempts remain, then fails with this reason. */
  public static JobFailure retryable(String reason) {
    return new JobFailure(reason, true);
  }

  /** The task fails at once with this reason: retrying cannot help (bad input, for example). */
  public static JobFailure fatal(String reason) {
    return new JobFailure(reason, false);
  }

  public boolean retryable() {
    return retryable;
  }
}
