package dev.forge.tasks.vector;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.file.FileIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Reads the fields of vector-store bus bodies, refusing wrong types with 400 {@code invalid_parameter}. */
final class VectorBodies {

  /** The most files one request may name. */
  static final int MAX_FILES = 10_000;

  private VectorBodies() {
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

  /** The store id; one that cannot exist is simply not found. */
  static String storeId(JsonObject body) {
    Object id = body.getValue("id");
    if (!(id instanceof String s) || !VectorStoreIds.isValid(s)) {
      throw new ApiException(VectorStoreErrors.notFound(id == null ? "null" : id.toString()));
    }
    return s;
  }

  static String fileId(JsonObject body) {
    Object id = body.getValue("file_id");
    if (!(id instanceof String s) || !FileIds.isValid(s)) {
      throw invalid("file_id", "'file_id' must be a file id.");
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
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= min
      && n.doubleValue() <= max) {
      return n.intValue();
    }
    throw invalid(key, "'" + key + "' must be a whole number from " + min + " to " + max + ".");
  }

  /** A list of distinct file ids in the order given ({@code []} when absent); an id that cannot exist is unknown. */
  static List<String> fileIds(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray array) || array.size() > MAX_FILES) {
      throw invalid(key, "'" + key + "' must be an array of at most " + MAX_FILES + " file ids.");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (Object o : array) {
      if (!(o instanceof String s)) {
        throw invalid(key, "'" + key + "' must hold file ids (strings).");
      }
      if (!FileIds.isValid(s)) {
        throw invalid(key, "No file with id '" + ApiError.printable(s) + "'.");
      }
      ids.add(s);
    }
    return new ArrayList<>(ids);
  }

  static ApiException invalid(String param, String message) {
    return new ApiException(ApiError.invalidParameter(param, message));
  }
}
