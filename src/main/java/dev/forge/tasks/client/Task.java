package dev.forge.tasks.client;

import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One task as the server shows it (the task object of API.md) plus its version.
 *
 * @param id the task id
 * @param type the task type
 * @param status where the task is
 * @param progress from 0.0 to 1.0; 1.0 once completed
 * @param data what the job has reported so far (its result once completed); never null
 * @param createdAt when the task was created (whole seconds)
 * @param updatedAt when it last changed (whole seconds)
 * @param failureReason why it failed, or null
 * @param version grows by one at every change of the task: of two states of one task, the one with
 *                the higher version is the newer
 */
public record Task(String id, String type, TaskStatus status, double progress, JsonObject data,
                   Instant createdAt, Instant updatedAt, String failureReason, long version) {

  public boolean terminal() {
    return status.terminal();
  }

  /** Reads the task object of API.md; {@code version} travels beside it (a bus header). */
  static Task fromJson(JsonObject trace, long version) {
    JsonObject data = trace.getJsonObject("data");
    return new Task(trace.getString("id"), trace.getString("type"), status(trace.getString("status")),
      trace.getDouble("progress", 0.0), data == null ? new JsonObject() : data,
      Instant.ofEpochSecond(trace.getLong("created_at", 0L)), Instant.ofEpochSecond(trace.getLong("updated_at", 0L)),
      trace.getString("failure_reason"), version);
  }

  /** @throws IllegalArgumentException for a status this client does not know (a newer server) */
  private static TaskStatus status(String wire) {
    TaskStatus status = TaskStatus.fromWire(wire);
    if (status == null) {
      throw new IllegalArgumentException("Unknown task status '" + wire + "'");
    }
    return status;
  }
}
