package dev.forge.tasks.file;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.job.JobCancelledException;
import dev.forge.tasks.job.JobFailure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The files store as a job thread sees it: one blocking request at a time (a job runs on a worker
 * thread, never an event loop), with the store's failures turned into the job's outcomes: the file
 * gone is a final failure, a newer attempt owning the file stops this one, an outage is retried.
 */
final class JobBus {

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

  /** The bus of the job verticle whose worker thread calls this (jobs run in its context). */
  static JobBus current(String taskId, long timeoutMs) {
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("file_processing runs on a job verticle's worker thread");
    }
    return new JobBus(context.owner(), timeoutMs, taskId);
  }

  <T> T request(String address, Object body) throws JobFailure {
    try {
      return vertx.eventBus().<T>request(address, body, options).toCompletionStage().toCompletableFuture()
        .get(timeoutMs + 1000, TimeUnit.MILLISECONDS).body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JobCancelledException(taskId);
    } catch (TimeoutException e) {
      throw JobFailure.retryable("The files store did not answer in time.");
    } catch (ExecutionException e) {
      ApiError error = ApiError.fromThrowable(e.getCause());
      if (error != null && error.status() == 404) {
        throw JobFailure.fatal("The file was deleted before it was processed.");
      }
      if (error != null && error.status() == 409) {
        throw new JobCancelledException(taskId);
      }
      throw JobFailure.retryable("The files store failed: " + (error == null ? "internal error" : error.message()));
    }
  }
}
