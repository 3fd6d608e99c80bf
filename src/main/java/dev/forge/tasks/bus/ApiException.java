package dev.forge.tasks.bus;

/** Carries an {@link ApiError} through a failed {@code Future}; cheap, since it keeps no stack. */
public final class ApiException extends RuntimeException {

  private final ApiError error;

  public ApiException(ApiError error) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
