package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.TrustOptions;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending loop of a {@link DeliveryVerticle}, on its event loop: claims due deliveries from the
 * webhooks store with a lease (a node that dies mid-delivery has its deliveries redone by another
 * once the lease ends), makes one {@link WebhookCall} for each, and hands the outcomes to
 * {@link ResultReports}.
 */
final class Sender {

  private static final Logger LOG = LoggerFactory.getLogger(Sender.class);

  /**
   * How a node sends: timeout per call, claim poll interval, deliveries in flight at most,
   * connections per receiver, and the certificates trusted for {@code https} (null: the JVM's).
   */
  record Settings(long timeoutMs, long pollMs, int maxInFlight, int connectionsPerHost, long busTimeoutMs,
                  Destinations destinations, TrustOptions trust) {

    /** A claimed delivery is redone elsewhere if not reported within a call's timeout and this margin. */
    long leaseMs() {
      return timeoutMs + 5000;
    }
  }

  /** How long a stopping sender waits for its claim and reports in flight. */
  private static final long QUIET_MS = 2000;
  /** The most deliveries one claim asks for (the store's limit). */
  private static final int MAX_CLAIM = 256;

  private final String worker = "webhooks-" + UUID.randomUUID();
  private final Vertx vertx;
  private final Settings settings;
  private final WebhookCall call;
  private final DeliveryOptions bus;
  private final ResultReports reports;
  private final long timer;
  private int inFlight;
  private boolean claiming;
  /** The last claim was full, so more may be due: claim again as slots free up, not at the next poll. */
  private boolean backlog;
  private boolean stopping;

  /** Starts polling at once; only from the event loop it then runs on. */
  Sender(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.call = WebhookCall.open(vertx, settings);
    this.bus = new DeliveryOptions().setSendTimeout(settings.busTimeoutMs());
    this.reports = new ResultReports(vertx, bus);
    this.timer = vertx.setPeriodic(settings.pollMs(), t -> poll());
  }

  /**
   * Claims no more, and waits (at most {@link #QUIET_MS}) for the claim and the results in flight, so
   * that the store is not undeployed under them; a call still running is abandoned, and its delivery
   * is sent again by whichever node claims it when its lease ends.
   */
  Future<Void> stop() {
    vertx.cancelTimer(timer);
    stopping = true;
    Promise<Void> quiet = Promise.promise();
    long deadline = System.nanoTime() + QUIET_MS * 1_000_000;
    vertx.setPeriodic(1, 20, t -> {
      if ((!claiming && reports.idle()) || System.nanoTime() > deadline) {
        vertx.cancelTimer(t);
        quiet.complete();
      }
    });
    return quiet.future().compose(v -> call.close());
  }

  private void poll() {
    int free = Math.min(MAX_CLAIM, settings.maxInFlight() - inFlight);
    if (stopping || claiming || free <= 0) {
      return;
    }
    claiming = true;
    JsonObject claim = new JsonObject().put("worker", worker).put("limit", free).put("lease_ms", settings.leaseMs());
    vertx.eventBus().<JsonObject>request(Addresses.WEBHOOK_CLAIM, claim, bus).onComplete(done -> {
      claiming = false;
      if (done.failed()) {
        LOG.debug("Webhook claim failed: {}", failure(done.cause()));
        return;
      }
      JsonArray claimed = done.result().body().getJsonArray("deliveries");
      claimed.forEach(d -> send((JsonObject) d));
      backlog = claimed.size() == free;
    });
  }

  private void send(JsonObject d) {
    inFlight++;
    long started = System.nanoTime();
    call.attempt(d).onComplete(done -> {
      inFlight--;
      if (backlog && inFlight <= settings.maxInFlight() / 2) {
        poll();
      }
      if (stopping && done.failed()) {
        return; // abandoned by the stop: the lease runs out and the delivery is sent again
      }
      JsonObject result = new JsonObject().put("id", d.getString("id")).put("attempt", d.getInteger("attempt"));
      if (done.succeeded()) {
        result.put("ok", true).put("status_code", done.result());
      } else {
        WebhookCall.AttemptFailed f = done.cause() instanceof WebhookCall.AttemptFailed a ? a
          : new WebhookCall.AttemptFailed(null, "The call failed.");
        result.put("ok", false).put("status_code", f.statusCode()).put("error", f.getMessage());
        LOG.info("Webhook {} (endpoint {}, task {}) attempt {} failed after {} ms: {}", d.getString("id"),
          d.getString("endpoint_id"), d.getString("task_id"), d.getInteger("attempt"),
          (System.nanoTime() - started) / 1_000_000, f.getMessage());
      }
      reports.add(result);
    });
  }

  /** A failed bus request as its error code ({@code store_unavailable}, ...), for logs. */
  static String failure(Throwable err) {
    ApiError e = ApiError.fromThrowable(err);
    return e == null ? "internal error" : e.code();
  }
}
