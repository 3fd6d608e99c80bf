package dev.forge.tasks.client;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The Tasks API for code in the same Vert.x cluster, over the event bus: the same operations and
 * semantics as the REST API, without knowing any address.
 *
 * <pre>{@code
 * TasksClient tasks = new TasksClient(vertx);                     // tenant "default", 5 s timeout
 * tasks.create("document_analysis", new JsonObject().put("text", text), null)
 *   .compose(task -> tasks.watch(task.getString("id"), update -> log(update)));
 * }</pre>
 *
 * <p>Every method returns the Trace (or list, or deletion) JSON of API.md. A failure is an
 * {@link ApiException} whose {@link ApiError} carries the HTTP status and the {@code code} of
 * API.md ({@code task_not_found}, {@code id_conflict}, {@code store_unavailable}...). Watching does
 * not touch the database: it listens to {@link Addresses#UPDATED}, which carries every change made
 * anywhere in the cluster.
 */
public final class TasksClient {

  private final Vertx vertx;
  private final String tenant;
  private final DeliveryOptions options;

  /** A client for the default tenant with a 5 second timeout. */
  public TasksClient(Vertx vertx) {
    this(vertx, Addresses.DEFAULT_TENANT, 5000);
  }

  /** A client that acts for {@code tenant}; requests fail with 504 after {@code timeoutMs}. */
  public TasksClient(Vertx vertx, String tenant, long timeoutMs) {
    this.vertx = vertx;
    this.tenant = tenant;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  /** Creates a task of {@code type} with a server-made id; {@code input} and {@code data} may be null. */
  public Future<JsonObject> create(String type, JsonObject input, JsonObject data) {
    return create(new JsonObject().put("type", type).put("input", input).put("data", data));
  }

  /**
   * Creates a task from a full body {@code {type, id?, input?, data?, max_attempts?}}. With an
   * {@code id} that exists with the same type, returns the existing task.
   */
  public Future<JsonObject> create(JsonObject body) {
    return request(Addresses.CREATE, body.copy());
  }

  public Future<JsonObject> get(String id) {
    return request(Addresses.GET, new JsonObject().put("id", id));
  }

  /**
   * Lists tasks: {@code query} holds {@code limit, order, after, before, type} and {@code status}
   * (a JSON array), all optional. Replies with the list object of API.md.
   */
  public Future<JsonObject> list(JsonObject query) {
    return request(Addresses.LIST, query == null ? new JsonObject() : query.copy());
  }

  /** Lists the tasks in any of {@code statuses}, newest first. */
  public Future<JsonObject> list(int limit, String... statuses) {
    JsonObject query = new JsonObject().put("limit", limit);
    if (statuses.length > 0) {
      query.put("status", new JsonArray(List.of((Object[]) statuses)));
    }
    return list(query);
  }

  public Future<JsonObject> cancel(String id) {
    return request(Addresses.CANCEL, new JsonObject().put("id", id));
  }

  public Future<JsonObject> delete(String id) {
    return request(Addresses.DELETE, new JsonObject().put("id", id));
  }

  /**
   * Calls {@code handler} with the Trace of every change to task {@code id}, from anywhere in the
   * cluster, until the returned consumer is unregistered. To miss nothing, watch first and then
   * {@link #get} the current state, keeping whichever is newer.
   */
  public Future<MessageConsumer<JsonObject>> watch(String id, Handler<JsonObject> handler) {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(Addresses.UPDATED, m -> {
      if (id.equals(m.headers().get(Addresses.HEADER_TASK_ID)) && tenant.equals(m.headers().get(Addresses.HEADER_TENANT))) {
        handler.handle(m.body());
      }
    });
    return consumer.completion().map(consumer);
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    body.put("tenant", tenant);
    return vertx.eventBus().<JsonObject>request(address, body, options)
      .map(reply -> reply.body())
      .recover(err -> {
        ApiError error = ApiError.fromThrowable(err);
        return Future.failedFuture(error == null ? err : new ApiException(error));
      });
  }
}
