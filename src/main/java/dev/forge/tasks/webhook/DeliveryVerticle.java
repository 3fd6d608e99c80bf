package dev.forge.tasks.webhook;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.TrustOptions;

/**
 * Sends webhooks: runs a {@link Sender} on an event loop of its own, which shares nothing with the
 * task path but the database.
 */
public final class DeliveryVerticle extends VerticleBase {

  /**
   * How this node sends: timeout per call, claim poll interval, deliveries in flight at most,
   * connections per receiver, and the certificates trusted for {@code https} (null: the JVM's).
   */
  public record Settings(long timeoutMs, long pollMs, int maxInFlight, int connectionsPerHost, long busTimeoutMs,
                         Destinations destinations, TrustOptions trust) {

    /** A claimed delivery is redone elsewhere if not reported within a call's timeout and this margin. */
    long leaseMs() {
      return timeoutMs + 5000;
    }
  }

  private Sender sender;
  private final Settings settings;

  public DeliveryVerticle(Settings settings) {
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
