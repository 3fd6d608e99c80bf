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
 * The long polls and event streams of one HTTP verticle, by task. One consumer of
 * {@link Addresses#UPDATED} feeds them all, so a waiting client costs a map entry and a timer, never
 * a query: Postgres is read once when a client starts waiting, and never again while it waits.
 * Everything here runs on the verticle's event loop.
 */
final class Watchers {

  /** Something waiting for changes of one task. */
  interface Watcher {
    void onChange(TaskChange change);
  }

  private final Map<String, List<Watcher>> byTask = new HashMap<>();
  private final int maxWatchers;
  private int count;

  Watchers(int maxWatchers) {
    this.maxWatchers = maxWatchers;
  }

  Future<Void> start(Vertx vertx) {
    return vertx.eventBus().<JsonObject>consumer(Addresses.UPDATED, this::dispatch).completion();
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
    TaskChange change = TaskChange.of(message.body(), headers);
    // A watcher may remove itself while being told: iterate over a copy.
    for (Watcher w : List.copyOf(list)) {
      w.onChange(change);
    }
  }

  private static String key(String tenant, String id) {
    return tenant + '\u0000' + id;
  }
}
