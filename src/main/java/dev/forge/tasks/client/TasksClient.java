package dev.forge.tasks.client;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The Tasks API for code in the same Vert.x cluster, over the event bus: the operations and
 * semantics of the REST API (API.md), typed, without knowing any address.
 *
 * <pre>{@code
 * TasksClient tasks = new TasksClient(vertx);                        // tenant "default", 5 s timeout
 * tasks.create("document_analysis", new JsonObject().put("text", text))
 *   .compose(task -> tasks.watch(task.id(), t -> log.info("{} {}", t.id(), t.status())))
 *   .compose(TaskWatch::terminal)
 *   .onSuccess(done -> log.info("{} ended {}: {}", done.id(), done.status(), done.data()));
 * }</pre>
 *
 * <p>Every failure is an {@link ApiException}: its {@link ApiException#status()} is the HTTP status
 * and its {@link ApiException#code()} the {@code code} of API.md ({@code task_not_found},
 * {@code id_conflict}, {@code store_unavailable}, {@code store_timeout}...). A request that no node
 * receives (this process is not in a cluster with a running node) fails at once with 503
 * {@code store_unavailable}, after the retries of {@link ClientOptions#retries()}.
 *
 * <p>Watching costs the server nothing: the client listens to {@link Addresses#UPDATED}, which
 * carries every change made anywhere in the cluster, with one consumer per client.
 */
public final class TasksClient {

  private final Vertx vertx;
  private final ClientOptions options;
  private final DeliveryOptions delivery;
  private final Updates updates;

  /** A client with {@link ClientOptions#defaults()}: tenant {@code default}, 5 s timeout. */
  public TasksClient(Vertx vertx) {
    this(vertx, ClientOptions.defaults());
  }

  /** A client that acts for {@code tenant}; requests fail with 504 after {@code timeoutMs}. */
  public TasksClient(Vertx vertx, String tenant, long timeoutMs) {
    this(vertx, ClientOptions.defaults().withTenant(tenant).withTimeoutMs(timeoutMs));
  }

  public TasksClient(Vertx vertx, ClientOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.delivery = new DeliveryOptions().setSendTimeout(options.timeoutMs());
    this.updates = new Updates(vertx, options.tenant());
  }

  /** Succeeds once a node of the cluster answers and its database works; a readiness check for services. */
  public Future<Void> ping() {
    return request(Addresses.PING, new JsonObject(), true).mapEmpty();
  }

  /** Creates a task of {@code type} with a server-made id; {@code input} (for the job) may be null. */
  public Future<Task> create(String type, JsonObject input) {
    return create(NewTask.of(type).withInput(input));
  }

  /**
   * Creates a task. With an id that exists with the same type, returns the existing task (so a
   * create with an id is retried safely); with another type fails with 409 {@code id_conflict}.
   */
  public Future<Task> create(NewTask task) {
    return request(Addresses.CREATE, task.toJson(), task.id() != null).map(TasksClient::task);
  }

  /** The task now; 404 {@code task_not_found}. */
  public Future<Task> get(String id) {
    return request(Addresses.GET, new JsonObject().put("id", id), true).map(TasksClient::task);
  }

  /** One page of tasks; 400 {@code invalid_parameter} for a bad limit or an unknown cursor id. */
  public Future<TaskPage> list(TaskQuery query) {
    return request(Addresses.LIST, query.toJson(), true).map(reply -> {
      JsonObject page = reply.body();
      JsonArray data = page.getJsonArray("data");
      String[] versions = reply.headers().contains(Addresses.HEADER_VERSIONS)
        ? reply.headers().get(Addresses.HEADER_VERSIONS).split(",") : new String[0];
      List<Task> tasks = new ArrayList<>(data.size());
      for (int i = 0; i < data.size(); i++) {
        tasks.add(Task.fromJson(data.getJsonObject(i), i < versions.length ? version(versions[i]) : 0));
      }
      return new TaskPage(tasks, page.getString("first_id"), page.getString("last_id"), page.getBoolean("has_more", false));
    });
  }

  /** Cancels a task (also when it already was); 409 {@code task_not_cancellable} once completed or failed. */
  public Future<Task> cancel(String id) {
    return request(Addresses.CANCEL, new JsonObject().put("id", id), true).map(TasksClient::task);
  }

  /** Deletes a terminal task; 409 {@code task_not_deletable} while it is pending or running, 404. */
  public Future<Void> delete(String id) {
    return request(Addresses.DELETE, new JsonObject().put("id", id), false).mapEmpty();
  }

  /**
   * Follows task {@code id}: registers for its changes across the cluster, then reads it, and
   * calls {@code handler} with the state read and every newer state after it, in version order,
   * never twice and never an older one after a newer one: nothing that happens after this call is
   * missed. The watch also re-reads the task every {@link ClientOptions#resyncMs()} while it runs,
   * and ends by itself at the terminal state ({@link TaskWatch#terminal()}). Fails with 404 when
   * there is no such task. Calls to the handler never overlap.
   */
  public Future<TaskWatch> watch(String id, Handler<Task> handler) {
    TaskWatch watch = new TaskWatch(id, handler);
    return updates.registered()
      .compose(v -> {
        updates.add(watch);
        return get(id);
      })
      .compose(task -> {
        watch.offer(task);
        long timer = options.resyncMs() > 0 && !watch.closed()
          ? vertx.setPeriodic(options.resyncMs(), t -> resync(watch)) : -1;
        watch.onStop(() -> {
          updates.remove(watch);
          if (timer >= 0) {
            vertx.cancelTimer(timer);
          }
        });
        if (watch.closed()) {
          watch.close();
        }
        return Future.succeededFuture(watch);
      }, err -> {
        updates.remove(watch);
        return Future.failedFuture(err);
      });
  }

  /**
   * Calls {@code handler} with every change of this client's tenant that {@code filter} accepts,
   * from anywhere in the cluster, from the moment the returned future completes: per task in
   * version order, older states dropped. A change published while a node was leaving can be lost;
   * {@link #watch} re-reads, this does not.
   */
  public Future<Subscription> watchAll(Predicate<Task> filter, Handler<Task> handler) {
    return updates.registered().map(v -> updates.addAll(filter, handler));
  }

  /** Stops every watch of this client (the Vert.x instance stays open). */
  public Future<Void> close() {
    return updates.close();
  }

  private void resync(TaskWatch watch) {
    if (watch.closed()) {
      return;
    }
    get(watch.id()).onComplete(read -> {
      if (read.succeeded()) {
        watch.offer(read.result());
      } else if (read.cause() instanceof ApiException e && e.status() == 404) {
        watch.gone(e);
      }
      // Any other failure: the next period reads again.
    });
  }

  private Future<Message<JsonObject>> request(String address, JsonObject body, boolean idempotent) {
    body.put("tenant", options.tenant());
    return send(address, body, idempotent, 0);
  }

  private Future<Message<JsonObject>> send(String address, JsonObject body, boolean idempotent, int attempt) {
    return vertx.eventBus().<JsonObject>request(address, body, delivery).recover(err -> {
      if (attempt < options.retries() && retryable(err, idempotent)) {
        return vertx.timer(100L << attempt).compose(v -> send(address, body, idempotent, attempt + 1));
      }
      return Future.failedFuture(failure(address, err));
    });
  }

  /** Whether {@code err} is safe to retry: no node got the request, or the request changes nothing twice. */
  private static boolean retryable(Throwable err, boolean idempotent) {
    if (!(err instanceof ReplyException re)) {
      return false;
    }
    return re.failureType() == ReplyFailure.NO_HANDLERS
      || idempotent && (re.failureType() == ReplyFailure.TIMEOUT || re.failureCode() == 503);
  }

  private static ApiException failure(String address, Throwable err) {
    if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      return new ApiException(new ApiError(503, "store_unavailable", "No Tasks node handles " + address
        + " on this event bus: this process is not in a cluster with a running Tasks node. Check that its cluster"
        + " name, members and ports match the nodes' (README: Joining from your own service).", null));
    }
    ApiError error = ApiError.fromThrowable(err);
    return error != null ? new ApiException(error)
      : new ApiException(new ApiError(500, "internal_error", "The request to " + address + " failed: " + err, null), err);
  }

  private static Task task(Message<JsonObject> reply) {
    return Task.fromJson(reply.body(), version(reply.headers().get(Addresses.HEADER_VERSION)));
  }

  static long version(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
