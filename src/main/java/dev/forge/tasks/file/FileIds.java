package dev.forge.tasks.file;

import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.bus.IdRule;
import io.vertx.core.json.JsonObject;

/**
 * File ids: server-made ({@code file_} + 24 random base62 characters) or client-chosen under the
 * rule of task ids, at most 121 characters so that the processing task id {@code upload-<id>}
 * is itself a valid task id.
 */
public final class FileIds {

  /** The prefix of a file's processing task id. */
  public static final String TASK_PREFIX = "upload-";
  /** New file ids, and which ones a client may choose. */
  public static final IdRule RULE = IdRule.withTasks("file_", TASK_PREFIX);

  private FileIds() {
  }

  /** The file id a bus body names; one that cannot exist is simply not found. */
  static String from(JsonObject body) {
    return BusBodies.id(body, "id", RULE::isValid, FileErrors::notFound);
  }

  /** The id of the {@code file_processing} task of file {@code id}. */
  public static String taskId(String id) {
    return TASK_PREFIX + id;
  }
}
