package dev.forge.tasks.file;

import dev.forge.tasks.task.TaskIds;
import java.util.regex.Pattern;

/**
 * File ids: server-made ({@code file_} + 24 random base62 characters) or client-chosen under the
 * rule of task ids, at most 121 characters so that the processing task id {@code upload-<id>}
 * is itself a valid task id.
 */
public final class FileIds {

  /** The prefix of a file's processing task id. */
  public static final String TASK_PREFIX = "upload-";
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,120}");

  private FileIds() {
  }

  public static String newId() {
    return "file_" + TaskIds.newId().substring("task_".length());
  }

  /** Whether {@code id} can name a file at all; one that cannot is simply not found. */
  public static boolean isValid(String id) {
    return id != null && id.length() <= 121 && VALID.matcher(id).matches();
  }

  /** The id of the {@code file_processing} task of file {@code id}. */
  public static String taskId(String id) {
    return TASK_PREFIX + id;
  }
}
