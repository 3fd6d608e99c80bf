package dev.forge.tasks.webhook;

import dev.forge.tasks.db.StoreConsumers;
import dev.forge.tasks.db.StorePool;
import dev.forge.tasks.db.StoreRoom;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The only owner of the webhook tables, on the event bus: the endpoint API through
 * {@link WebhookEndpoints}, the senders' claims and results through {@link DeliveryLedger}.
 * Deliveries themselves are written in the transaction of the task change that causes them: by the
 * tasks store's statements that end a task ({@link Outbox}), and for task.updated by a trigger
 * (V4__webhooks.sql, V10; switched on only while an endpoint subscribes to it by V8).
 */
public final class WebhookStoreVerticle extends VerticleBase {

  /** How long a stopping store lets the requests under way finish before its pool closes. */
  private static final long DRAIN_MS = 2000;
  /** Connections for the senders' claims and outcomes: one statement each, few at a time. */
  private static final int LEDGER_POOL_SIZE = 2;

  /**
   * The database, the destination rules, the retry policy of deliveries, and how long ended
   * deliveries are kept ({@code retentionS}, 0 for ever; checked every {@code retentionIntervalMs}).
   */
  public record Settings(PgConnectOptions connect, int poolSize, Destinations destinations, long retryForMs,
                         long retryBaseMs, long retentionS, long retentionIntervalMs) {
  }

  private StoreRoom room;
  private final Settings settings;

  public WebhookStoreVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    room = StoreRoom.open(vertx, settings.connect(), settings.poolSize(), StorePool.MAX_WAITING, "webhooks-store",
      new StoreConsumers(vertx, "Webhooks", null));
    // Claims and outcomes commit without waiting for their WAL flush: a crash may lose a lease or a
    // success, and the delivery is then sent again with its webhook-id (at least once, as promised).
    // Their statements are index lookups, and a claim must scan the due index itself: a bitmap scan
    // (which the planner picks when the table's statistics are old) visits the heap page of every
    // entry a succeeded delivery left behind, and never marks one dead for the next claim to skip.
    Pool senders = room.asynchronousPool(vertx, StorePool.withSetting(settings.connect(), "enable_bitmapscan", "off"),
      LEDGER_POOL_SIZE, "webhooks-ledger");
    room.keepStatistics(vertx, List.of("webhook_deliveries", "webhook_endpoints"));
    DeliveryLedger ledger = new DeliveryLedger(room.pool(), senders, settings);
    ledger.expireEnded(vertx);
    Map<String, Function<JsonObject, Future<JsonObject>>> handlers = new HashMap<>(ledger.handlers());
    handlers.putAll(new WebhookEndpoints(room.pool(), settings.destinations(), ledger).handlers());
    return room.answer(handlers);
  }

  @Override
  public Future<?> stop() {
    return room == null ? Future.succeededFuture() : room.close(DRAIN_MS);
  }
}
