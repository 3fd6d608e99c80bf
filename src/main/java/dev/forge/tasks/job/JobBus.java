package dev.forge.tasks.job;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The event bus as a job thread uses it: blocking requests (jobs run on worker threads, never an
 * event loop), or a few sent ahead and awaited later. An outage or a timeout fails the attempt as retryable; a refusal
 * (4xx) is thrown as an {@link ApiException} for the caller to judge.
 */
public final class JobBus {

  private final Vertx vertx;
  private final DeliveryOptions options;
  private final long timeoutMs;
  private final String taskId;

  private JobBus(Vertx vertx, long timeoutMs, String taskId) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs);
    this.taskId = taskId;
  }

  /** The bus of the job verticle whose worker thread calls this. */
  public static JobBus current(String taskId, long timeoutMs) {
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("JobBus is for job threads, which run in their job verticle's context");
    }
    return new JobBus(context.owner(), timeoutMs, taskId);
  }

  /** Sends {@code body} to {@code address} and waits for the reply's body (a JSON object or a Buffer). */
  public <T> T request(String address, Object body) throws JobFailure {
    return await(send(address, body));
  }

  /**
   * Sends {@code body} to {@code address} without waiting, so that a job can keep a few requests
   * in flight (reads ahead, pipelined writes); {@link #await} takes the reply.
   */
  public <T> Future<Message<T>> send(String address, Object body) {
    return vertx.eventBus().request(address, body, options);
  }

  /** Waits for the reply to a request {@link #send} made, as {@link #request} does. */
  public <T> T await(Future<Message<T>> reply) throws JobFailure {
    try {
      return reply.toCompletionStage().toCompletableFuture().get(timeoutMs + 1000, TimeUnit.MILLISECONDS).body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JobCancelledException(taskId);
    } catch (TimeoutException e) {
      throw JobFailure.retryable("A store did not answer in time.");
    } catch (ExecutionException e) {
      ApiError error = ApiError.fromThrowable(e.getCause());
      if (error != null && error.status() < 500) {
        throw new ApiException(error);
      }
      throw JobFailure.retryable("A store failed: " + (error == null ? "internal error" : error.message()));
    }
  }
}
