package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.task.TraceCache;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The long polls and event streams of one HTTP verticle, by task. One consumer of
 * {@link Addresses#UPDATED} feeds them all, so a waiting client costs a map entry and a timer, never
 * a query: Postgres is read once when a client starts waiting, and never again while it waits.
 * Everything here runs on the verticle's event loop.
 */
final class Watchers {

  /** One change of a task, as published by the store. */
  record Update(long version, String etag, String status, JsonObject trace, boolean deleted, Buffer encoded) {

    static Update of(JsonObject trace, MultiMap headers) {
      return new Update(Long.parseLong(headers.get(Addresses.HEADER_VERSION)), headers.get(Addresses.HEADER_ETAG),
        headers.get(Addresses.HEADER_STATUS), trace, "true".equals(headers.get(Addresses.HEADER_DELETED)), null);
    }

    static Update of(TraceCache.Entry cached) {
      return new Update(cached.version(), cached.etag(), cached.status(), null, false, cached.body());
    }

    /** The Trace as JSON bytes (already encoded, and {@code trace} null, when it came from the cache). */
    Buffer body() {
      return encoded != null ? encoded : trace.toBuffer();
    }

    boolean terminal() {
      return "completed".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }
  }

  /** Something waiting for changes of one task. */
  interface Watcher {
    void onUpdate(Update update);
  }

  private final Map<String, List<Watcher>> byTask = new HashMap<>();
  private final int maxWatchers;
  private int count;
  private MessageConsumer<JsonObject> consumer;

  Watchers(int maxWatchers) {
    this.maxWatchers = maxWatchers;
  }

  Future<Void> start(Vertx vertx) {
    consumer = vertx.eventBus().consumer(Addresses.UPDATED, this::dispatch);
    return consumer.completion();
  }

  /** Adds a watcher; false when this verticle already holds its maximum. */
  boolean add(String tenant, String id, Watcher watcher) {
    if (count >= maxWatchers) {
      return false;
    }
    byTask.computeIfAbsent(key(tenant, id), k -> new ArrayList<>(1)).add(watcher);
    count++;
    return true;
  }

  void remove(String tenant, String id, Watcher watcher) {
    String key = key(tenant, id);
    List<Watcher> list = byTask.get(key);
    if (list != null && list.remove(watcher)) {
      count--;
      if (list.isEmpty()) {
        byTask.remove(key);
      }
    }
  }

  int size() {
    return count;
  }

  /**
   * Takes one place for a waiter that is not about one task (a tenant-wide event stream, which
   * {@link TenantWatchers} feeds); false when this verticle already holds its maximum.
   */
  boolean reserve() {
    if (count >= maxWatchers) {
      return false;
    }
    count++;
    return true;
  }

  /** Gives back a place taken by {@link #reserve()}. */
  void release() {
    count--;
  }

  private void dispatch(Message<JsonObject> message) {
    MultiMap headers = message.headers();
    List<Watcher> list = byTask.get(key(headers.get(Addresses.HEADER_TENANT), headers.get(Addresses.HEADER_TASK_ID)));
    if (list == null) {
      return;
    }
    Update update = Update.of(message.body(), headers);
    // A watcher may remove itself while being told: iterate over a copy.
    for (Watcher w : List.copyOf(list)) {
      w.onUpdate(update);
    }
  }

  private static String key(String tenant, String id) {
    return tenant + '\u0000' + id;
  }
}
