package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Context;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the store does with each change it persisted, before it replies: count it, write it into
 * the node's cache, publish it on {@link Addresses#UPDATED}; and announce claimable work on
 * {@link Addresses#JOB_AVAILABLE}, once per type for all the changes of one turn of the store's
 * context (a batch of creates is announced once, not once per task: every announcement makes every
 * job verticle of the type in the cluster try a claim).
 */
final class Changes {

  private final Context context;
  private final EventBus bus;
  private final TaskMetrics metrics;
  private final TraceCache cache;
  private final Set<String> claimable = new LinkedHashSet<>();

  /** Changes made on {@code context} (the store verticle's): announcements are sent from it. */
  Changes(Context context, TaskMetrics metrics, TraceCache cache) {
    this.context = context;
    this.bus = context.owner().eventBus();
    this.metrics = metrics;
    this.cache = cache;
  }

  void created(Trace t) {
    metrics.created(t.type());
    changed(t);
  }

  /** A change that may have ended the task (counted by its new status) or made it claimable again. */
  void moved(Trace t) {
    metrics.ended(t.status(), t.type());
    changed(t);
  }

  void rescued(Trace t) {
    metrics.rescued(t.type());
    moved(t);
  }

  /** A change that neither ends the task nor makes it claimable (claim, progress). */
  void changed(Trace t) {
    JsonObject json = t.toJson(); // built once for the cache and the published fact
    if (cache != null) {
      cache.put(t, json);
    }
    bus.publish(Addresses.UPDATED, json, t.headers());
    if (t.status() == TaskStatus.PENDING) {
      announce(t.type());
    }
  }

  /** Announces {@code type} after the current turn, together with every other type of the turn. */
  private void announce(String type) {
    if (claimable.isEmpty()) {
      context.runOnContext(v -> {
        for (String each : claimable) {
          bus.publish(Addresses.JOB_AVAILABLE, new JsonObject().put("type", each));
        }
        claimable.clear();
      });
    }
    claimable.add(type);
  }

  void deleted(Trace t) {
    if (cache != null) {
      cache.deleted(t);
    }
    bus.publish(Addresses.UPDATED, t.toJson(), t.headers().addHeader(Addresses.HEADER_DELETED, "true"));
  }

  /** The outcome of a write to this task is unknown: its cached state may be wrong. */
  void forget(String tenant, String id) {
    if (cache != null) {
      cache.forget(tenant, id);
    }
  }

  /** Writes whose outcome is unknown touched tasks this node cannot name: forget every cached task. */
  void forgetAll() {
    if (cache != null) {
      cache.clear();
    }
  }

  /** A task read (not changed): cached so that the next poll costs no query. */
  void read(Trace t) {
    if (cache != null) {
      cache.put(t);
    }
  }

  /** True when this node keeps a cache that changes must reach. */
  boolean caching() {
    return cache != null;
  }

  TaskMetrics metrics() {
    return metrics;
  }
}
