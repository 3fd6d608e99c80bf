package dev.forge.tasks.file;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the files store asks of the task store about a file's task {@code upload-<id>}: create it,
 * cancel it, and read its state to reconcile the file's status with it.
 */
final class FileTasks {

  private static final Logger LOG = LoggerFactory.getLogger(FileTasks.class);

  /** The task type of file processing. */
  static final String TYPE = "file_processing";

  private final Vertx vertx;
  private final DeliveryOptions bus;

  FileTasks(Vertx vertx, long busTimeoutMs) {
    this.vertx = vertx;
    this.bus = new DeliveryOptions().setSendTimeout(busTimeoutMs);
  }

  /**
   * Creates the processing task of a new file. A task of that id left by an earlier file of the same
   * id (deleted since) is cancelled and deleted first, so that the new file is processed afresh.
   */
  Future<Void> create(String tenant, String fileId) {
    return createOnce(tenant, fileId).compose(created -> {
      if (created) {
        return Future.succeededFuture();
      }
      String taskId = FileIds.taskId(fileId);
      LOG.info("Task {} is left from an earlier file of id {}: replacing it", taskId, fileId);
      JsonObject key = new JsonObject().put("tenant", tenant).put("id", taskId);
      return vertx.eventBus().request(Addresses.CANCEL, key, bus).otherwiseEmpty()
        .compose(v -> vertx.eventBus().request(Addresses.DELETE, key, bus).otherwiseEmpty())
        .compose(v -> createOnce(tenant, fileId))
        .compose(again -> again ? Future.succeededFuture()
          : Future.failedFuture(FileErrors.exception(ApiError.conflict("id_conflict",
            "The processing task '" + ApiError.printable(taskId) + "' of an earlier file is still in use; retry shortly."))));
    });
  }

  private Future<Boolean> createOnce(String tenant, String fileId) {
    JsonObject body = new JsonObject().put("tenant", tenant).put("type", TYPE).put("id", FileIds.taskId(fileId))
      .put("input", new JsonObject().put("file_id", fileId))
      .put("data", new JsonObject().put("file_id", fileId).put("stage", "queued").put("chunks_created", 0));
    return vertx.eventBus().<Object>request(Addresses.CREATE, body, bus)
      .map(reply -> "true".equals(reply.headers().get(Addresses.HEADER_CREATED)));
  }

  /** Cancels the file's task; a task already ended or gone is fine. */
  Future<Void> cancel(String tenant, String fileId) {
    JsonObject key = new JsonObject().put("tenant", tenant).put("id", FileIds.taskId(fileId));
    return vertx.eventBus().request(Addresses.CANCEL, key, bus).<Void>mapEmpty().recover(err -> {
      ApiError e = ApiError.fromThrowable(err);
      return e != null && (e.status() == 404 || e.status() == 409) ? Future.succeededFuture() : Future.failedFuture(err);
    });
  }

  /**
   * Why a file whose row says {@code processing} has in fact failed: its task failed, was
   * cancelled or is gone (tasks are deleted only once ended); {@code null} while it may still
   * finish, or when the task store cannot tell now.
   */
  Future<String> failureOf(String tenant, String fileId) {
    JsonObject key = new JsonObject().put("tenant", tenant).put("id", FileIds.taskId(fileId));
    return vertx.eventBus().<Object>request(Addresses.GET, key, bus).map(FileTasks::failureOf).recover(err -> {
      ApiError e = ApiError.fromThrowable(err);
      return Future.succeededFuture(e != null && e.status() == 404 ? "The processing task no longer exists." : null);
    });
  }

  private static String failureOf(Message<Object> reply) {
    JsonObject task = (JsonObject) reply.body();
    if (!TYPE.equals(task.getString("type"))) {
      return null;
    }
    return switch (String.valueOf(task.getString("status"))) {
      case "failed" -> task.getValue("failure_reason") instanceof String reason ? reason : "The processing task failed.";
      case "cancelled" -> "The processing task was cancelled.";
      default -> null;
    };
  }
}
