package dev.forge.tasks.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@link Addresses#LIST} (without the tenant), validated once for every caller: the
 * HTTP side checks a query string with it before it asks the store, and the store checks every
 * body it receives with it. Cursors are task ids, read in the list's own order.
 *
 * @param statuses the statuses to list, or null for all
 * @param type the task type to list, or null for all
 */
public record ListQuery(int limit, boolean ascending, String after, String before, List<TaskStatus> statuses,
                        String type) {

  /** The most tasks one page holds. */
  public static final int MAX_LIMIT = 100;
  /** The page size when none is asked for. */
  public static final int DEFAULT_LIMIT = 20;

  /** Reads a {@code tasks.list} body; 400 {@code invalid_parameter}, naming the field, when a value is wrong. */
  public static ListQuery from(JsonObject body) {
    int limit = BusBodies.integer(body, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT);
    boolean ascending = BusBodies.ascending(body);
    String after = BusBodies.cursor(body, "after", TaskIds::isValid, "a task id");
    String before = BusBodies.cursor(body, "before", TaskIds::isValid, "a task id");
    List<TaskStatus> statuses = statuses(body.getValue("status"));
    String type = BusBodies.optString(body, "type");
    if (type != null && (type.isEmpty() || type.length() > 128)) {
      throw BusBodies.invalid("type", "'type' must be a task type.");
    }
    return new ListQuery(limit, ascending, after, before, statuses, type);
  }

  /**
   * The {@code status} field of a body that filters by status: null when absent, else a non-empty
   * array of wire names; 400 {@code invalid_parameter} naming an unknown one.
   */
  public static List<TaskStatus> statuses(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw BusBodies.invalid("status", "'status' must be a non-empty array of statuses.");
    }
    List<TaskStatus> out = new ArrayList<>(array.size());
    for (Object s : array) {
      TaskStatus status = s instanceof String str ? TaskStatus.fromWire(str) : null;
      if (status == null) {
        throw BusBodies.invalid("status", "'status' holds an unknown status: '" + ApiError.printable(String.valueOf(s))
          + "'; use pending, in_progress, completed, failed or cancelled.");
      }
      out.add(status);
    }
    return out;
  }
}
