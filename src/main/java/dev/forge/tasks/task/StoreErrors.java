package dev.forge.tasks.task;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells database failures apart, by SQLSTATE for Postgres' own refusals and by exception type for
 * the client's: the client's fault (400), an outage (503), slowness (504), or a bug (500).
 */
final class StoreErrors {

  private static final Logger LOG = LoggerFactory.getLogger(StoreErrors.class);

  /** {@code query_canceled}: the statement ran past {@code statement_timeout}. */
  private static final String QUERY_CANCELED = "57014";
  /** {@code character_not_in_repertoire}, {@code untranslatable_character}: text Postgres cannot hold (NUL bytes). */
  private static final String NOT_IN_REPERTOIRE = "22021";
  private static final String UNTRANSLATABLE = "22P05";
  /** SQLSTATE classes of an outage: connection exception, insufficient resources, operator intervention. */
  private static final String CONNECTION_CLASS = "08";
  private static final String RESOURCES_CLASS = "53";
  private static final String SHUTDOWN_CLASS = "57P";

  private StoreErrors() {
  }

  /**
   * True when a statement may have been committed although the caller got no answer: the connection
   * failed while it was in flight. (A refusal by Postgres, a pool timeout or a failed connect means
   * the statement did not run, or ran and was rolled back.)
   */
  static boolean outcomeUnknown(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClosedConnectionException || t instanceof IOException && !(t instanceof ConnectException)) {
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
        ApiError refused = bySqlState(pg.getSqlState(), operation, taskId);
        if (refused != null) {
          return refused;
        }
        break;
      }
      if (unreachable(t)) {
        LOG.warn("Store {} on task {}: Postgres unreachable ({})", operation, taskId, t.getClass().getSimpleName());
        return ApiError.storeUnavailable();
      }
    }
    String ref = UUID.randomUUID().toString();
    LOG.error("Store {} on task {} failed, reference {}", operation, taskId, ref, failure);
    return ApiError.internal(ref);
  }

  /** What a refusal by Postgres means for the client; null for one that only a bug explains. */
  private static ApiError bySqlState(String state, String operation, String taskId) {
    if (state == null) {
      return null;
    }
    if (state.equals(QUERY_CANCELED)) {
      LOG.warn("Store {} on task {} timed out in Postgres", operation, taskId);
      return ApiError.storeTimeout();
    }
    if (state.startsWith(CONNECTION_CLASS) || state.startsWith(RESOURCES_CLASS) || state.startsWith(SHUTDOWN_CLASS)) {
      LOG.warn("Store {} on task {}: Postgres unavailable (SQLSTATE {})", operation, taskId, state);
      return ApiError.storeUnavailable();
    }
    if (state.equals(UNTRANSLATABLE) || state.equals(NOT_IN_REPERTOIRE)) {
      return ApiError.invalidParameter(null, "The request holds characters that cannot be stored (such as \\u0000).");
    }
    return null;
  }

  /**
   * The connection could not be had or was lost: a broken or refused connection, a timeout, or the
   * pool's own refusals (wait queue full; no connection within its wait time, or the pool closed,
   * which the pool reports as a plain {@link VertxException}, never a subclass).
   */
  private static boolean unreachable(Throwable t) {
    return t instanceof ClosedConnectionException || t instanceof IOException || t instanceof TimeoutException
      || t instanceof ConnectionPoolTooBusyException || t.getClass() == VertxException.class;
  }
}
