package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcomes of a {@link Sender}'s attempts, on their way to the webhooks store in batches: one
 * request in flight at a time, leaving {@link #GATHER_MS} after the first outcome it carries (or at
 * once when full), so that one statement and one commit record many deliveries. Only the record
 * waits, never a receiver: the calls are made. Only from the sender's event loop.
 */
final class ResultReports {

  private static final Logger LOG = LoggerFactory.getLogger(ResultReports.class);

  /** The most results one report carries. */
  private static final int MAX_RESULTS = 256;
  /** How long outcomes gather before a report leaves: at 1,000 deliveries/s, 50 per statement. */
  static final long GATHER_MS = 50;

  private final Deque<JsonObject> waiting = new ArrayDeque<>();
  private final Vertx vertx;
  private final DeliveryOptions bus;
  /** A report is in flight, or gathering (its timer set). */
  private boolean reporting;

  ResultReports(Vertx vertx, DeliveryOptions bus) {
    this.vertx = vertx;
    this.bus = bus;
  }

  /** One attempt's outcome ({@code WEBHOOK_RESULT}'s shape): sent now, or with the next batch. */
  void add(JsonObject result) {
    waiting.add(result);
    if (!reporting) {
      reporting = true;
      vertx.setTimer(GATHER_MS, t -> send());
    }
  }

  /** Nothing waiting and nothing in flight. */
  boolean idle() {
    return !reporting && waiting.isEmpty();
  }

  /** The next report: the outcomes gathered so far (at most {@link #MAX_RESULTS}); then the next gathering. */
  private void send() {
    JsonArray batch = new JsonArray();
    while (!waiting.isEmpty() && batch.size() < MAX_RESULTS) {
      batch.add(waiting.poll());
    }
    vertx.eventBus().request(Addresses.WEBHOOK_RESULT, new JsonObject().put("results", batch), bus).onComplete(done -> {
      if (done.failed()) {
        // The leases run out and other attempts are made: at least once, never lost.
        LOG.warn("Webhooks: the results of {} attempts were not recorded ({}); they will be sent again", batch.size(),
          Sender.failure(done.cause()));
      }
      if (waiting.isEmpty()) {
        reporting = false;
      } else {
        vertx.setTimer(waiting.size() >= MAX_RESULTS ? 1 : GATHER_MS, t -> send());
      }
    });
  }
}
