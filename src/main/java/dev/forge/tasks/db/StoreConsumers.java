package dev.forge.tasks.db;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.BusBodies;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The event-bus side of a store verticle: one handler per address, handed the request, its answer
 * sent as the reply and its failure mapped by {@link StoreFailures} (a handler may also throw an
 * {@link ApiException} for a refusal). {@link #close(long)} leaves the bus and lets the requests
 * under way finish.
 */
public final class StoreConsumers {

  private final Vertx vertx;
  private final String room;
  private final Function<String, ApiError> conflict;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  /** Requests taken from the bus and not answered yet; {@link #close(long)} waits for them. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Promise<Void> drained = Promise.promise();
  private volatile boolean stopping;

  /**
   * @param room how the log lines name the store ("Files": "Files files.get on f-1 timed out")
   * @param conflict what a unique violation means for the id a request names; null where only a bug explains one
   */
  public StoreConsumers(Vertx vertx, String room, Function<String, ApiError> conflict) {
    this.vertx = vertx;
    this.room = room;
    this.conflict = conflict;
  }

  /** Answers {@code address}, whose body is a JSON object, with what {@code handler} replies. */
  public Future<Void> on(String address, Function<JsonObject, Future<BusReply>> handler) {
    return onMessage(address, message -> handler.apply(BusBodies.body(message.body())));
  }

  /** {@link #on} for a handler whose reply is a JSON object without headers. */
  public Future<Void> onJson(String address, Function<JsonObject, Future<JsonObject>> handler) {
    return on(address, body -> handler.apply(body).map(BusReply::of));
  }

  /** {@link #on} for a handler that reads the whole message (a Buffer body, headers). */
  public Future<Void> onMessage(String address, Function<Message<Object>, Future<BusReply>> handler) {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, message -> {
      inFlight.incrementAndGet();
      Future<BusReply> result;
      try {
        result = handler.apply(message);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(done -> {
        if (inFlight.decrementAndGet() == 0 && stopping) {
          drained.tryComplete();
        }
        if (done.succeeded()) {
          message.reply(done.result().body(), done.result().options());
        } else {
          fail(message, address, done.cause());
        }
      });
    });
    consumers.add(consumer);
    return consumer.completion();
  }

  /**
   * Leaves the bus first, so that the cluster sends new requests to the other instances and nodes,
   * then lets the requests under way finish, for at most {@code drainMs}: a store that stops answers
   * what it took instead of failing it as a closed pool.
   */
  public Future<Void> close(long drainMs) {
    stopping = true;
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList())
      .transform(v -> {
        if (inFlight.get() == 0) {
          drained.tryComplete();
        }
        if (drainMs > 0) {
          vertx.setTimer(drainMs, t -> drained.tryComplete());
        } else {
          drained.tryComplete();
        }
        return drained.future();
      });
  }

  private void fail(Message<Object> message, String address, Throwable cause) {
    if (stopping && !(cause instanceof ApiException)) {
      // Drained past its wait, its pool closing under it: the caller retries on another instance or node.
      ApiError.storeUnavailable().failReply(message);
      return;
    }
    Object id = message.body() instanceof JsonObject json ? json.getValue("id", json.getValue("file_id")) : null;
    String printable = id == null ? "-" : ApiError.printable(id.toString());
    ApiError conflicting = conflict == null || id == null ? null : conflict.apply(printable);
    StoreFailures.toApiError(cause, room + " " + address + " on " + printable, conflicting).failReply(message);
  }
}
