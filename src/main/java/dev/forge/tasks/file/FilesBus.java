package dev.forge.tasks.file;

import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.job.JobBus;
import dev.forge.tasks.job.JobCancelledException;
import dev.forge.tasks.job.JobFailure;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;

/**
 * The files store as a {@code file_processing} job sees it: {@link JobBus} with
 * the store's refusals turned into the job's outcomes: the file gone is a final failure, a newer
 * attempt owning the file stops this one, anything else is retried.
 */
final class FilesBus {

  private final JobBus bus;
  private final String taskId;

  private FilesBus(JobBus bus, String taskId) {
    this.bus = bus;
    this.taskId = taskId;
  }

  /** The bus of the job verticle whose worker thread calls this. */
  static FilesBus current(String taskId, long timeoutMs) {
    return new FilesBus(JobBus.current(taskId, timeoutMs), taskId);
  }

  <T> T request(String address, Object body) throws JobFailure {
    return await(send(address, body));
  }

  /** Sends without waiting; {@link #await} takes the reply (reads ahead, pipelined writes). */
  <T> Future<Message<T>> send(String address, Object body) {
    return bus.send(address, body);
  }

  <T> T await(Future<Message<T>> reply) throws JobFailure {
    try {
      return bus.await(reply);
    } catch (ApiException e) {
      if (e.error().status() == 404) {
        throw JobFailure.fatal("The file was deleted before it was processed.");
      }
      if (e.error().status() == 409) {
        throw new JobCancelledException(taskId);
      }
      throw JobFailure.retryable("The files store refused a request: " + e.error().message());
    }
  }
}
