package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.BusBodies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The senders' side of the deliveries table, for {@link WebhookStoreVerticle}: claims with a lease,
 * the outcomes of attempts (a success ends the delivery; a failure backs off, fails it after the
 * retry window, and disables an endpoint that failed for all of it), failing what an endpoint
 * just disabled still had pending, and deleting ended deliveries once they are older than the
 * retention.
 */
final class DeliveryLedger {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryLedger.class);

  /** How often a claim looks through every due delivery, however old. */
  static final long SWEEP_EVERY_MS = 1000;
  /**
   * How far before the last full sweep the claims in between look: a delivery's due time is its
   * transaction's start, which may commit (and become visible) a little later.
   */
  static final long LOOKBACK_MARGIN_MS = 2000;

  /** Ended deliveries deleted per statement, and the pause between full batches. */
  private static final int EXPIRE_BATCH = 500;
  private static final long EXPIRE_PAUSE_MS = 100;

  private final Pool pool;
  private final Pool senders;
  private final WebhookStoreVerticle.Settings settings;
  /** When the last full sweep was sent ({@link System#nanoTime()}). */
  private long sweptAt;
  /** Whether the next claim is a full sweep whatever the time: none yet, or the last one failed or was full. */
  private boolean sweepNext = true;

  /**
   * Claims and outcomes on {@code senders} (commits that need not wait for their WAL flush: a lost
   * one means a delivery sent again), failing an endpoint's deliveries on {@code pool}; retries as
   * {@code settings} say ({@code retryForMs}, {@code retryBaseMs}).
   */
  DeliveryLedger(Pool pool, Pool senders, WebhookStoreVerticle.Settings settings) {
    this.pool = pool;
    this.senders = senders;
    this.settings = settings;
  }

  /** The addresses it answers: {@code WEBHOOK_CLAIM} and {@code WEBHOOK_RESULT}. */
  Map<String, Function<JsonObject, Future<JsonObject>>> handlers() {
    return Map.of(Addresses.WEBHOOK_CLAIM, this::claim, Addresses.WEBHOOK_RESULT, this::results);
  }

  /**
   * {@code WEBHOOK_CLAIM}: up to {@code limit} due deliveries, leased to {@code worker}, the longest
   * due first.
   *
   * <p>A success moves a delivery out of the due index's predicate, but its old entry stays in the
   * index until the table is vacuumed; those entries pile up at the index's start, behind everything
   * still pending, so a claim that scanned from there would step over every delivery made since the
   * last vacuum (14-33 ms per claim after 100,000 deliveries; bench/results-webhooks.md). So a claim
   * looks through every due delivery only once a {@value #SWEEP_EVERY_MS} ms (and again at once when
   * such a sweep came back full: more may wait); the claims in between look back only to
   * {@value #LOOKBACK_MARGIN_MS} ms before the last sweep. Whatever they cannot see was due before
   * that sweep, and the sweep either took it, found it held by another sender's live claim, or was
   * full; so nothing waits longer than until the next sweep: a delivery whose sender was lost is
   * redone within a second of its lease's end, as before.
   */
  Future<JsonObject> claim(JsonObject body) {
    int limit = BusBodies.integer(body, "limit", 1, 256, 16);
    long leaseMs = BusBodies.integer(body, "lease_ms", 100, 3_600_000, 30_000);
    long now = System.nanoTime();
    boolean sweep = sweepNext || now - sweptAt >= SWEEP_EVERY_MS * 1_000_000;
    if (sweep) {
      sweptAt = now;
      sweepNext = false;
    }
    Double lookbackMs = sweep ? null : (now - sweptAt) / 1e6 + LOOKBACK_MARGIN_MS;
    return senders.preparedQuery(WebhookSql.CLAIM)
      .execute(Tuple.of(limit, BusBodies.string(body, "worker"), leaseMs, lookbackMs))
      .onFailure(e -> sweepNext |= sweep)
      .map(rows -> {
        sweepNext |= sweep && rows.size() == limit;
        JsonArray out = new JsonArray();
        rows.forEach(row -> out.add(WebhookRows.claimed(row)));
        return new JsonObject().put("deliveries", out);
      });
  }

  /** {@code WEBHOOK_RESULT}: the successes in one statement (one round trip, one commit); failures one by one (they are few). */
  Future<JsonObject> results(JsonObject body) {
    Object list = body.getValue("results");
    if (!(list instanceof JsonArray results)) {
      throw BusBodies.invalid("results", "'results' must be an array.");
    }
    List<String> ids = new ArrayList<>();
    List<Integer> attempts = new ArrayList<>();
    List<Integer> codes = new ArrayList<>();
    List<Future<?>> done = new ArrayList<>();
    for (Object o : results) {
      JsonObject r = BusBodies.body(o);
      String id = BusBodies.string(r, "id");
      int attempt = BusBodies.integer(r, "attempt", 1, Integer.MAX_VALUE, 0);
      Integer code = r.getInteger("status_code");
      if (BusBodies.bool(r, "ok", false)) {
        ids.add(id);
        attempts.add(attempt);
        codes.add(code);
      } else {
        done.add(failed(id, attempt, code, BusBodies.optString(r, "error")));
      }
    }
    if (!ids.isEmpty()) {
      done.add(senders.preparedQuery(WebhookSql.SUCCEEDED).execute(Tuple.tuple().addArrayOfString(ids.toArray(String[]::new))
        .addArrayOfInteger(attempts.toArray(Integer[]::new)).addArrayOfInteger(codes.toArray(Integer[]::new))));
    }
    return Future.all(done).map(new JsonObject());
  }

  /**
   * Deletes ended deliveries older than the settings' {@code retentionS} (0 keeps them), checking
   * every {@code retentionIntervalMs}: {@value #EXPIRE_BATCH} at a time, a full batch followed by the
   * next {@value #EXPIRE_PAUSE_MS} ms later, as the tasks store expires tasks. On the calling
   * verticle's context; stops with it.
   */
  void expireEnded(Vertx vertx) {
    if (settings.retentionS() > 0) {
      vertx.setTimer(settings.retentionIntervalMs(), timer -> expire(vertx));
    }
  }

  private void expire(Vertx vertx) {
    pool.preparedQuery(WebhookSql.EXPIRE).execute(Tuple.of(settings.retentionS(), EXPIRE_BATCH)).onComplete(done -> {
      if (done.failed()) {
        LOG.debug("Expiring webhook deliveries failed: {}", done.cause().getMessage());
      }
      boolean full = done.succeeded() && done.result().rowCount() == EXPIRE_BATCH;
      vertx.setTimer(full ? EXPIRE_PAUSE_MS : settings.retentionIntervalMs(), timer -> expire(vertx));
    });
  }

  /** Fails the pending deliveries of an endpoint just disabled, with {@code reason} as their last error. */
  Future<Void> failPending(String tenant, String endpoint, String reason) {
    return pool.preparedQuery(WebhookSql.FAIL_PENDING).execute(Tuple.of(tenant, endpoint, reason)).mapEmpty();
  }

  private Future<Void> failed(String id, int attempt, Integer code, String error) {
    return senders.preparedQuery(WebhookSql.FAILED)
      .execute(Tuple.of(id, attempt, code, error, settings.retryForMs(), settings.retryBaseMs()))
      .compose(rows -> {
        Row row = rows.size() == 0 ? null : rows.iterator().next();
        if (row == null || !Boolean.TRUE.equals(row.getBoolean("exhausted"))) {
          return Future.succeededFuture();
        }
        String tenant = row.getString("tenant");
        String endpoint = row.getString("id");
        String reason = "Every delivery failed for " + settings.retryForMs() / 1000 + " s; the last: " + error;
        LOG.warn("Webhook endpoint {} of tenant {} disabled: {}", endpoint, ApiError.printable(tenant), reason);
        return pool.preparedQuery(WebhookSql.DISABLE).execute(Tuple.of(tenant, endpoint, reason))
          .compose(v -> failPending(tenant, endpoint, "The endpoint was disabled: " + reason));
      });
  }
}
