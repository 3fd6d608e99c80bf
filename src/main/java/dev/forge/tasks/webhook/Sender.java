package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending loop of a {@link DeliveryVerticle}, on its event loop: claims due deliveries from the
 * webhooks store with a lease (a node that dies mid-delivery has its deliveries redone by another
 * once the lease ends), makes one {@link WebhookCall} for each, and reports the outcomes back in
 * batches.
 */
final class Sender {

  private static final Logger LOG = LoggerFactory.getLogger(Sender.class);

  /** How long a stopping sender waits for its claim and reports in flight. */
  private static final long QUIET_MS = 2000;
  /** The most results one report carries. */
  private static final int MAX_RESULTS = 256;
  /** The most deliveries one claim asks for (the store's limit). */
  private static final int MAX_CLAIM = 256;

  private final Vertx vertx;
  private final DeliveryVerticle.Settings settings;
  private final WebhookCall call;
  private final DeliveryOptions bus;
  private final String worker = "webhooks-" + UUID.randomUUID();
  private final Deque<JsonObject> results = new ArrayDeque<>();
  private final long timer;
  private int inFlight;
  private boolean claiming;
  /** The last claim was full, so more may be due: claim again as slots free up, not at the next poll. */
  private boolean backlog;
  private boolean reporting;
  private boolean stopping;

  /** Starts polling at once; only from the event loop it then runs on. */
  Sender(Vertx vertx, DeliveryVerticle.Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.call = WebhookCall.open(vertx, settings);
    this.bus = new DeliveryOptions().setSendTimeout(settings.busTimeoutMs());
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
      if ((!claiming && !reporting && results.isEmpty()) || System.nanoTime() > deadline) {
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
      report(result);
    });
  }

  /**
   * Results leave in batches: one request in flight at a time, and those that arrive meanwhile go
   * together in the next (one statement and one commit for many deliveries, none waiting on a timer).
   */
  private void report(JsonObject result) {
    results.add(result);
    if (!reporting) {
      flushResults();
    }
  }

  private void flushResults() {
    if (results.isEmpty()) {
      return;
    }
    JsonArray batch = new JsonArray();
    while (!results.isEmpty() && batch.size() < MAX_RESULTS) {
      batch.add(results.poll());
    }
    reporting = true;
    vertx.eventBus().request(Addresses.WEBHOOK_RESULT, new JsonObject().put("results", batch), bus).onComplete(done -> {
      if (done.failed()) {
        // The leases run out and other attempts are made: at least once, never lost.
        LOG.warn("Webhooks: the results of {} attempts were not recorded ({}); they will be sent again", batch.size(),
          failure(done.cause()));
      }
      reporting = false;
      flushResults();
    });
  }

  /** A failed bus request as its error code ({@code store_unavailable}, ...), for logs. */
  private static String failure(Throwable err) {
    ApiError e = ApiError.fromThrowable(err);
    return e == null ? "internal error" : e.code();
  }
}
