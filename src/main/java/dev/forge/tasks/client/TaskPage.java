package dev.forge.tasks.client;

import java.util.List;

/**
 * One page of {@link TasksClient#list(TaskQuery)}; ask for the next with {@code query.after(page.lastId())}.
 *
 * @param tasks the tasks, in the order asked for
 * @param firstId the first task's id, or null when the page is empty
 * @param lastId the last task's id, or null when the page is empty
 * @param hasMore whether more tasks follow {@code lastId}
 */
public record TaskPage(List<Task> tasks, String firstId, String lastId, boolean hasMore) {

  public TaskPage {
    tasks = List.copyOf(tasks);
  }
}
