package dev.forge.tasks.db;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.HashMap;

/** The connection pool of a store verticle, with the waits every store shares. */
public final class StorePool {

  /** How long a request waits for a free connection, in seconds, and a new connection for its handshake. */
  private static final int CONNECTION_TIMEOUT_S = 3;
  private static final int CONNECT_TIMEOUT_MS = 3000;
  /** Requests that wait for a free connection at most, unless a store says otherwise; more fail at once as the store being unavailable. */
  public static final int MAX_WAITING = 1024;

  private StorePool() {
  }

  /**
   * A pool of at most {@code maxSize} connections named {@code name} (pg_stat_activity does not show
   * it; Vert.x metrics do), where at most {@code maxWaitQueue} requests wait for a connection.
   */
  public static Pool open(Vertx vertx, PgConnectOptions connect, int maxSize, int maxWaitQueue, String name) {
    return PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(maxSize).setConnectionTimeout(CONNECTION_TIMEOUT_S)
        .setMaxWaitQueueSize(maxWaitQueue).setName(name))
      .with(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS))
      .connectingTo(connect)
      .using(vertx)
      .build();
  }

  /**
   * {@code connect} with commits that do not wait for their WAL flush ({@code synchronous_commit =
   * off}): for writes whose loss in a crash is harmless because a later commit that waits makes them
   * durable (Postgres flushes the WAL in order), or because whatever relies on them is redone anyway.
   */
  public static PgConnectOptions asynchronousCommit(PgConnectOptions connect) {
    return withSetting(connect, "synchronous_commit", "off");
  }

  /** {@code connect} whose sessions start with the setting {@code name} = {@code value}. */
  public static PgConnectOptions withSetting(PgConnectOptions connect, String name, String value) {
    return new PgConnectOptions(connect).setProperties(new HashMap<>(connect.getProperties())).addProperty(name, value);
  }
}
