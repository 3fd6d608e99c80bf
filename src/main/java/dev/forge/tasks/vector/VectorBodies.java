package dev.forge.tasks.vector;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.file.FileIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the fields of vector-store bus bodies that name stores and files; the rest is read with
 * {@link BusBodies}, whose refusals are the same 400 {@code invalid_parameter}.
 */
final class VectorBodies {

  /** The most files one request may name. */
  static final int MAX_FILES = 10_000;

  private VectorBodies() {
  }

  /** The store id; one that cannot exist is simply not found. */
  static String storeId(JsonObject body) {
    return BusBodies.id(body, "id", VectorStoreIds::isValid, VectorStoreErrors::notFound);
  }

  static String fileId(JsonObject body) {
    return BusBodies.id(body, "file_id", FileIds.RULE::isValid,
      id -> ApiError.invalidParameter("file_id", "'file_id' must be a file id."));
  }

  /** A list of distinct file ids in the order given ({@code []} when absent); an id that cannot exist is unknown. */
  static List<String> fileIds(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray array) || array.size() > MAX_FILES) {
      throw BusBodies.invalid(key, "'" + key + "' must be an array of at most " + MAX_FILES + " file ids.");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (Object o : array) {
      if (!(o instanceof String s)) {
        throw BusBodies.invalid(key, "'" + key + "' must hold file ids (strings).");
      }
      if (!FileIds.RULE.isValid(s)) {
        throw BusBodies.invalid(key, "No file with id '" + ApiError.printable(s) + "'.");
      }
      ids.add(s);
    }
    return new ArrayList<>(ids);
  }
}
