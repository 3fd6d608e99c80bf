package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.task.TraceCache;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a task's current state: from the node's cache when it holds the task, else through the
 * store. Concurrent misses for one task (a burst of new watchers) share one store read. Used on
 * one HTTP verticle's event loop.
 */
final class TaskReader {

  private final Vertx vertx;
  private final DeliveryOptions busOptions;
  private final TraceCache cache;
  private final Map<String, Future<TaskState>> reading = new HashMap<>();

  /** A reader that asks the store within {@code busOptions}' timeout and reads {@code cache} (may be null) first. */
  TaskReader(Vertx vertx, DeliveryOptions busOptions, TraceCache cache) {
    this.vertx = vertx;
    this.busOptions = busOptions;
    this.cache = cache;
  }

  Future<TaskState> read(String tenant, String id) {
    TraceCache.Entry cached = cache == null ? null : cache.get(tenant, id);
    if (cached != null) {
      return Future.succeededFuture(TaskState.of(cached));
    }
    String key = tenant + '\u0000' + id;
    Future<TaskState> pending = reading.get(key);
    if (pending != null) {
      return pending;
    }
    Future<TaskState> read = vertx.eventBus().request(Addresses.GET, new JsonObject().put("tenant", tenant).put("id", id),
        busOptions)
      .map(reply -> TaskState.of((JsonObject) reply.body(), reply.headers()));
    reading.put(key, read);
    return read.andThen(done -> reading.remove(key));
  }
}
