package dev.forge.tasks.bus;

/**
 * The ids of one kind of resource: server-made ones ({@code prefix} and 24 random base62
 * characters) and the rule for client-chosen ones, the rule of task ids at most {@code maxLength}
 * characters long.
 */
public record IdRule(String prefix, int maxLength) {

  /**
   * Ids short enough that each task id made of one of {@code taskPrefixes} and the id is still a
   * valid task id (a file's {@code upload-<id>}, for one).
   */
  public static IdRule withTasks(String prefix, String... taskPrefixes) {
    int longest = 0;
    for (String taskPrefix : taskPrefixes) {
      longest = Math.max(longest, taskPrefix.length());
    }
    return new IdRule(prefix, TaskIds.MAX_LENGTH - longest);
  }

  public String newId() {
    return TaskIds.newId(prefix);
  }

  /** Whether {@code id} can name such a resource at all; one that cannot is simply not found. */
  public boolean isValid(String id) {
    return TaskIds.isValid(id, maxLength);
  }
}
