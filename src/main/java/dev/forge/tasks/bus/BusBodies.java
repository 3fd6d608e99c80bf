package dev.forge.tasks.bus;

import io.vertx.core.json.JsonObject;

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
    Object id = body.getValue("id");
    if (!(id instanceof String s) || !TaskIds.isValid(s)) {
      throw new ApiException(ApiError.taskNotFound(id == null ? "null" : id.toString()));
    }
    return s;
  }

  public static String optString(JsonObject body, String key) {
    return optional(body, key, String.class, "a string");
  }

  public static String string(JsonObject body, String key) {
    String v = optString(body, key);
    if (v == null || v.isEmpty()) {
      throw invalid(key, "'" + key + "' is required.");
    }
    return v;
  }

  public static JsonObject optObject(JsonObject body, String key) {
    return optional(body, key, JsonObject.class, "a JSON object");
  }

  /** An integer in [min, max], or {@code fallback} when absent. */
  public static int integer(JsonObject body, String key, int min, int max, int fallback) {
    Object v = body.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
      && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.intValue();
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
