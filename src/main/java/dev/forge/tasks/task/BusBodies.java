package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.json.JsonObject;

/** Reads the fields of bus request bodies, refusing wrong types with 400 {@code invalid_parameter}. */
final class BusBodies {

  private BusBodies() {
  }

  static JsonObject body(Object body) {
    if (body instanceof JsonObject json) {
      return json;
    }
    throw new ApiException(ApiError.invalidJson("The request body must be a JSON object."));
  }

  static String tenant(JsonObject body) {
    String tenant = optString(body, "tenant");
    return tenant == null ? Addresses.DEFAULT_TENANT : tenant;
  }

  /** The task id; one that cannot exist is simply not found. */
  static String id(JsonObject body) {
    Object id = body.getValue("id");
    if (!(id instanceof String s) || !TaskIds.isValid(s)) {
      throw new ApiException(ApiError.taskNotFound(id == null ? "null" : id.toString()));
    }
    return s;
  }

  static String optString(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw invalid(key, "'" + key + "' must be a string.");
  }

  static String string(JsonObject body, String key) {
    String v = optString(body, key);
    if (v == null || v.isEmpty()) {
      throw invalid(key, "'" + key + "' is required.");
    }
    return v;
  }

  static JsonObject optObject(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof JsonObject) {
      return (JsonObject) v;
    }
    throw invalid(key, "'" + key + "' must be a JSON object.");
  }

  /** An integer in [min, max], or {@code fallback} when absent. */
  static int integer(JsonObject body, String key, int min, int max, int fallback) {
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

  static int attempt(JsonObject body) {
    if (body.getValue("attempt") == null) {
      throw invalid("attempt", "'attempt' is required.");
    }
    return integer(body, "attempt", 1, Integer.MAX_VALUE, 0);
  }

  /** A progress in [0, 1]; NaN, infinities and anything outside are refused. */
  static Double progress(JsonObject body) {
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

  static boolean bool(JsonObject body, String key, boolean fallback) {
    Object v = body.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw invalid(key, "'" + key + "' must be true or false.");
  }

  static ApiException invalid(String param, String message) {
    return new ApiException(ApiError.invalidParameter(param, message));
  }
}
