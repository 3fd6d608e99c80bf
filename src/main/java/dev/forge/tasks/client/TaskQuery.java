package dev.forge.tasks.client;

import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.Set;

/**
 * What {@link TasksClient#list(TaskQuery)} asks for: {@code TaskQuery.first(100).withStatus(COMPLETED)}.
 *
 * @param limit 1 to 100
 * @param ascending oldest first when true; newest first (the default) when false
 * @param after a cursor: tasks after this id in the chosen order, or null
 * @param before a cursor: tasks before this id, or null
 * @param statuses only tasks in one of these (empty: any)
 * @param type only tasks of this type, or null
 */
public record TaskQuery(int limit, boolean ascending, String after, String before, Set<TaskStatus> statuses, String type) {

  public TaskQuery {
    statuses = statuses == null || statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
  }

  /** The newest {@code limit} tasks. */
  public static TaskQuery first(int limit) {
    return new TaskQuery(limit, false, null, null, Set.of(), null);
  }

  public TaskQuery oldestFirst() {
    return new TaskQuery(limit, true, after, before, statuses, type);
  }

  public TaskQuery after(String id) {
    return new TaskQuery(limit, ascending, id, before, statuses, type);
  }

  public TaskQuery before(String id) {
    return new TaskQuery(limit, ascending, after, id, statuses, type);
  }

  public TaskQuery withStatus(TaskStatus first, TaskStatus... more) {
    return new TaskQuery(limit, ascending, after, before, EnumSet.of(first, more), type);
  }

  public TaskQuery withType(String type) {
    return new TaskQuery(limit, ascending, after, before, statuses, type);
  }

  JsonObject toJson() {
    JsonObject body = new JsonObject().put("limit", limit).put("order", ascending ? "asc" : "desc");
    if (after != null) {
      body.put("after", after);
    }
    if (before != null) {
      body.put("before", before);
    }
    if (!statuses.isEmpty()) {
      JsonArray wire = new JsonArray();
      EnumSet.copyOf(statuses).forEach(s -> wire.add(s.wire()));
      body.put("status", wire);
    }
    if (type != null) {
      body.put("type", type);
    }
    return body;
  }
}
