package dev.forge.tasks.vector;

import dev.forge.tasks.bus.TaskIds;

/**
 * Vector store ids: server-made ({@code vs_} + 24 random base62 characters) or client-chosen under
 * the rule of task ids, at most 118 characters so that {@code vectorize-<id>} is a task id too.
 */
public final class VectorStoreIds {

  public static final String CREATE_PREFIX = "create-";
  public static final String VECTORIZE_PREFIX = "vectorize-";
  /** The longest store id. */
  public static final int MAX_LENGTH = TaskIds.MAX_LENGTH - VECTORIZE_PREFIX.length();

  private VectorStoreIds() {
  }

  public static String newId() {
    return TaskIds.newId("vs_");
  }

  /** Whether {@code id} can name a store at all; one that cannot is simply not found. */
  public static boolean isValid(String id) {
    return TaskIds.isValid(id, MAX_LENGTH);
  }

  public static String createTask(String id) {
    return CREATE_PREFIX + id;
  }

  public static String vectorizeTask(String id) {
    return VECTORIZE_PREFIX + id;
  }
}
