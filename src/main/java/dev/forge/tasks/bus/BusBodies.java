package dev.forge.tasks.bus;

import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Reads the fields of bus request bodies as {@link Addresses} documents them, refusing wrong types
 * with 400 {@code invalid_parameter} naming the field.
 */
public final class BusBodies {

  private BusBodies() {
  }

  /** The body as a JSON object; 400 {@code invalid_json} when it is anything else. */
  public static JsonObject body(Object body) {
    if (body instanceof JsonObject json) {
      return json;
    }
    throw new ApiException(ApiError.invalidJson("The request body must be a JSON object."));
  }

  /** The tenant named by the body, {@link Addresses#DEFAULT_TENANT} when none. */
  public static String tenant(JsonObject body) {
    String tenant = optString(body, "tenant");
    return tenant == null ? Addresses.DEFAULT_TENANT : tenant;
  }

  /** The task id; one that cannot exist is simply not found. */
  public static String id(JsonObject body) {
    return id(body, "id", TaskIds::isValid, ApiError::taskNotFound);
  }

  /**
   * The id under {@code key}; when it is absent, not a string or not {@code valid}, fails with the
   * error {@code refusal} makes of it (a "not found" for the resource's own id, 400 for a reference).
   */
  public static String id(JsonObject body, String key, Predicate<String> valid, Function<String, ApiError> refusal) {
    Object id = body.getValue(key);
    if (id instanceof String s && valid.test(s)) {
      return s;
    }
    throw new ApiException(refusal.apply(String.valueOf(id)));
  }

  /** An optional cursor under {@code key}: null when absent, else an id that {@code valid} accepts. */
  public static String cursor(JsonObject body, String key, Predicate<String> valid, String what) {
    String v = optString(body, key);
    if (v != null && !valid.test(v)) {
      throw invalid(key, "'" + key + "' must be " + what + ".");
    }
    return v;
  }

  /** {@code order}: true for {@code "asc"}, false for {@code "desc"} or none. */
  public static boolean ascending(JsonObject body) {
    String order = optString(body, "order");
    if (order != null && !order.equals("asc") && !order.equals("desc")) {
      throw invalid("order", "'order' must be 'asc' or 'desc'.");
    }
    return "asc".equals(order);
  }

  public static String optString(JsonObject body, String key) {
    return optional(body, key, String.class, "a string");
  }

  /** A required, non-empty string. */
  public static String string(JsonObject body, String key) {
    String v = requiredString(body, key);
    if (v.isEmpty()) {
      throw invalid(key, "'" + key + "' is required.");
    }
    return v;
  }

  /** A required string, which may be empty. */
  public static String requiredString(JsonObject body, String key) {
    String v = optString(body, key);
    if (v == null) {
      throw invalid(key, "'" + key + "' is required.");
    }
    return v;
  }

  public static JsonObject optObject(JsonObject body, String key) {
    return optional(body, key, JsonObject.class, "a JSON object");
  }

  /** An integer in [min, max], or {@code fallback} when absent. */
  public static int integer(JsonObject body, String key, int min, int max, int fallback) {
    return (int) number(body, key, min, max, fallback);
  }

  /** A whole number in [min, max], or {@code fallback} when absent. */
  public static long number(JsonObject body, String key, long min, long max, long fallback) {
    Object v = body.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
      && n.longValue() >= min && n.longValue() <= max) {
      return n.longValue();
    }
    throw invalid(key, "'" + key + "' must be an integer from " + min + " to " + max + ".");
  }

  public static int attempt(JsonObject body) {
    if (body.getValue("attempt") == null) {
      throw invalid("attempt", "'attempt' is required.");
    }
    return integer(body, "attempt", 1, Integer.MAX_VALUE, 0);
  }

  /** A progress in [0, 1]; NaN, infinities and anything outside are refused. */
  public static Double progress(JsonObject body) {
    Object v = body.getValue("progress");
    if (v == null) {
      return null;
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      if (d >= 0.0 && d <= 1.0) {
        return d;
      }
    }
    throw invalid("progress", "'progress' must be a number from 0.0 to 1.0.");
  }

  public static boolean bool(JsonObject body, String key, boolean fallback) {
    Boolean v = optional(body, key, Boolean.class, "true or false");
    return v == null ? fallback : v;
  }

  /** 400 {@code invalid_parameter} naming {@code param}. */
  public static ApiException invalid(String param, String message) {
    return new ApiException(ApiError.invalidParameter(param, message));
  }

  /** The value of {@code key}, null when absent; refused when it is not a {@code type}. */
  private static <T> T optional(JsonObject body, String key, Class<T> type, String what) {
    Object v = body.getValue(key);
    if (v == null || type.isInstance(v)) {
      return type.cast(v);
    }
    throw invalid(key, "'" + key + "' must be " + what + ".");
  }
}
