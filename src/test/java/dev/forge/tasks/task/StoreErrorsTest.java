package dev.forge.tasks.task;

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
class StoreErrorsTest {

  private static int status(Throwable failure) {
    return StoreErrors.toApiError(failure, "test", "t-1").status();
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
    ApiError nul = StoreErrors.toApiError(pg("22P05"), "test", "t-1");
    assertEquals(400, nul.status());
    assertEquals("invalid_parameter", nul.code());
    assertEquals(400, status(pg("22021")));
  }

  @Test
  void postgresRefusalsThatOnlyABugExplainsAre500WithAReference() {
    ApiError unique = StoreErrors.toApiError(pg("23505"), "test", "t-1");
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
    assertEquals(conflict, StoreErrors.toApiError(new ApiException(conflict), "test", "t-1"));
  }

  @Test
  void onlyAConnectionLostInFlightLeavesTheOutcomeUnknown() {
    assertTrue(StoreErrors.outcomeUnknown(ClosedConnectionException.INSTANCE));
    assertTrue(StoreErrors.outcomeUnknown(new IOException("Connection reset by peer")));
    assertTrue(StoreErrors.outcomeUnknown(new CompletionException(new IOException("reset"))));
    assertFalse(StoreErrors.outcomeUnknown(new ConnectException("Connection refused")), "never sent");
    assertFalse(StoreErrors.outcomeUnknown(new ConnectTimeoutException("timed out")), "never sent");
    assertFalse(StoreErrors.outcomeUnknown(pg("57014")), "rolled back");
    assertFalse(StoreErrors.outcomeUnknown(new VertxException("Timeout waiting for connection")), "never sent");
  }
}
