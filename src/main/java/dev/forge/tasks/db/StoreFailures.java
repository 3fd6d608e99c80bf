package dev.forge.tasks.db;

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
 * Tells database failures apart for every store verticle, by SQLSTATE for Postgres' own refusals
 * and by exception type for the client's: the client's fault (400), an outage or a conflict worth
 * retrying (503), slowness (504), or a bug (500, logged with a reference).
 */
public final class StoreFailures {

  private static final Logger LOG = LoggerFactory.getLogger(StoreFailures.class);

  /** {@code unique_violation}. */
  public static final String UNIQUE_VIOLATION = "23505";
  /** {@code foreign_key_violation}: what the row pointed to is gone. */
  public static final String FOREIGN_KEY_VIOLATION = "23503";
  /** {@code query_canceled}: the statement ran past {@code statement_timeout}. */
  private static final String QUERY_CANCELED = "57014";
  /** {@code character_not_in_repertoire}, {@code untranslatable_character}: text Postgres cannot hold (NUL bytes). */
  private static final String NOT_IN_REPERTOIRE = "22021";
  private static final String UNTRANSLATABLE = "22P05";
  /** {@code deadlock_detected}, {@code serialization_failure}: rolled back, running it again is the remedy. */
  private static final String DEADLOCK = "40P01";
  private static final String SERIALIZATION = "40001";
  /** SQLSTATE classes of an outage: connection exception, insufficient resources, operator intervention. */
  private static final String CONNECTION_CLASS = "08";
  private static final String RESOURCES_CLASS = "53";
  private static final String SHUTDOWN_CLASS = "57P";

  private StoreFailures() {
  }

  /** The SQLSTATE of the first Postgres refusal among {@code failure} and its causes; null when there is none. */
  public static String sqlState(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getSqlState();
      }
    }
    return null;
  }

  /** Postgres rolled back to break a deadlock or a serialization conflict: nothing was written. */
  public static boolean retryable(Throwable failure) {
    String state = sqlState(failure);
    return DEADLOCK.equals(state) || SERIALIZATION.equals(state);
  }

  /**
   * True when a statement may have been committed although the caller got no answer: the connection
   * failed while it was in flight. (A refusal by Postgres, a pool timeout or a failed connect means
   * the statement did not run, or ran and was rolled back.)
   */
  public static boolean outcomeUnknown(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClosedConnectionException || t instanceof IOException && !(t instanceof ConnectException)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The error the caller sees. An {@link ApiException} passes unchanged.
   *
   * @param what the operation and what it was about, for the log lines ("Files files.get on file f-1")
   * @param conflict what a unique violation means to this store (such as "that id is taken"); null: a bug
   */
  public static ApiError toApiError(Throwable failure, String what, ApiError conflict) {
    if (failure instanceof ApiException api) {
      return api.error();
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        ApiError refused = bySqlState(pg.getSqlState(), what, conflict);
        if (refused != null) {
          return refused;
        }
        break;
      }
      if (unreachable(t)) {
        LOG.warn("{}: Postgres unreachable ({})", what, t.getClass().getSimpleName());
        return ApiError.storeUnavailable();
      }
    }
    String ref = UUID.randomUUID().toString();
    LOG.error("{} failed, reference {}", what, ref, failure);
    return ApiError.internal(ref);
  }

  /** {@link #toApiError(Throwable, String, ApiError)} for a store to which no unique violation is the client's doing. */
  public static ApiError toApiError(Throwable failure, String what) {
    return toApiError(failure, what, null);
  }

  /** What a refusal by Postgres means for the client; null for one that only a bug explains. */
  private static ApiError bySqlState(String state, String what, ApiError conflict) {
    if (state == null) {
      return null;
    }
    if (state.equals(UNIQUE_VIOLATION)) {
      return conflict;
    }
    if (state.equals(QUERY_CANCELED)) {
      LOG.warn("{} timed out in Postgres", what);
      return ApiError.storeTimeout();
    }
    if (state.startsWith(CONNECTION_CLASS) || state.startsWith(RESOURCES_CLASS) || state.startsWith(SHUTDOWN_CLASS)
      || state.equals(DEADLOCK) || state.equals(SERIALIZATION)) {
      LOG.warn("{}: Postgres unavailable or busy (SQLSTATE {})", what, state);
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
