package dev.forge.tasks.webhook;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Sends webhooks: runs a {@link Sender} on an event loop of its own, which shares nothing with the
 * task path but the database.
 */
public final class DeliveryVerticle extends VerticleBase {

  private Sender sender;
  private final Sender.Settings settings;

  DeliveryVerticle(Sender.Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    sender = new Sender(vertx, settings);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return sender == null ? Future.succeededFuture() : sender.stop();
  }
}
