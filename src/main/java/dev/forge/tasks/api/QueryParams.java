package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.ListQuery;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Predicate;

/** Strict parsing of query-string values: out of range or malformed is refused, never clamped. */
final class QueryParams {

  private QueryParams() {
  }

  /**
   * The {@code GET /v1/tasks} query, each parameter given at most once: {@code limit},
   * {@code order}, {@code after}, {@code before}, {@code type}, and {@code status} as a
   * comma-separated list, as the body of {@code tasks.list} (without the tenant) that holds what the
   * client gave; {@link ListQuery#from} judges the values.
   */
  static JsonObject listQuery(MultiMap params) {
    JsonObject query = new JsonObject();
    String limit = single(params, "limit");
    if (limit != null) {
      // A whole number goes on as a number; any other text as text, which ListQuery refuses.
      query.put("limit", isWholeNumber(limit) && Long.parseLong(limit) <= Integer.MAX_VALUE
        ? (Object) Integer.parseInt(limit) : limit);
    }
    for (String name : List.of("order", "after", "before", "type")) {
      query.put(name, single(params, name));
    }
    String status = single(params, "status");
    if (status != null) {
      JsonArray statuses = new JsonArray();
      for (String s : status.split(",", -1)) {
        statuses.add(s.trim());
      }
      query.put("status", statuses);
    }
    ListQuery.from(query);
    return query;
  }

  /**
   * A page of a list ordered by id: {@code limit} (1 to 100), {@code order} ({@code asc} or
   * {@code desc}), and the cursors {@code after} and {@code before}, ids that {@code validCursor}
   * accepts ({@code what} names them in the refusal), as the body of a store's list request.
   */
  static JsonObject page(MultiMap params, Predicate<String> validCursor, String what) {
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
      if (v != null && !validCursor.test(v)) {
        throw new ApiException(ApiError.invalidParameter(cursor, "'" + cursor + "' must be " + what + "."));
      }
      query.put(cursor, v);
    }
    return query;
  }

  static String single(MultiMap params, String name) {
    List<String> all = params.getAll(name);
    if (all.size() > 1) {
      throw new ApiException(ApiError.invalidParameter(name, "'" + name + "' is given more than once."));
    }
    return all.isEmpty() ? null : all.get(0);
  }

  static int integer(String name, String value, int min, int max) {
    if (isWholeNumber(value)) {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return (int) n;
      }
    }
    throw new ApiException(ApiError.invalidParameter(name,
      "'" + name + "' must be a whole number from " + min + " to " + max + "."));
  }

  private static boolean isWholeNumber(String value) {
    return value.length() > 0 && value.length() <= 10 && value.chars().allMatch(c -> c >= '0' && c <= '9');
  }
}
