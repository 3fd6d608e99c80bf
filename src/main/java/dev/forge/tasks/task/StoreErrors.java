package dev.forge.tasks.task;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells database failures apart: the client's fault, an outage (503), slowness (504), or a bug (500). */
final class StoreErrors {

  private static final Logger LOG = LoggerFactory.getLogger(StoreErrors.class);

  private StoreErrors() {
  }

  /**
   * True when a statement may have been committed although the caller got no answer: the connection
   * failed while it was in flight. (A refusal by Postgres, a pool timeout or a failed connect means
   * the statement did not run, or ran and was rolled back.)
   */
  static boolean outcomeUnknown(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClosedConnectionException || t instanceof IOException && !(t instanceof java.net.ConnectException)) {
        return true;
      }
    }
    return false;
  }

  static ApiError toApiError(Throwable failure, String operation, String taskId) {
    if (failure instanceof ApiException api) {
      return api.error();
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        String state = pg.getSqlState() == null ? "" : pg.getSqlState();
        if (state.equals("57014")) { // query_canceled: statement_timeout
          LOG.warn("Store {} on task {} timed out in Postgres", operation, taskId);
          return ApiError.storeTimeout();
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300") || state.startsWith("53")) {
          LOG.warn("Store {} on task {}: Postgres unavailable (SQLSTATE {})", operation, taskId, state);
          return ApiError.storeUnavailable();
        }
        if (state.equals("22P05") || state.equals("22021")) { // text the database cannot hold (NUL bytes)
          return ApiError.invalidParameter(null, "The request holds characters that cannot be stored (such as \\u0000).");
        }
        break;
      }
      String message = t.getMessage() == null ? "" : t.getMessage();
      if (t instanceof ClosedConnectionException || t instanceof IOException || t instanceof TimeoutException
        || t.getClass().getName().contains("Timeout") || t.getClass().getName().contains("Connect")
        // The pool's own refusals: no connection freed within its wait time, or its wait queue full.
        || message.startsWith("Timeout waiting for connection") || message.contains("wait queue")
        // A store that stops closes its pool: what still reaches it is refused as unavailable, to be retried.
        || message.equals("Pool closed")) {
        LOG.warn("Store {} on task {}: Postgres unreachable ({})", operation, taskId, t.getClass().getSimpleName());
        return ApiError.storeUnavailable();
      }
    }
    String ref = UUID.randomUUID().toString();
    LOG.error("Store {} on task {} failed, reference {}", operation, taskId, ref, failure);
    return ApiError.internal(ref);
  }
}
