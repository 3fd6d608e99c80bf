package dev.forge.tasks.task;

import static dev.forge.tasks.task.BusBodies.attempt;
import static dev.forge.tasks.task.BusBodies.id;
import static dev.forge.tasks.task.BusBodies.integer;
import static dev.forge.tasks.task.BusBodies.optObject;
import static dev.forge.tasks.task.BusBodies.string;
import static dev.forge.tasks.task.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The only owner of the database: answers every command address of {@link Addresses} with one
 * {@link TaskStore} call, and hands each change it persisted to {@link Changes} (cache, metrics,
 * {@link Addresses#UPDATED}) before it replies; its {@link Housekeeping} rescues tasks whose worker
 * stopped renewing its lease and deletes old terminal tasks. Several instances may run, on one node or
 * many; every statement is safe against the others.
 */
public final class StoreVerticle extends VerticleBase {

  /** What the store needs to know; validated by the config loader. */
  public record Settings(PgConnectOptions connect, int poolSize, Set<String> knownTypes, int defaultMaxAttempts,
                         long leaseMs, long retryBaseMs, long rescueIntervalMs, Retention retention) {

    /** Settings without retention (tasks are kept until deleted). */
    public Settings(PgConnectOptions connect, int poolSize, Set<String> knownTypes, int defaultMaxAttempts,
                    long leaseMs, long retryBaseMs, long rescueIntervalMs) {
      this(connect, poolSize, knownTypes, defaultMaxAttempts, leaseMs, retryBaseMs, rescueIntervalMs, Retention.NONE);
    }
  }

  /**
   * How long terminal tasks are kept, by status, in seconds (0 keeps them forever), and how often
   * the store deletes expired ones, a small batch at a time.
   */
  public record Retention(long completedS, long cancelledS, long failedS, long intervalMs, int batch) {
    public static final Retention NONE = new Retention(0, 0, 0, 0, 0);
  }

  /**
   * How every node's Postgres sessions are named: this prefix and the node's id, as
   * {@code application_name}, so that a node alone can tell when others share its database.
   */
  public static final String APPLICATION_NAME_PREFIX = "tasks-server/";

  private static final java.util.concurrent.atomic.AtomicInteger POOLS = new java.util.concurrent.atomic.AtomicInteger();

  private record Reply(Object body, DeliveryOptions options) {
  }

  /** How long after a write of unknown outcome its task is read again and announced. */
  private static final long UNSURE_REREAD_MS = 1000;

  /** The addresses that change one named task (see {@link #forgetTask}). */
  private static final Set<String> ONE_TASK_WRITES = Set.of(Addresses.CREATE, Addresses.CANCEL, Addresses.DELETE,
    Addresses.JOB_PROGRESS, Addresses.JOB_COMPLETE, Addresses.JOB_FAIL);

  private final Settings settings;
  private final TaskMetrics metrics;
  private final TraceCache cache;
  private Pool pool;
  private TaskStore store;
  private Changes changes;

  public StoreVerticle(Settings settings) {
    this(settings, TaskMetrics.none(), null);
  }

  /** A store that counts into {@code metrics} and keeps {@code cache} (may be null) up to date. */
  public StoreVerticle(Settings settings, TaskMetrics metrics, TraceCache cache) {
    this.settings = settings;
    this.metrics = metrics;
    this.cache = cache;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(settings.poolSize()).setConnectionTimeout(3).setMaxWaitQueueSize(4096)
        .setName("tasks-store-" + POOLS.incrementAndGet()))
      .with(new NetClientOptions().setConnectTimeout(3000))
      .connectingTo(settings.connect())
      .using(vertx)
      .build();
    store = new TaskStore(pool, metrics, this::unsure);
    changes = new Changes(context, metrics, cache);
    List<Future<Void>> registered = new ArrayList<>();
    registered.add(consume(Addresses.CREATE, this::create));
    registered.add(consume(Addresses.GET, body -> store.get(tenant(body), id(body)).map(t -> {
      changes.read(t);
      return trace(t);
    })));
    registered.add(consume(Addresses.LIST, this::list));
    registered.add(consume(Addresses.CANCEL, body -> store.cancel(tenant(body), id(body)).map(c -> {
      if (c.changed()) {
        changes.moved(c.trace());
      }
      return trace(c.trace());
    })));
    registered.add(consume(Addresses.DELETE, body -> store.delete(tenant(body), id(body)).map(t -> {
      changes.deleted(t);
      return new Reply(new JsonObject().put("id", t.id()).put("object", "task.deleted").put("deleted", true),
        t.headers().addHeader(Addresses.HEADER_DELETED, "true"));
    })));
    registered.add(consume(Addresses.PING, body -> store.ping().map(new Reply(new JsonObject(), new DeliveryOptions()))));
    registered.add(consume(Addresses.JOB_CLAIM, this::claim));
    registered.add(consume(Addresses.JOB_PROGRESS, this::progress));
    registered.add(consume(Addresses.JOB_COMPLETE, body -> store.complete(tenant(body), id(body), attempt(body),
      optObject(body, "data")).map(this::moved)));
    registered.add(consume(Addresses.JOB_FAIL, body -> store.fail(tenant(body), id(body), attempt(body),
      reason(body), BusBodies.bool(body, "retryable", false), settings.retryBaseMs()).map(this::moved)));
    registered.add(consume(Addresses.JOB_RELEASE, body -> store.release(string(body, "worker")).map(traces -> {
      traces.forEach(changes::moved);
      return new Reply(new JsonObject().put("released", traces.size()), new DeliveryOptions());
    })));
    registered.addAll(new TenantQueries(pool).register(vertx));
    new Housekeeping(vertx, store, changes, settings).start();
    return Future.all(registered);
  }

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  private Future<Reply> create(JsonObject body) {
    String type = string(body, "type");
    if (!settings.knownTypes().contains(type)) {
      throw new ApiException(ApiError.unknownType(type));
    }
    String id = body.getValue("id") == null ? TaskIds.newId() : string(body, "id");
    if (!TaskIds.isValid(id)) {
      throw BusBodies.invalid("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$.");
    }
    JsonObject data = new JsonObject().put("operation", type);
    JsonObject extra = optObject(body, "data");
    if (extra != null) {
      extra.forEach(e -> {
        if (!e.getKey().equals("operation")) {
          data.put(e.getKey(), e.getValue());
        }
      });
    }
    JsonObject input = optObject(body, "input");
    int maxAttempts = integer(body, "max_attempts", 1, 100, settings.defaultMaxAttempts());
    return store.create(tenant(body), id, type, data, input, maxAttempts).map(c -> {
      if (c.created()) {
        changes.created(c.trace());
      }
      Reply reply = trace(c.trace());
      reply.options().addHeader(Addresses.HEADER_CREATED, Boolean.toString(c.created()));
      return reply;
    });
  }

  private Future<Reply> list(JsonObject body) {
    int limit = integer(body, "limit", 1, 100, 20);
    String order = body.getValue("order") == null ? "desc" : string(body, "order");
    if (!order.equals("asc") && !order.equals("desc")) {
      throw BusBodies.invalid("order", "'order' must be 'asc' or 'desc'.");
    }
    List<String> statuses = null;
    if (body.getValue("status") != null) {
      if (!(body.getValue("status") instanceof JsonArray array) || array.isEmpty()) {
        throw BusBodies.invalid("status", "'status' must be a non-empty array of statuses.");
      }
      statuses = new ArrayList<>();
      for (Object s : array) {
        if (!(s instanceof String str) || TaskStatus.fromWire(str) == null) {
          throw BusBodies.invalid("status", "'status' holds an unknown status: '" + ApiError.printable(String.valueOf(s)) + "'.");
        }
        statuses.add(str);
      }
    }
    return store.list(tenant(body), limit, order.equals("asc"), cursor(body, "after"), cursor(body, "before"),
        statuses, BusBodies.optString(body, "type"))
      .map(page -> new Reply(TaskStore.listJson(page), new DeliveryOptions()));
  }

  private static String cursor(JsonObject body, String key) {
    String v = BusBodies.optString(body, key);
    if (v != null && !TaskIds.isValid(v)) {
      throw BusBodies.invalid(key, "'" + key + "' must be a task id.");
    }
    return v;
  }

  private Future<Reply> claim(JsonObject body) {
    if (!(body.getValue("types") instanceof JsonArray types) || types.isEmpty()) {
      throw BusBodies.invalid("types", "'types' must be a non-empty array of task types.");
    }
    List<String> list = new ArrayList<>();
    for (Object t : types) {
      if (!(t instanceof String s)) {
        throw BusBodies.invalid("types", "'types' must hold strings only.");
      }
      if (!list.contains(s)) {
        list.add(s);
      }
    }
    int limit = integer(body, "limit", 1, 100, 1);
    String worker = string(body, "worker");
    return store.claim(list, limit, worker, settings.leaseMs()).map(claimed -> {
      JsonArray jobs = new JsonArray();
      for (TaskStore.Claimed c : claimed) {
        changes.changed(c.trace());
        jobs.add(new JsonObject().put("tenant", c.trace().tenant()).put("id", c.trace().id())
          .put("type", c.trace().type()).put("attempt", c.attempt()).put("input", c.input())
          .put("data", c.trace().data()).put("lease_ms", settings.leaseMs()));
      }
      return new Reply(new JsonObject().put("jobs", jobs), new DeliveryOptions());
    });
  }

  private Future<Reply> progress(JsonObject body) {
    return store.progress(tenant(body), id(body), attempt(body), BusBodies.progress(body), optObject(body, "data"),
      settings.leaseMs()).map(r -> {
        if (r.trace() != null) {
          changes.changed(r.trace());
        }
        return new Reply(new JsonObject().put("cancelled", r.cancelled()), new DeliveryOptions());
      });
  }

  private static String reason(JsonObject body) {
    String reason = string(body, "reason");
    return reason.length() > 2000 ? reason.substring(0, 2000) + "..." : reason;
  }

  private Reply moved(Trace t) {
    changes.moved(t);
    return trace(t);
  }

  private static Reply trace(Trace t) {
    return new Reply(t.toJson(), t.headers());
  }

  private Future<Void> consume(String address, Function<JsonObject, Future<Reply>> handler) {
    return vertx.eventBus().<Object>consumer(address, message -> {
      Future<Reply> result;
      try {
        result = handler.apply(BusBodies.body(message.body()));
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(done -> {
        if (done.succeeded()) {
          message.reply(done.result().body(), done.result().options());
        } else {
          if (ONE_TASK_WRITES.contains(address) && StoreErrors.outcomeUnknown(done.cause())) {
            forgetTask(message.body());
          }
          fail(message, address, done.cause());
        }
      });
    }).completion();
  }

  /**
   * A write to one task whose outcome is unknown (the connection failed while it was in flight, perhaps
   * after Postgres committed it): the node's cached state of that task can no longer be trusted, so
   * the next read goes to the database.
   */
  private void forgetTask(Object body) {
    if (body instanceof JsonObject json && json.getValue("id") instanceof String id) {
      unsure(json.getValue("tenant") instanceof String t ? t : Addresses.DEFAULT_TENANT, id);
    }
  }

  /**
   * A write to this task may have been committed without this store hearing of it: forget the cached
   * state now, and a second later read the task and announce it as a change (newer-version-wins
   * everywhere, so an announcement of a state already known changes nothing), so that waiters and
   * other nodes learn of a change that was never announced. If the task cannot be read then (still
   * an outage), the next read of it goes to the database anyway.
   */
  private void unsure(String tenant, String id) {
    changes.forget(tenant, id);
    vertx.setTimer(UNSURE_REREAD_MS, t -> store.get(tenant, id).onSuccess(changes::changed));
  }

  private static void fail(Message<Object> message, String address, Throwable cause) {
    Object id = message.body() instanceof JsonObject json ? json.getValue("id") : null;
    StoreErrors.toApiError(cause, address, id == null ? "-" : ApiError.printable(id.toString())).failReply(message);
  }
}
