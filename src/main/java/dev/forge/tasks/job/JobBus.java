package dev.forge.tasks.job;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The event bus as a job thread uses it: one blocking request at a time (jobs run on worker
 * threads, never an event loop). An outage or a timeout fails the attempt as retryable; a refusal
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
    try {
      return vertx.eventBus().<T>request(address, body, options).toCompletionStage().toCompletableFuture()
        .get(timeoutMs + 1000, TimeUnit.MILLISECONDS).body();
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
