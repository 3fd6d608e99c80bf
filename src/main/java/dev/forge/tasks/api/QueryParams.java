package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.task.TaskIds;
import dev.forge.tasks.task.TaskStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Strict parsing of query-string values: out of range or malformed is refused, never clamped. */
final class QueryParams {

  private QueryParams() {
  }

  /**
   * The {@code GET /v1/tasks} query as the bus body of {@code tasks.list} (without the tenant):
   * {@code limit} 1-100, {@code order} asc|desc, {@code after}/{@code before} task ids,
   * {@code status} a comma-separated list, {@code type}. Each given at most once.
   */
  static JsonObject listQuery(MultiMap params) {
    JsonObject query = new JsonObject();
    String limit = single(params, "limit");
    if (limit != null) {
      query.put("limit", integer("limit", limit, 1, 100));
    }
    String order = single(params, "order");
    if (order != null && !order.equals("asc") && !order.equals("desc")) {
      throw new ApiException(ApiError.invalidParameter("order", "'order' must be 'asc' or 'desc'."));
    }
    query.put("order", order);
    for (String cursor : List.of("after", "before")) {
      String v = single(params, cursor);
      if (v != null && !TaskIds.isValid(v)) {
        throw new ApiException(ApiError.invalidParameter(cursor, "'" + cursor + "' must be a task id."));
      }
      query.put(cursor, v);
    }
    String status = single(params, "status");
    if (status != null) {
      JsonArray statuses = new JsonArray();
      for (String s : status.split(",", -1)) {
        if (TaskStatus.fromWire(s.trim()) == null) {
          throw new ApiException(ApiError.invalidParameter("status",
            "'status' must be one or more of pending, in_progress, completed, failed, cancelled."));
        }
        statuses.add(s.trim());
      }
      query.put("status", statuses);
    }
    String type = single(params, "type");
    if (type != null && (type.isEmpty() || type.length() > 128)) {
      throw new ApiException(ApiError.invalidParameter("type", "'type' must be a task type."));
    }
    return query.put("type", type);
  }

  static String single(MultiMap params, String name) {
    List<String> all = params.getAll(name);
    if (all.size() > 1) {
      throw new ApiException(ApiError.invalidParameter(name, "'" + name + "' is given more than once."));
    }
    return all.isEmpty() ? null : all.get(0);
  }

  static int integer(String name, String value, int min, int max) {
    if (value.length() > 0 && value.length() <= 10 && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return (int) n;
      }
    }
    throw new ApiException(ApiError.invalidParameter(name,
      "'" + name + "' must be a whole number from " + min + " to " + max + "."));
  }
}
