package dev.forge.tasks.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What a store verticle opens at start and closes at stop, as one: its connection pool and its
 * consumers on the bus ({@link StorePool}, {@link StoreConsumers}). {@link #close(long)} closes them
 * in the order a store must: off the bus first, the requests under way finished, then the pool.
 */
public final class StoreRoom {

  private final Pool pool;
  private final StoreConsumers consumers;
  private final List<Pool> more = new ArrayList<>();

  private StoreRoom(Pool pool, StoreConsumers consumers) {
    this.pool = pool;
    this.consumers = consumers;
  }

  /**
   * A pool named {@code poolName} of {@code poolSize} connections to {@code connect}, where at most
   * {@code maxWaiting} requests wait for a connection (see {@link StorePool#open}), and the store's
   * {@code consumers}, which it registers on the bus once the room is open.
   */
  public static StoreRoom open(Vertx vertx, PgConnectOptions connect, int poolSize, int maxWaiting, String poolName,
                               StoreConsumers consumers) {
    return new StoreRoom(StorePool.open(vertx, connect, poolSize, maxWaiting, poolName), consumers);
  }

  public Pool pool() {
    return pool;
  }

  /** Where the store registers its addresses; {@link #close(long)} takes them off the bus. */
  public StoreConsumers consumers() {
    return consumers;
  }

  /**
   * A second pool of {@code size} connections to the same database whose commits do not wait for
   * their WAL flush ({@code synchronous_commit = off}), closed with the room: for writes that a crash
   * may lose because whatever relies on them is redone anyway (a lease, an outcome that is sent
   * again). Postgres flushes the WAL in order, so any later commit that waits makes them durable too.
   */
  public Pool asynchronousPool(Vertx vertx, PgConnectOptions connect, int size, String name) {
    Pool added = StorePool.open(vertx, StorePool.asynchronousCommit(connect), size, StorePool.MAX_WAITING, name);
    more.add(added);
    return added;
  }

  /**
   * Keeps the planner's statistics of {@code tables} (the store's own) where autovacuum does not:
   * see {@link PlannerStatistics}. On the calling verticle's context; stops with it.
   */
  public void keepStatistics(Vertx vertx, List<String> tables) {
    PlannerStatistics.keep(vertx, pool, tables);
  }

  /** Answers each address with its handler's reply (see {@link StoreConsumers#onJson}); done once all listen. */
  public Future<Void> answer(Map<String, Function<JsonObject, Future<JsonObject>>> handlers) {
    return Future.all(handlers.entrySet().stream().map(h -> consumers.onJson(h.getKey(), h.getValue())).toList())
      .mapEmpty();
  }

  /** Leaves the bus, lets the requests under way finish (at most {@code drainMs}), then closes the pool. */
  public Future<Void> close(long drainMs) {
    return consumers.close(drainMs).transform(v -> Future.all(Stream.concat(Stream.of(pool), more.stream())
      .map(Pool::close).toList())).mapEmpty();
  }
}
