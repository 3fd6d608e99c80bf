package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.db.StoreConsumers;
import dev.forge.tasks.db.StorePool;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.List;

/**
 * The only owner of the webhook tables, on the event bus: the endpoint API through
 * {@link WebhookEndpoints}, the senders' claims and results through {@link DeliveryLedger}.
 * Deliveries themselves are written by the database's triggers, in the transaction of the task
 * change that causes them (V4__webhooks.sql, switched on only while an endpoint needs them by V7).
 */
public final class WebhookStoreVerticle extends VerticleBase {

  /** How long a stopping store lets the requests under way finish before its pool closes. */
  private static final long DRAIN_MS = 2000;

  /** The database, and the retry policy of deliveries. */
  public record Settings(PgConnectOptions connect, int poolSize, long retryForMs, long retryBaseMs) {
  }

  private Pool pool;
  private StoreConsumers consumers;
  private final Settings settings;
  private final Destinations destinations;

  /** {@code destinations}: the rules every endpoint URL is checked against (the sender checks them again). */
  public WebhookStoreVerticle(Settings settings, Destinations destinations) {
    this.settings = settings;
    this.destinations = destinations;
  }

  @Override
  public Future<?> start() {
    pool = StorePool.open(vertx, settings.connect(), settings.poolSize(), 1024, "webhooks-store");
    consumers = new StoreConsumers(vertx, "Webhooks", null);
    DeliveryLedger ledger = new DeliveryLedger(pool, settings.retryForMs(), settings.retryBaseMs());
    WebhookEndpoints endpoints = new WebhookEndpoints(pool, destinations, ledger);
    return Future.all(List.of(
      consumers.onJson(Addresses.WEBHOOK_CREATE, endpoints::create),
      consumers.onJson(Addresses.WEBHOOK_LIST, endpoints::list),
      consumers.onJson(Addresses.WEBHOOK_GET, endpoints::get),
      consumers.onJson(Addresses.WEBHOOK_UPDATE, endpoints::update),
      consumers.onJson(Addresses.WEBHOOK_DELETE, endpoints::delete),
      consumers.onJson(Addresses.WEBHOOK_DELIVERIES, endpoints::deliveries),
      consumers.onJson(Addresses.WEBHOOK_RETRY, endpoints::retry),
      consumers.onJson(Addresses.WEBHOOK_CLAIM, ledger::claim),
      consumers.onJson(Addresses.WEBHOOK_RESULT, ledger::results)));
  }

  /** Leaves the bus, lets the requests under way finish (at most {@link #DRAIN_MS}), then closes the pool. */
  @Override
  public Future<?> stop() {
    return (consumers == null ? Future.succeededFuture() : consumers.close(DRAIN_MS))
      .transform(v -> pool == null ? Future.succeededFuture() : pool.close());
  }
}
