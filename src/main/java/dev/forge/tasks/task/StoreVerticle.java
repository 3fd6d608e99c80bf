package dev.forge.tasks.task;

import static dev.forge.tasks.bus.BusBodies.attempt;
import static dev.forge.tasks.bus.BusBodies.bool;
import static dev.forge.tasks.bus.BusBodies.id;
import static dev.forge.tasks.bus.BusBodies.optObject;
import static dev.forge.tasks.bus.BusBodies.string;
import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.bus.ClaimRequest;
import dev.forge.tasks.bus.CreateRequest;
import dev.forge.tasks.bus.ListQuery;
import dev.forge.tasks.db.BusReply;
import dev.forge.tasks.db.StoreConsumers;
import dev.forge.tasks.db.StoreFailures;
import dev.forge.tasks.db.StoreRoom;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
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
  /** Requests that wait for a free connection at most: polls come in bursts; more fail at once as the store being unavailable. */
  private static final int MAX_WAITING = 4096;

  private final Settings settings;
  private final TaskMetrics metrics;
  private final TraceCache cache;
  private StoreRoom room;
  private TaskStore tasks;
  private JobStore jobs;
  private Changes changes;
  private UnsureWrites unsure;
  private TenantQueries queries;

  /** A store that counts into {@code metrics} and keeps {@code cache} (may be null) up to date. */
  public StoreVerticle(Settings settings, TaskMetrics metrics, TraceCache cache) {
    this.settings = settings;
    this.metrics = metrics;
    this.cache = cache;
  }

  @Override
  public Future<?> start() {
    room = StoreRoom.open(vertx, settings.connect(), settings.poolSize(), MAX_WAITING,
      "tasks-store-" + POOLS.incrementAndGet(), new StoreConsumers(vertx, "Store", null));
    Pool pool = room.pool();
    changes = new Changes(context, metrics, cache);
    unsure = new UnsureWrites(vertx, changes, task -> tasks.get(task.tenant(), task.id()));
    tasks = new TaskStore(pool, metrics, unsure::unsure);
    jobs = new JobStore(pool, metrics, unsure::unsure);
    queries = new TenantQueries(pool);
    new Housekeeping(vertx, tasks, jobs, changes, settings).start();
    room.keepStatistics(vertx, List.of("tasks"));
    StoreConsumers consumers = room.consumers();
    return Future.all(List.of(
      consumers.on(Addresses.CREATE, oneTaskWrite(this::create)),
      consumers.on(Addresses.GET, this::get),
      consumers.on(Addresses.LIST, this::list),
      consumers.on(Addresses.CANCEL, oneTaskWrite(this::cancel)),
      consumers.on(Addresses.DELETE, oneTaskWrite(this::delete)),
      consumers.on(Addresses.PING, this::ping),
      consumers.on(Addresses.JOB_CLAIM, this::claim),
      consumers.on(Addresses.JOB_PROGRESS, oneTaskWrite(this::progress)),
      consumers.on(Addresses.JOB_COMPLETE, oneTaskWrite(this::complete)),
      consumers.on(Addresses.JOB_FAIL, oneTaskWrite(this::fail)),
      consumers.on(Addresses.JOB_RELEASE, this::release),
      consumers.onJson(Addresses.EVENTS_REPLAY, queries::replay),
      consumers.onJson(Addresses.COUNTS, queries::counts)));
  }

  /**
   * Leaves the bus first, so that the cluster sends new requests to the other instances and nodes,
   * then lets the requests under way finish (for at most {@link #DRAIN_MS}), then closes the pool: a
   * node that stops answers what it took instead of failing it as a closed pool.
   */
  @Override
  public Future<?> stop() {
    return room == null ? Future.succeededFuture() : room.close(DRAIN_MS);
  }

  /**
   * A write to the one task its body names: when its outcome is unknown, the cached state of that
   * task can no longer be trusted ({@link UnsureWrites}).
   */
  private Function<JsonObject, Future<BusReply>> oneTaskWrite(Function<JsonObject, Future<BusReply>> write) {
    return body -> write.apply(body).onFailure(err -> {
      if (StoreFailures.outcomeUnknown(err) && body.getValue("id") instanceof String id) {
        unsure.unsure(new TaskKey(body.getValue("tenant") instanceof String t ? t : Addresses.DEFAULT_TENANT, id));
      }
    });
  }

  private Future<BusReply> create(JsonObject body) {
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

  private Future<BusReply> get(JsonObject body) {
    return tasks.get(tenant(body), id(body)).map(t -> {
      changes.read(t);
      return StoreReply.trace(t);
    });
  }

  private Future<BusReply> list(JsonObject body) {
    return tasks.list(tenant(body), ListQuery.from(body)).map(StoreReply::list);
  }

  private Future<BusReply> cancel(JsonObject body) {
    return tasks.cancel(tenant(body), id(body)).map(c -> {
      if (c.changed()) {
        changes.moved(c.trace());
      }
      return StoreReply.trace(c.trace());
    });
  }

  private Future<BusReply> delete(JsonObject body) {
    return tasks.delete(tenant(body), id(body)).map(t -> {
      changes.deleted(t);
      return StoreReply.deleted(t);
    });
  }

  private Future<BusReply> ping(JsonObject body) {
    return tasks.ping().map(StoreReply.of(new JsonObject()));
  }

  private Future<BusReply> claim(JsonObject body) {
    ClaimRequest r = ClaimRequest.from(body);
    return jobs.claim(r.types(), r.limit(), r.worker(), settings.leaseMs()).map(claimed -> {
      claimed.forEach(c -> changes.changed(c.trace()));
      return StoreReply.claimed(claimed, settings.leaseMs());
    });
  }

  private Future<BusReply> progress(JsonObject body) {
    return jobs.progress(tenant(body), id(body), attempt(body), BusBodies.progress(body), optObject(body, "data"),
      settings.leaseMs()).map(r -> {
        if (r.trace() != null) {
          changes.changed(r.trace());
        }
        return StoreReply.of(new JsonObject().put("cancelled", r.cancelled()));
      });
  }

  private Future<BusReply> complete(JsonObject body) {
    return jobs.complete(tenant(body), id(body), attempt(body), optObject(body, "data")).map(this::moved);
  }

  private Future<BusReply> fail(JsonObject body) {
    String reason = string(body, "reason");
    reason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) + "..." : reason;
    return jobs.fail(tenant(body), id(body), attempt(body), reason, bool(body, "retryable", false),
      settings.retryBaseMs()).map(this::moved);
  }

  private Future<BusReply> release(JsonObject body) {
    return jobs.release(string(body, "worker")).map(traces -> {
      traces.forEach(changes::moved);
      return StoreReply.of(new JsonObject().put("released", traces.size()));
    });
  }

  private BusReply moved(Trace t) {
    changes.moved(t);
    return StoreReply.trace(t);
  }
}
