package dev.forge.tasks.job;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for the store on the job addresses: hands out queued jobs on {@link Addresses#JOB_CLAIM}
 * (never more than the claim's {@code limit}), records every request, and answers progress with
 * {@link #onProgress} ({@code {cancelled:false}} unless a test says otherwise). Everything runs on
 * this verticle's context, so requests from one sender arrive here in the order they were sent.
 */
final class FakeJobStore extends VerticleBase {

  static final String TENANT = "acme";
  static final String TYPE = "test_job";
  static final List<String> ADDRESSES = List.of(Addresses.JOB_CLAIM, Addresses.JOB_PROGRESS, Addresses.JOB_COMPLETE,
    Addresses.JOB_FAIL, Addresses.JOB_RELEASE);

  private final Deque<JsonObject> claimable = new ArrayDeque<>();
  private final Map<String, List<JsonObject>> received = new HashMap<>();
  private final Map<String, List<Map.Entry<Integer, Promise<JsonObject>>>> waiters = new HashMap<>();
  private int handedOut;
  private int ended;
  volatile Handler<Message<JsonObject>> onProgress = m -> m.reply(new JsonObject().put("cancelled", false));
  /** Set to make claims go unanswered (the claimer's request then times out). */
  volatile boolean silentClaims;

  /** Hands out {@code jobs} (see {@link #job}) in this order. */
  FakeJobStore(List<JsonObject> jobs) {
    claimable.addAll(jobs);
  }

  static FakeJobStore forIds(List<String> ids) {
    return new FakeJobStore(ids.stream().map(id -> job(TENANT, id)).toList());
  }

  /** A claimed job as the store describes it, attempt 1, with a lease long enough never to need renewing. */
  static JsonObject job(String tenant, String id) {
    return new JsonObject().put("tenant", tenant).put("id", id).put("type", TYPE).put("attempt", 1)
      .put("input", new JsonObject().put("n", id)).put("data", new JsonObject().put("operation", TYPE))
      .put("lease_ms", 600_000);
  }

  /** The headers of {@link Addresses#UPDATED} for a change of {@code tenant}'s task {@code id} to {@code status}. */
  static DeliveryOptions updated(String tenant, String id, String status) {
    return new DeliveryOptions().addHeader(Addresses.HEADER_TASK_ID, id).addHeader(Addresses.HEADER_TENANT, tenant)
      .addHeader(Addresses.HEADER_STATUS, status).addHeader(Addresses.HEADER_VERSION, "7")
      .addHeader(Addresses.HEADER_ETAG, "\"h-7\"");
  }

  @Override
  public Future<?> start() {
    ADDRESSES.forEach(a -> received.put(a, new CopyOnWriteArrayList<>()));
    return Future.all(List.of(
      consume(Addresses.JOB_CLAIM, this::claim),
      consume(Addresses.JOB_PROGRESS, m -> onProgress.handle(m)),
      consume(Addresses.JOB_COMPLETE, m -> {
        ended++;
        m.reply(new JsonObject().put("id", m.body().getString("id")).put("status", "completed"));
      }),
      consume(Addresses.JOB_FAIL, m -> {
        ended++;
        m.reply(new JsonObject().put("id", m.body().getString("id"))
          .put("status", m.body().getBoolean("retryable") ? "pending" : "failed"));
      }),
      consume(Addresses.JOB_RELEASE, m -> m.reply(new JsonObject().put("released", handedOut - ended)))));
  }

  /** Records the claim with {@code running}: how many handed-out jobs had not ended when it came. */
  private void claim(Message<JsonObject> m) {
    List<JsonObject> claims = received.get(Addresses.JOB_CLAIM);
    JsonObject recorded = claims.get(claims.size() - 1);
    recorded.put("running", handedOut - ended);
    if (silentClaims) {
      return;
    }
    int limit = m.body().getInteger("limit");
    JsonArray jobs = new JsonArray();
    while (jobs.size() < limit && !claimable.isEmpty()) {
      jobs.add(claimable.poll());
      handedOut++;
    }
    m.reply(new JsonObject().put("jobs", jobs));
  }

  private Future<Void> consume(String address, Handler<Message<JsonObject>> handler) {
    return vertx.eventBus().<JsonObject>consumer(address, m -> {
      List<JsonObject> list = received.get(address);
      list.add(m.body().copy());
      handler.handle(m);
      waiters.getOrDefault(address, new ArrayList<>()).removeIf(w -> {
        if (list.size() < w.getKey()) {
          return false;
        }
        w.getValue().complete(list.get(w.getKey() - 1));
        return true;
      });
    }).completion();
  }

  /** Every body received on {@code address} so far (a snapshot). */
  List<JsonObject> received(String address) {
    return new ArrayList<>(received.get(address));
  }

  /** Completes, on this store's context, with the {@code n}-th body (from 1) received on {@code address}. */
  Future<JsonObject> nth(String address, int n) {
    Promise<JsonObject> p = Promise.promise();
    context.runOnContext(v -> {
      List<JsonObject> list = received.get(address);
      if (list.size() >= n) {
        p.complete(list.get(n - 1));
      } else {
        waiters.computeIfAbsent(address, a -> new ArrayList<>()).add(Map.entry(n, p));
      }
    });
    return p.future();
  }
}
