package dev.forge.tasks.file;

import static dev.forge.tasks.bus.BusBodies.attempt;
import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.db.BusReply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The processing addresses of the files store. Every write names its attempt: once a newer attempt
 * (a retry or a rescue) has taken the file over, an older one's writes are refused, so two attempts
 * never mix their segments.
 */
final class FileJobs {

  static final int MAX_SEGMENTS_PER_WRITE = 1000;

  private final FileStore store;

  FileJobs(FileStore store) {
    this.store = store;
  }

  Future<BusReply> start(JsonObject body) {
    return store.jobStart(tenant(body), FileIds.from(body), attempt(body)).map(started -> BusReply.of(
      new JsonObject().put("file", started.file().toJson().put("parts", started.file().parts())
          .put("segment_count", started.file().segmentCount()))
        .put("processed", started.alreadyProcessed())));
  }

  Future<BusReply> read(JsonObject body) {
    int part = BusBodies.integer(body, "part", 0, Integer.MAX_VALUE, -1);
    if (part < 0) {
      throw BusBodies.invalid("part", "'part' is required.");
    }
    return store.readPart(tenant(body), FileIds.from(body), part).map(BusReply::of);
  }

  Future<BusReply> segments(JsonObject body) {
    if (!(body.getValue("segments") instanceof JsonArray segments) || segments.size() > MAX_SEGMENTS_PER_WRITE) {
      throw BusBodies.invalid("segments", "'segments' must be an array of at most " + MAX_SEGMENTS_PER_WRITE + ".");
    }
    Integer[] indexes = new Integer[segments.size()];
    String[] contents = new String[segments.size()];
    String[] metadata = new String[segments.size()];
    for (int i = 0; i < segments.size(); i++) {
      if (!(segments.getValue(i) instanceof JsonObject s)) {
        throw BusBodies.invalid("segments", "Each segment must be an object.");
      }
      indexes[i] = BusBodies.integer(s, "index", 0, Integer.MAX_VALUE, -1);
      contents[i] = BusBodies.requiredString(s, "content");
      JsonObject meta = BusBodies.optObject(s, "metadata");
      metadata[i] = (meta == null ? new JsonObject() : meta).encode();
      if (indexes[i] < 0) {
        throw BusBodies.invalid("index", "Each segment needs its 'index'.");
      }
    }
    return store.insertSegments(tenant(body), FileIds.from(body), attempt(body), indexes, contents, metadata)
      .map(v -> BusReply.of(new JsonObject()));
  }

  Future<BusReply> done(JsonObject body) {
    Object keywords = body.getValue("keywords");
    return store.jobDone(tenant(body), FileIds.from(body), attempt(body),
        BusBodies.integer(body, "segment_count", 0, Integer.MAX_VALUE, 0), text(body, "abstract"), text(body, "summary"),
        keywords instanceof JsonArray k ? k : new JsonArray(), text(body, "language"), text(body, "file_type"),
        BusBodies.integer(body, "page_count", 0, Integer.MAX_VALUE, 0))
      .map(v -> BusReply.of(new JsonObject()));
  }

  Future<BusReply> failed(JsonObject body) {
    return store.jobFailed(tenant(body), FileIds.from(body), attempt(body), BusBodies.requiredString(body, "error"))
      .map(v -> BusReply.of(new JsonObject()));
  }

  private static String text(JsonObject body, String key) {
    String v = BusBodies.optString(body, key);
    return v == null ? "" : v;
  }
}
