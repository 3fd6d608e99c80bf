package dev.forge.tasks.file;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.pgclient.PgException;
import java.io.IOException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The files' failures in the error shape of API.md, and the files store's mapping of database errors. */
public final class FileErrors {

  private static final Logger LOG = LoggerFactory.getLogger(FileErrors.class);

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

  /** A database failure as the caller should see it: the client's fault, an outage, slowness or a bug. */
  static ApiError fromStore(Throwable failure, String operation, String fileId) {
    if (failure instanceof ApiException api) {
      return api.error();
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        String state = pg.getSqlState() == null ? "" : pg.getSqlState();
        if (state.equals("23505")) {
          return idConflict(fileId);
        }
        if (state.equals("57014")) {
          LOG.warn("Files {} on file {} timed out in Postgres", operation, fileId);
          return ApiError.storeTimeout();
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
          LOG.warn("Files {} on file {}: Postgres unavailable (SQLSTATE {})", operation, fileId, state);
          return ApiError.storeUnavailable();
        }
        if (state.equals("22P05") || state.equals("22021")) {
          return ApiError.invalidParameter(null, "The request holds characters that cannot be stored (such as \\u0000).");
        }
        break;
      }
      String message = t.getMessage() == null ? "" : t.getMessage();
      if (t instanceof IOException || t.getClass().getName().contains("Timeout")
        || t.getClass().getName().contains("Connect") || t.getClass().getName().contains("Closed")
        || message.startsWith("Timeout waiting for connection") || message.contains("wait queue")) {
        LOG.warn("Files {} on file {}: Postgres unreachable ({})", operation, fileId, t.getClass().getSimpleName());
        return ApiError.storeUnavailable();
      }
    }
    String ref = UUID.randomUUID().toString();
    LOG.error("Files {} on file {} failed, reference {}", operation, fileId, ref, failure);
    return ApiError.internal(ref);
  }
}
