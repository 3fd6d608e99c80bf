package dev.forge.tasks.vector;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** The tasks of vector stores, made and stopped through the task store over the bus. */
final class StoreTasks {

  private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

  private final Vertx vertx;
  private final DeliveryOptions bus;

  StoreTasks(Vertx vertx, long busTimeoutMs) {
    this.vertx = vertx;
    this.bus = new DeliveryOptions().setSendTimeout(busTimeoutMs);
  }

  /** The type of the store task named {@code taskId}. */
  static String typeOf(String taskId) {
    return taskId.startsWith(VectorStoreIds.CREATE_PREFIX) ? VectorStoreJob.CREATION : VectorStoreJob.VECTORIZATION;
  }

  /**
   * Makes sure task {@code taskId} of store {@code storeId} is pending or running: creates it, or
   * replaces a terminal one of that id with a new one. Fails with 409 {@code id_conflict} when a
   * task of another type holds the id.
   */
  Future<Void> ensure(String tenant, String taskId, String storeId) {
    JsonObject create = new JsonObject().put("tenant", tenant).put("id", taskId).put("type", typeOf(taskId))
      .put("input", new JsonObject().put("vector_store_id", storeId))
      .put("data", new JsonObject().put("vector_store_id", storeId));
    return vertx.eventBus().<JsonObject>request(Addresses.CREATE, create, bus).compose(made -> {
      if ("true".equals(made.headers().get(Addresses.HEADER_CREATED))
        || !TERMINAL.contains(made.body().getString("status"))) {
        return Future.succeededFuture();
      }
      // A terminal task of this id: replace it. A concurrent replacer may win either step; whoever
      // creates second gets the new task back, which is all that is wanted.
      JsonObject key = new JsonObject().put("tenant", tenant).put("id", taskId);
      return vertx.eventBus().request(Addresses.DELETE, key, bus).<Void>mapEmpty()
        .recover(err -> expected(err) ? Future.succeededFuture() : Future.failedFuture(err))
        .compose(v -> vertx.eventBus().request(Addresses.CREATE, create, bus).mapEmpty());
    });
  }

  /** Cancels a task if it is still pending or running; a task gone or already ended is fine. */
  Future<Void> cancel(String tenant, String taskId) {
    return vertx.eventBus().request(Addresses.CANCEL, new JsonObject().put("tenant", tenant).put("id", taskId), bus)
      .<Void>mapEmpty().recover(err -> expected(err) ? Future.succeededFuture() : Future.failedFuture(err));
  }

  /** The task's Trace, or null when there is none. */
  Future<JsonObject> get(String tenant, String taskId) {
    return vertx.eventBus().<JsonObject>request(Addresses.GET, new JsonObject().put("tenant", tenant).put("id", taskId),
        bus).map(m -> m.body())
      .recover(err -> {
        ApiError e = ApiError.fromThrowable(err);
        return e != null && e.status() == 404 ? Future.succeededFuture(null) : Future.failedFuture(err);
      });
  }

  static boolean terminal(String status) {
    return TERMINAL.contains(status);
  }

  /** 404 (gone) and 409 (not deletable, not cancellable): another actor got there first. */
  private static boolean expected(Throwable err) {
    ApiError e = ApiError.fromThrowable(err);
    return e != null && (e.status() == 404 || e.status() == 409);
  }
}
