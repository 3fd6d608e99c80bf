package dev.forge.tasks.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.json.DecodeException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Which database failure the client sees as what: by SQLSTATE and by exception type, never by message text. */
class StoreFailuresTest {

  private static int status(Throwable failure) {
    return StoreFailures.toApiError(failure, "test t-1").status();
  }

  private static PgException pg(String sqlState) {
    return new PgException("message the client never sees", "ERROR", sqlState, null);
  }

  @Test
  void postgresRefusalsAreToldApartBySqlState() {
    assertEquals(504, status(pg("57014")), "statement_timeout");
    assertEquals(503, status(pg("08006")), "connection_failure");
    assertEquals(503, status(pg("53300")), "too_many_connections");
    assertEquals(503, status(pg("53100")), "disk_full");
    assertEquals(503, status(pg("57P01")), "admin_shutdown");
    assertEquals(503, status(pg("57P03")), "cannot_connect_now");
    assertEquals(503, status(pg("40P01")), "deadlock_detected: rolled back, worth retrying");
    assertEquals(503, status(pg("40001")), "serialization_failure: rolled back, worth retrying");
    ApiError nul = StoreFailures.toApiError(pg("22P05"), "test t-1");
    assertEquals(400, nul.status());
    assertEquals("invalid_parameter", nul.code());
    assertEquals(400, status(pg("22021")));
  }

  @Test
  void postgresRefusalsThatOnlyABugExplainsAre500WithAReference() {
    ApiError unique = StoreFailures.toApiError(pg("23505"), "test t-1");
    assertEquals(500, unique.status());
    assertEquals("internal_error", unique.code());
    assertFalse(unique.message().contains("message the client never sees"), unique.message());
    assertEquals(500, status(pg("42P01")), "undefined_table");
    assertEquals(500, status(pg(null)));
    assertEquals(500, status(new IllegalStateException("Timeout waiting for connection")),
      "the message text decides nothing");
    assertEquals(500, status(new DecodeException("Timeout")), "a subclass of VertxException is not the pool's refusal");
  }

  @Test
  void aUniqueViolationIsTheStoresOwnConflictWhereItHasOne() {
    ApiError taken = ApiError.conflict("id_conflict", "A file with id 'f-1' already exists.");
    assertEquals(taken, StoreFailures.toApiError(new CompletionException(pg("23505")), "test f-1", taken));
    assertEquals(504, StoreFailures.toApiError(pg("57014"), "test f-1", taken).status(), "only 23505 is the conflict");
  }

  @Test
  void retryableAndSqlStateReadTheFirstPostgresRefusalAmongTheCauses() {
    assertTrue(StoreFailures.retryable(new CompletionException(pg("40P01"))));
    assertTrue(StoreFailures.retryable(pg("40001")));
    assertFalse(StoreFailures.retryable(pg("57014")));
    assertFalse(StoreFailures.retryable(new IOException("reset")));
    assertEquals(StoreFailures.FOREIGN_KEY_VIOLATION, StoreFailures.sqlState(new CompletionException(pg("23503"))));
  }

  @Test
  void lostOrRefusedConnectionsAre503ByType() {
    assertEquals(503, status(ClosedConnectionException.INSTANCE));
    assertEquals(503, status(new ConnectException("Connection refused")));
    assertEquals(503, status(new ConnectTimeoutException("connection timed out")));
    assertEquals(503, status(new IOException("Broken pipe")));
    assertEquals(503, status(new TimeoutException()));
    assertEquals(503, status(new ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 1")));
    assertEquals(503, status(new VertxException("Timeout waiting for connection")), "the pool's connection timeout");
    assertEquals(503, status(new CompletionException(ClosedConnectionException.INSTANCE)), "found among the causes");
  }

  @Test
  void apiErrorsPassThroughUnchanged() {
    ApiError conflict = ApiError.conflict("lease_lost", "Attempt 1 no longer holds the task.");
    assertEquals(conflict, StoreFailures.toApiError(new ApiException(conflict), "test t-1"));
  }

  @Test
  void onlyAConnectionLostInFlightLeavesTheOutcomeUnknown() {
    assertTrue(StoreFailures.outcomeUnknown(ClosedConnectionException.INSTANCE));
    assertTrue(StoreFailures.outcomeUnknown(new IOException("Connection reset by peer")));
    assertTrue(StoreFailures.outcomeUnknown(new CompletionException(new IOException("reset"))));
    assertFalse(StoreFailures.outcomeUnknown(new ConnectException("Connection refused")), "never sent");
    assertFalse(StoreFailures.outcomeUnknown(new ConnectTimeoutException("timed out")), "never sent");
    assertFalse(StoreFailures.outcomeUnknown(pg("57014")), "rolled back");
    assertFalse(StoreFailures.outcomeUnknown(new VertxException("Timeout waiting for connection")), "never sent");
  }
}
