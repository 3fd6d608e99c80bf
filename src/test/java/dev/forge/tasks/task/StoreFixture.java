package dev.forge.tasks.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import java.util.Set;

/**
 * One {@link StoreVerticle} on a fresh, migrated database, and requests to it over the event bus.
 *
 * <p>Every request carries its own send timeout, so that a store that never answers fails the test
 * in seconds instead of the bus' default 30 s. Failed requests are read back with
 * {@link ApiError#fromThrowable}, as every real client does.
 */
final class StoreFixture {

  static final Set<String> TYPES = Set.of("document_analysis", "noop");
  static final long REQUEST_TIMEOUT_MS = 10_000;
  static final Set<String> TRACE_KEYS = Set.of("id", "object", "type", "status", "progress", "data",
    "created_at", "updated_at", "failure_reason");

  final Vertx vertx;
  final PgConnectOptions db;
  private String deployment;

  private StoreFixture(Vertx vertx, PgConnectOptions db) {
    this.vertx = vertx;
    this.db = db;
  }

  /** Store settings on {@code db}: pool of 4, the two known types, 3 attempts by default. */
  static StoreVerticle.Settings settings(PgConnectOptions db, long leaseMs, long retryBaseMs, long rescueIntervalMs) {
    return new StoreVerticle.Settings(db, 4, TYPES, 3, leaseMs, retryBaseMs, rescueIntervalMs);
  }

  /**
   * Creates a database for this test. Blocking (JDBC): call it from the test thread, as in a
   * {@code @BeforeEach}, never from an event loop.
   */
  static StoreFixture onFreshDatabase(Vertx vertx) {
    return new StoreFixture(vertx, TestDatabase.freshDatabase());
  }

  /** Migrates the database and deploys a store with a long lease and no rescue timer. */
  Future<Void> start() {
    return start(settings(db, 30_000, 0, 0));
  }

  Future<Void> start(StoreVerticle.Settings settings) {
    return start(settings, TaskMetrics.none());
  }

  /** Migrates the database and deploys a store that counts into {@code metrics}. */
  Future<Void> start(StoreVerticle.Settings settings, TaskMetrics metrics) {
    return Migrations.migrate(vertx, db).compose(applied -> deploy(settings, metrics));
  }

  /** Replaces the running store with one on other settings (same database). */
  Future<Void> restart(StoreVerticle.Settings settings) {
    return vertx.undeploy(deployment).compose(v -> deploy(settings, TaskMetrics.none()));
  }

  /**
   * Deploys one more store on the same database, as on another node: the bus spreads requests over
   * the instances, each with its own connection pool.
   */
  Future<Void> addInstance(StoreVerticle.Settings settings) {
    return vertx.deployVerticle(new StoreVerticle(settings, TaskMetrics.none(), null)).mapEmpty();
  }

  private Future<Void> deploy(StoreVerticle.Settings settings, TaskMetrics metrics) {
    return vertx.deployVerticle(new StoreVerticle(settings, metrics, null)).map(id -> {
      deployment = id;
      return null;
    });
  }

  Future<Message<JsonObject>> request(String address, JsonObject body) {
    return vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS));
  }

  /** The reply body of a request that must succeed. */
  Future<JsonObject> call(String address, JsonObject body) {
    return request(address, body).map(Message::body);
  }

  /**
   * Succeeds with the error of a request that must fail with {@code status} and {@code code};
   * fails the chain when the request succeeds or fails otherwise.
   */
  Future<ApiError> refused(String address, JsonObject body, int status, String code) {
    return expectError(request(address, body), status, code);
  }

  static Future<ApiError> expectError(Future<?> request, int status, String code) {
    return request.transform(ar -> {
      if (ar.succeeded()) {
        return Future.failedFuture(new AssertionError("expected " + status + " " + code + " but the request succeeded with "
          + (ar.result() instanceof Message<?> m ? m.body() : ar.result())));
      }
      ApiError error = ApiError.fromThrowable(ar.cause());
      assertNotNull(error, () -> "not an ApiError: " + ar.cause());
      assertEquals(status, error.status(), () -> "status of " + error);
      assertEquals(code, error.code(), () -> "code of " + error);
      return Future.succeededFuture(error);
    });
  }

  /** Creates a task of {@code type} with a server-made id in the default tenant; the Trace. */
  Future<JsonObject> create(String type) {
    return create(new JsonObject().put("type", type));
  }

  Future<JsonObject> create(JsonObject body) {
    return request(Addresses.CREATE, body).map(reply -> {
      assertEquals("true", reply.headers().get(Addresses.HEADER_CREATED), "created header");
      return assertTrace(reply.body());
    });
  }

  Future<JsonObject> get(String id) {
    return call(Addresses.GET, new JsonObject().put("id", id)).map(StoreFixture::assertTrace);
  }

  /** Claims up to {@code limit} jobs of {@code types} for {@code worker}; the jobs array. */
  Future<JsonArray> claim(String worker, int limit, String... types) {
    return call(Addresses.JOB_CLAIM, new JsonObject().put("types", new JsonArray(List.of((Object[]) types)))
      .put("limit", limit).put("worker", worker)).map(reply -> reply.getJsonArray("jobs"));
  }

  /** Claims exactly one job, which must be the task {@code id}. */
  Future<JsonObject> claimOnly(String id, String type) {
    return claim("worker-1", 10, type).map(jobs -> {
      assertEquals(1, jobs.size(), () -> "claimed " + jobs);
      JsonObject job = jobs.getJsonObject(0);
      assertEquals(id, job.getString("id"));
      return job;
    });
  }

  /** A job report body: task id and attempt, in the default tenant. */
  static JsonObject report(JsonObject job) {
    return new JsonObject().put("id", job.getString("id")).put("attempt", job.getInteger("attempt"));
  }

  static JsonObject idBody(String id) {
    return new JsonObject().put("id", id);
  }

  /** Checks the Trace contract of API.md on {@code t}, and returns it. */
  static JsonObject assertTrace(JsonObject t) {
    assertEquals(TRACE_KEYS, t.fieldNames(), () -> "keys of " + t);
    assertEquals("task", t.getString("object"));
    assertNotNull(TaskStatus.fromWire(t.getString("status")), () -> "status of " + t);
    assertTrue(t.getValue("progress") instanceof Number, () -> "progress of " + t);
    double progress = t.getDouble("progress");
    assertTrue(progress >= 0.0 && progress <= 1.0, () -> "progress of " + t);
    assertTrue(t.getValue("data") instanceof JsonObject, () -> "data of " + t);
    assertEquals(t.getString("type"), t.getJsonObject("data").getString("operation"), () -> "data.operation of " + t);
    assertTrue(t.getValue("created_at") instanceof Long || t.getValue("created_at") instanceof Integer,
      () -> "created_at of " + t);
    assertTrue(t.getValue("updated_at") instanceof Long || t.getValue("updated_at") instanceof Integer,
      () -> "updated_at of " + t);
    assertTrue(t.getLong("updated_at") >= t.getLong("created_at"), () -> "updated_at before created_at in " + t);
    Object reason = t.getValue("failure_reason");
    assertTrue(reason == null || reason instanceof String, () -> "failure_reason of " + t);
    if ("failed".equals(t.getString("status"))) {
      assertNotNull(reason, () -> "a failed task without a reason: " + t);
    }
    if ("completed".equals(t.getString("status"))) {
      assertEquals(1.0, progress, () -> "a completed task below 1.0: " + t);
    }
    return t;
  }
}
