package dev.forge.tasks.vector;

import dev.forge.tasks.task.TaskIds;
import java.util.regex.Pattern;

/**
 * Vector store ids: server-made ({@code vs_} + 24 random base62 characters) or client-chosen under
 * the rule of task ids, at most 118 characters so that {@code vectorize-<id>} is a task id too.
 */
public final class VectorStoreIds {

  public static final String CREATE_PREFIX = "create-";
  public static final String VECTORIZE_PREFIX = "vectorize-";
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,117}");

  private VectorStoreIds() {
  }

  public static String newId() {
    return "vs_" + TaskIds.newId().substring("task_".length());
  }

  /** Whether {@code id} can name a store at all; one that cannot is simply not found. */
  public static boolean isValid(String id) {
    return id != null && id.length() <= 118 && VALID.matcher(id).matches();
  }

  public static String createTask(String id) {
    return CREATE_PREFIX + id;
  }

  public static String vectorizeTask(String id) {
    return VECTORIZE_PREFIX + id;
  }
}
