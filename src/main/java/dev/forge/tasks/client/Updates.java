package dev.forge.tasks.client;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * One consumer of {@link Addresses#UPDATED} per client, registered at the first watch, that hands
 * each change of the client's tenant to the watches that want it.
 */
final class Updates {

  /** Tasks whose last version a {@link TasksClient#watchAll} remembers to drop older events. */
  private static final int REMEMBERED = 100_000;

  private final Vertx vertx;
  private final String tenant;
  private final Map<String, Set<TaskWatch>> byId = new ConcurrentHashMap<>();
  private final Set<AllWatch> all = ConcurrentHashMap.newKeySet();
  private MessageConsumer<JsonObject> consumer;
  private Future<Void> registered;

  Updates(Vertx vertx, String tenant) {
    this.vertx = vertx;
    this.tenant = tenant;
  }

  /** Completes once the consumer is registered across the cluster: from then on no change is missed. */
  synchronized Future<Void> registered() {
    if (registered == null || registered.failed()) {
      consumer = vertx.eventBus().consumer(Addresses.UPDATED, this::dispatch);
      registered = consumer.completion();
    }
    return registered;
  }

  void add(TaskWatch watch) {
    byId.computeIfAbsent(watch.id(), k -> ConcurrentHashMap.newKeySet()).add(watch);
  }

  void remove(TaskWatch watch) {
    byId.computeIfPresent(watch.id(), (k, set) -> {
      set.remove(watch);
      return set.isEmpty() ? null : set;
    });
  }

  Subscription addAll(Predicate<Task> filter, Handler<Task> handler) {
    AllWatch watch = new AllWatch(filter, handler);
    all.add(watch);
    return watch;
  }

  /** Unregisters the consumer; a later watch registers a new one. */
  synchronized Future<Void> close() {
    MessageConsumer<JsonObject> c = consumer;
    consumer = null;
    registered = null;
    return c == null ? Future.succeededFuture() : c.unregister();
  }

  private void dispatch(Message<JsonObject> message) {
    MultiMap headers = message.headers();
    if (!tenant.equals(headers.get(Addresses.HEADER_TENANT))) {
      return;
    }
    Set<TaskWatch> watches = byId.get(headers.get(Addresses.HEADER_TASK_ID));
    if ((watches == null || watches.isEmpty()) && all.isEmpty()) {
      return;
    }
    Task task = Task.fromJson(message.body(), TasksClient.version(headers.get(Addresses.HEADER_VERSION)));
    if (watches != null) {
      watches.forEach(w -> w.offer(task));
    }
    all.forEach(w -> w.offer(task));
  }

  /** A {@link TasksClient#watchAll} subscription: every task's states in version order, older ones dropped. */
  private final class AllWatch implements Subscription {
    private final Predicate<Task> filter;
    private final Handler<Task> handler;
    private boolean closed;
    private final Map<String, Long> versions = new LinkedHashMap<>(1024, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > REMEMBERED;
      }
    };

    AllWatch(Predicate<Task> filter, Handler<Task> handler) {
      this.filter = filter;
      this.handler = handler;
    }

    synchronized void offer(Task task) {
      if (closed) {
        return;
      }
      Long seen = versions.get(task.id());
      if (seen != null && task.version() <= seen) {
        return;
      }
      versions.put(task.id(), task.version());
      if (filter.test(task)) {
        handler.handle(task);
      }
    }

    @Override
    public synchronized Future<Void> close() {
      closed = true;
      all.remove(this);
      return Future.succeededFuture();
    }
  }
}
