package dev.forge.tasks.vector;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.pgclient.PgException;
import java.io.IOException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The vector store's failures as callers see them: the client's fault, an outage, slowness or a bug. */
public final class VectorStoreErrors {

  private static final Logger LOG = LoggerFactory.getLogger(VectorStoreErrors.class);

  private VectorStoreErrors() {
  }

  public static ApiError notFound(String id) {
    return new ApiError(404, "vector_store_not_found", "No vector store with id '" + ApiError.printable(id) + "'.", null);
  }

  static ApiError segmentsGone(String fileId) {
    return new ApiError(404, "file_not_found", "The segments of file '" + ApiError.printable(fileId)
      + "' are gone (the file was deleted or is being processed again).", null);
  }

  /** {@code what} names the operation and its store or file in the log line of an unexpected failure. */
  static ApiError fromStore(Throwable failure, String operation, String what) {
    if (failure instanceof ApiException api) {
      return api.error();
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        String state = pg.getSqlState() == null ? "" : pg.getSqlState();
        if (state.equals("57014")) {
          LOG.warn("Vector store {} on {} timed out in Postgres", operation, what);
          return ApiError.storeTimeout();
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.equals("40P01")
          || state.equals("40001")) {
          LOG.warn("Vector store {} on {}: Postgres unavailable or busy (SQLSTATE {})", operation, what, state);
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
        LOG.warn("Vector store {} on {}: Postgres unreachable ({})", operation, what, t.getClass().getSimpleName());
        return ApiError.storeUnavailable();
      }
    }
    String ref = UUID.randomUUID().toString();
    LOG.error("Vector store {} on {} failed, reference {}", operation, what, ref, failure);
    return ApiError.internal(ref);
  }

  /** True when {@code failure} is a foreign-key violation (SQLSTATE 23503): what it pointed to is gone. */
  static boolean foreignKeyViolation(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg && "23503".equals(pg.getSqlState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when Postgres aborted the transaction to break a deadlock (40P01) or a serialization
   * conflict (40001): nothing was written, and running it again is the documented remedy.
   */
  static boolean retryable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()))) {
        return true;
      }
    }
    return false;
  }
}
