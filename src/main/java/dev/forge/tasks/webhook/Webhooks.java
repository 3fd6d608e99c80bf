package dev.forge.tasks.webhook;

import dev.forge.tasks.config.TasksConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import java.util.function.BiFunction;

/** The webhooks' part of a node: their store, then their sender, on the task store's database. */
public final class Webhooks {

  /** Connections of the webhooks store: claims, results and the endpoint API are few and short. */
  private static final int POOL_SIZE = 4;
  /** How often due deliveries are looked for (a full claim looks again as slots free up). */
  private static final long POLL_MS = 200;
  /** Deliveries one node sends at once. */
  private static final int MAX_IN_FLIGHT = 256;
  /** Kept-alive connections per receiver. */
  private static final int CONNECTIONS_PER_HOST = 16;

  private Webhooks() {
  }

  /**
   * Deploys the webhooks store and the sender; {@code deploy} records each deployment by role
   * ("webhooks store", "webhooks sender"), so that the node undeploys them in reverse.
   */
  public static Future<Void> deploy(Vertx vertx, TasksConfig config, PgConnectOptions pg,
                                    BiFunction<String, Future<String>, Future<Void>> deploy) {
    Destinations destinations = new Destinations(config.webhookAllowedHosts());
    WebhookStoreVerticle.Settings store = new WebhookStoreVerticle.Settings(pg, POOL_SIZE, destinations,
      config.webhookRetryForMs(), config.webhookRetryBaseMs(), config.webhookRetentionS(), config.retentionIntervalMs());
    Sender.Settings sender = new Sender.Settings(config.webhookTimeoutMs(), POLL_MS, MAX_IN_FLIGHT,
      CONNECTIONS_PER_HOST, config.busTimeoutMs(), destinations, WebhookTls.trust(config.webhookTrustPem()));
    return deploy.apply("webhooks store", vertx.deployVerticle(new WebhookStoreVerticle(store)))
      .compose(v -> deploy.apply("webhooks sender", vertx.deployVerticle(new DeliveryVerticle(sender))));
  }
}
