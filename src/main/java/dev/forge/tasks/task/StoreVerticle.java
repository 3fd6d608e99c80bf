package dev.forge.tasks.task;

import static dev.forge.tasks.bus.BusBodies.attempt;
import static dev.forge.tasks.bus.BusBodies.bool;
import static dev.forge.tasks.bus.BusBodies.id;
import static dev.forge.tasks.bus.BusBodies.optObject;
import static dev.forge.tasks.bus.BusBodies.string;
import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.bus.ClaimRequest;
import dev.forge.tasks.bus.CreateRequest;
import dev.forge.tasks.bus.ListQuery;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The only owner of the database: answers every command address of {@link Addresses} with one
 * {@link TaskStore} or {@link JobStore} call, and hands each change it persisted to {@link Changes}
 * (cache, metrics, {@link Addresses#UPDATED}) before it replies; its {@link Housekeeping} rescues
 * tasks whose worker stopped renewing its lease and deletes old terminal tasks. Several instances may
 * run, on one node or many; every statement is safe against the others.
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

  /** The longest failure reason kept; a longer one is cut. */
  private static final int MAX_REASON = 2000;

  private static final AtomicInteger POOLS = new AtomicInteger();

  /** How long a stopping store waits for its unanswered requests (their senders time out after 5 s by default). */
  private static final long DRAIN_MS = 5000;

  private final Settings settings;
  private final TaskMetrics metrics;
  private final TraceCache cache;
  private Pool pool;
  private TaskStore tasks;
  private JobStore jobs;
  private Changes changes;
  private UnsureWrites unsure;
  private TenantQueries queries;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  /** Requests taken from the bus and not answered yet; {@link #stop()} waits for them. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Promise<Void> drained = Promise.promise();
  private volatile boolean stopping;

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
    changes = new Changes(context, metrics, cache);
    unsure = new UnsureWrites(vertx, changes, task -> tasks.get(task.tenant(), task.id()));
    tasks = new TaskStore(pool, metrics, unsure::unsure);
    jobs = new JobStore(pool, metrics, unsure::unsure);
    queries = new TenantQueries(pool);
    new Housekeeping(vertx, tasks, jobs, changes, settings).start();
    // A write to one task whose outcome is unknown makes its cached state untrustworthy (UnsureWrites).
    return Future.all(List.of(
      oneTaskWrite(Addresses.CREATE, this::create),
      consume(Addresses.GET, this::get),
      consume(Addresses.LIST, this::list),
      oneTaskWrite(Addresses.CANCEL, this::cancel),
      oneTaskWrite(Addresses.DELETE, this::delete),
      consume(Addresses.PING, this::ping),
      consume(Addresses.JOB_CLAIM, this::claim),
      oneTaskWrite(Addresses.JOB_PROGRESS, this::progress),
      oneTaskWrite(Addresses.JOB_COMPLETE, this::complete),
      oneTaskWrite(Addresses.JOB_FAIL, this::fail),
      consume(Addresses.JOB_RELEASE, this::release),
      consume(Addresses.EVENTS_REPLAY, body -> queries.replay(body).map(StoreReply::of)),
      consume(Addresses.COUNTS, body -> queries.counts(body).map(StoreReply::of))));
  }

  /**
   * Leaves the bus first, so that the cluster sends new requests to the other instances and nodes,
   * then lets the requests under way finish (for at most {@link #DRAIN_MS}), then closes the pool: a
   * node that stops answers what it took instead of failing it as a closed pool.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList())
      .transform(v -> {
        if (inFlight.get() == 0) {
          drained.tryComplete();
        }
        vertx.setTimer(DRAIN_MS, t -> drained.tryComplete());
        return drained.future();
      })
      .transform(v -> pool == null ? Future.succeededFuture() : pool.close());
  }

  private Future<StoreReply> create(JsonObject body) {
    CreateRequest r = CreateRequest.from(body, settings.knownTypes());
    int maxAttempts = r.maxAttempts() == null ? settings.defaultMaxAttempts() : r.maxAttempts();
    return tasks.create(new TaskStore.NewTask(tenant(body), r.id(), r.type(), r.data(), r.input(), maxAttempts))
      .map(c -> {
        if (c.created()) {
          changes.created(c.trace());
        }
        return StoreReply.created(c);
      });
  }

  private Future<StoreReply> get(JsonObject body) {
    return tasks.get(tenant(body), id(body)).map(t -> {
      changes.read(t);
      return StoreReply.trace(t);
    });
  }

  private Future<StoreReply> list(JsonObject body) {
    return tasks.list(tenant(body), ListQuery.from(body)).map(StoreReply::list);
  }

  private Future<StoreReply> cancel(JsonObject body) {
    return tasks.cancel(tenant(body), id(body)).map(c -> {
      if (c.changed()) {
        changes.moved(c.trace());
      }
      return StoreReply.trace(c.trace());
    });
  }

  private Future<StoreReply> delete(JsonObject body) {
    return tasks.delete(tenant(body), id(body)).map(t -> {
      changes.deleted(t);
      return StoreReply.deleted(t);
    });
  }

  private Future<StoreReply> ping(JsonObject body) {
    return tasks.ping().map(StoreReply.of(new JsonObject()));
  }

  private Future<StoreReply> claim(JsonObject body) {
    ClaimRequest r = ClaimRequest.from(body);
    return jobs.claim(r.types(), r.limit(), r.worker(), settings.leaseMs()).map(claimed -> {
      claimed.forEach(c -> changes.changed(c.trace()));
      return StoreReply.claimed(claimed, settings.leaseMs());
    });
  }

  private Future<StoreReply> progress(JsonObject body) {
    return jobs.progress(tenant(body), id(body), attempt(body), BusBodies.progress(body), optObject(body, "data"),
      settings.leaseMs()).map(r -> {
        if (r.trace() != null) {
          changes.changed(r.trace());
        }
        return StoreReply.of(new JsonObject().put("cancelled", r.cancelled()));
      });
  }

  private Future<StoreReply> complete(JsonObject body) {
    return jobs.complete(tenant(body), id(body), attempt(body), optObject(body, "data")).map(this::moved);
  }

  private Future<StoreReply> fail(JsonObject body) {
    String reason = string(body, "reason");
    reason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) + "..." : reason;
    return jobs.fail(tenant(body), id(body), attempt(body), reason, bool(body, "retryable", false),
      settings.retryBaseMs()).map(this::moved);
  }

  private Future<StoreReply> release(JsonObject body) {
    return jobs.release(string(body, "worker")).map(traces -> {
      traces.forEach(changes::moved);
      return StoreReply.of(new JsonObject().put("released", traces.size()));
    });
  }

  private StoreReply moved(Trace t) {
    changes.moved(t);
    return StoreReply.trace(t);
  }

  private Future<Void> consume(String address, Function<JsonObject, Future<StoreReply>> handler) {
    return register(address, handler, false);
  }

  /** Registers a write to the one task its body names. */
  private Future<Void> oneTaskWrite(String address, Function<JsonObject, Future<StoreReply>> handler) {
    return register(address, handler, true);
  }

  private Future<Void> register(String address, Function<JsonObject, Future<StoreReply>> handler, boolean oneTask) {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, message -> {
      inFlight.incrementAndGet();
      Future<StoreReply> result;
      try {
        result = handler.apply(BusBodies.body(message.body()));
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(done -> {
        if (inFlight.decrementAndGet() == 0 && stopping) {
          drained.tryComplete();
        }
        if (done.succeeded()) {
          message.reply(done.result().body(), done.result().options());
          return;
        }
        if (oneTask && StoreErrors.outcomeUnknown(done.cause()) && message.body() instanceof JsonObject json
          && json.getValue("id") instanceof String id) {
          unsure.unsure(new TaskKey(json.getValue("tenant") instanceof String t ? t : Addresses.DEFAULT_TENANT, id));
        }
        fail(message, address, done.cause());
      });
    });
    consumers.add(consumer);
    return consumer.completion();
  }

  private void fail(Message<Object> message, String address, Throwable cause) {
    if (stopping && !(cause instanceof ApiException)) {
      // Drained past DRAIN_MS, its pool closing under it: the caller retries on another instance or node.
      ApiError.storeUnavailable().failReply(message);
      return;
    }
    Object id = message.body() instanceof JsonObject json ? json.getValue("id") : null;
    StoreErrors.toApiError(cause, address, id == null ? "-" : ApiError.printable(id.toString())).failReply(message);
  }
}
