package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records every {@link Addresses#UPDATED} message, and lets a test wait for one that matches. The
 * consumer and the waiting test may run on different event loops, hence the lock.
 */
final class UpdatesRecorder {

  private record Waiter(Predicate<Message<JsonObject>> match, Promise<Message<JsonObject>> promise) {
  }

  private final List<Message<JsonObject>> seen = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private MessageConsumer<JsonObject> consumer;

  /** Starts recording; the future completes once the consumer is registered. */
  static Future<UpdatesRecorder> listen(Vertx vertx) {
    UpdatesRecorder r = new UpdatesRecorder();
    r.consumer = vertx.eventBus().consumer(Addresses.UPDATED, r::record);
    return r.consumer.completion().map(r);
  }

  private void record(Message<JsonObject> message) {
    List<Promise<Message<JsonObject>>> matched = new ArrayList<>();
    synchronized (this) {
      seen.add(message);
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (w.match().test(message)) {
          matched.add(w.promise());
          it.remove();
        }
      }
    }
    matched.forEach(p -> p.complete(message));
  }

  /** The first message, already seen or still to come, that matches. */
  Future<Message<JsonObject>> first(Predicate<Message<JsonObject>> match) {
    synchronized (this) {
      for (Message<JsonObject> m : seen) {
        if (match.test(m)) {
          return Future.succeededFuture(m);
        }
      }
      Promise<Message<JsonObject>> promise = Promise.promise();
      waiters.add(new Waiter(match, promise));
      return promise.future();
    }
  }

  /** The first message about task {@code id} with status {@code status} (the header). */
  Future<Message<JsonObject>> first(String id, String status) {
    return first(m -> id.equals(m.headers().get(Addresses.HEADER_TASK_ID))
      && status.equals(m.headers().get(Addresses.HEADER_STATUS)));
  }

  /** Every message about task {@code id} seen so far, in arrival order. */
  synchronized List<Message<JsonObject>> about(String id) {
    return seen.stream().filter(m -> id.equals(m.headers().get(Addresses.HEADER_TASK_ID))).toList();
  }

  synchronized List<Message<JsonObject>> all() {
    return List.copyOf(seen);
  }

  Future<Void> stop() {
    return consumer.unregister();
  }
}
