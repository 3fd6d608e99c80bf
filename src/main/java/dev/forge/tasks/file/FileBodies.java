package dev.forge.tasks.file;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.json.JsonObject;

/** Reads the fields of files bus bodies, refusing wrong types with 400 {@code invalid_parameter}. */
final class FileBodies {

  private FileBodies() {
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

  /** The file id; one that cannot exist is simply not found. */
  static String id(JsonObject body) {
    Object id = body.getValue("id");
    if (!(id instanceof String s) || !FileIds.isValid(s)) {
      throw new ApiException(FileErrors.notFound(String.valueOf(id)));
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
    if (v == null) {
      throw invalid(key, "'" + key + "' is required.");
    }
    return v;
  }

  static long number(JsonObject body, String key, long min, long max, long fallback) {
    Object v = body.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= min
      && n.longValue() <= max) {
      return n.longValue();
    }
    throw invalid(key, "'" + key + "' must be an integer from " + min + " to " + max + ".");
  }

  static int integer(JsonObject body, String key, int min, int max, int fallback) {
    return (int) number(body, key, min, max, fallback);
  }

  static JsonObject optObject(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof JsonObject) {
      return (JsonObject) v;
    }
    throw invalid(key, "'" + key + "' must be a JSON object.");
  }

  static boolean bool(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof Boolean) {
      return Boolean.TRUE.equals(v);
    }
    throw invalid(key, "'" + key + "' must be true or false.");
  }

  static ApiException invalid(String param, String message) {
    return new ApiException(ApiError.invalidParameter(param, message));
  }
}
