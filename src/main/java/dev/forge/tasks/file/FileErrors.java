package dev.forge.tasks.file;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;

/** The files' own failures, in the error shape of API.md. */
public final class FileErrors {

  private FileErrors() {
  }

  public static ApiError notFound(String id) {
    return new ApiError(404, "file_not_found", "No file with id '" + ApiError.printable(id) + "'.", null);
  }

  public static ApiError idConflict(String id) {
    return ApiError.conflict("id_conflict", "A file with id '" + ApiError.printable(id) + "' already exists.");
  }

  static ApiError uploadGone() {
    return new ApiError(404, "upload_not_found", "The upload was abandoned or already finished.", null);
  }

  static ApiError staleAttempt(String id) {
    return ApiError.conflict("lease_lost",
      "A newer attempt processes file '" + ApiError.printable(id) + "'; this one must stop.");
  }

  static ApiException exception(ApiError error) {
    return new ApiException(error);
  }
}
