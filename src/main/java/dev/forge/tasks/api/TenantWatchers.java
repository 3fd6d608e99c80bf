package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tenant-wide event streams of one HTTP verticle, by tenant, fed by one consumer of
 * {@link Addresses#UPDATED} that is registered when the first stream opens (a node whose clients
 * never ask for {@code /v1/events} pays nothing). Each stream also takes a place in the verticle's
 * {@link Watchers}, so that long polls and every kind of stream share {@code maxWaiters}.
 * Everything here runs on the verticle's event loop.
 */
final class TenantWatchers {

  /** One change of a task as published by the store: its Trace and what the headers say of it. */
  record Change(String taskId, long seq, long version, String status, boolean deleted, JsonObject trace) {

    static Change of(Message<JsonObject> message) {
      MultiMap headers = message.headers();
      String etag = headers.get(Addresses.HEADER_ETAG);
      // The ETag is "<seq in base 36>-<version>": seq tells a re-created task from a deleted one of the same id.
      long seq = Long.parseLong(etag.substring(1, etag.indexOf('-')), 36);
      return new Change(headers.get(Addresses.HEADER_TASK_ID), seq, Long.parseLong(headers.get(Addresses.HEADER_VERSION)),
        headers.get(Addresses.HEADER_STATUS), "true".equals(headers.get(Addresses.HEADER_DELETED)), message.body());
    }
  }

  /** Something that wants every change of one tenant's tasks. */
  interface Listener {
    void onChange(Change change);
  }

  private final Vertx vertx;
  private final Watchers limit;
  private final Map<String, List<Listener>> byTenant = new HashMap<>();
  private Future<Void> started;

  TenantWatchers(Vertx vertx, Watchers limit) {
    this.vertx = vertx;
    this.limit = limit;
  }

  /**
   * Adds a listener; the future completes once the consumer is registered (no change published
   * after that is missed), with false and nothing added when the verticle holds its maximum of
   * waiters.
   */
  Future<Boolean> add(String tenant, Listener listener) {
    if (!limit.reserve()) {
      return Future.succeededFuture(false);
    }
    byTenant.computeIfAbsent(tenant, k -> new ArrayList<>(1)).add(listener);
    if (started == null) {
      started = vertx.eventBus().<JsonObject>consumer(Addresses.UPDATED, this::dispatch).completion();
    }
    return started.map(true);
  }

  void remove(String tenant, Listener listener) {
    List<Listener> list = byTenant.get(tenant);
    if (list != null && list.remove(listener)) {
      limit.release();
      if (list.isEmpty()) {
        byTenant.remove(tenant);
      }
    }
  }

  private void dispatch(Message<JsonObject> message) {
    List<Listener> list = byTenant.get(message.headers().get(Addresses.HEADER_TENANT));
    if (list == null) {
      return;
    }
    Change change = Change.of(message);
    // A listener may remove itself while being told: iterate over a copy.
    for (Listener l : List.copyOf(list)) {
      l.onChange(change);
    }
  }
}
