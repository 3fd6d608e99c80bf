package dev.forge.tasks.bus;

/**
 * Carries an {@link ApiError} through a failed {@code Future}; cheap, since it keeps no stack. The one
 * failure type of {@code TasksClient}: {@link #status()} is the HTTP status, {@link #code()} the
 * {@code code} of API.md.
 */
public final class ApiException extends RuntimeException {

  private final ApiError error;

  public ApiException(ApiError error) {
    this(error, null);
  }

  /** With the local failure that caused it, for the logs of the process that saw it. */
  public ApiException(ApiError error, Throwable cause) {
    super(error.code() + ": " + error.message(), cause, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }

  /** The HTTP status of the failure (404, 409, 503...). */
  public int status() {
    return error.status();
  }

  /** The stable {@code code} of API.md ({@code task_not_found}, {@code store_unavailable}...). */
  public String code() {
    return error.code();
  }
}
