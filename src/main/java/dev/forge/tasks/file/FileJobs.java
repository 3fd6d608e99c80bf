package dev.forge.tasks.file;

import static dev.forge.tasks.file.FileBodies.id;
import static dev.forge.tasks.file.FileBodies.tenant;

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

  Future<FilesVerticle.Reply> start(JsonObject body) {
    return store.jobStart(tenant(body), id(body), attempt(body)).map(started -> FilesVerticle.Reply.of(
      new JsonObject().put("file", started.file().toJson().put("parts", started.file().parts())
          .put("segment_count", started.file().segmentCount()))
        .put("processed", started.alreadyProcessed())));
  }

  Future<FilesVerticle.Reply> read(JsonObject body) {
    int part = FileBodies.integer(body, "part", 0, Integer.MAX_VALUE, -1);
    if (part < 0) {
      throw FileBodies.invalid("part", "'part' is required.");
    }
    return store.readPart(tenant(body), id(body), part).map(FilesVerticle.Reply::of);
  }

  Future<FilesVerticle.Reply> segments(JsonObject body) {
    if (!(body.getValue("segments") instanceof JsonArray segments) || segments.size() > MAX_SEGMENTS_PER_WRITE) {
      throw FileBodies.invalid("segments", "'segments' must be an array of at most " + MAX_SEGMENTS_PER_WRITE + ".");
    }
    Integer[] indexes = new Integer[segments.size()];
    String[] contents = new String[segments.size()];
    String[] metadata = new String[segments.size()];
    for (int i = 0; i < segments.size(); i++) {
      if (!(segments.getValue(i) instanceof JsonObject s)) {
        throw FileBodies.invalid("segments", "Each segment must be an object.");
      }
      indexes[i] = FileBodies.integer(s, "index", 0, Integer.MAX_VALUE, -1);
      contents[i] = FileBodies.string(s, "content");
      JsonObject meta = FileBodies.optObject(s, "metadata");
      metadata[i] = (meta == null ? new JsonObject() : meta).encode();
      if (indexes[i] < 0) {
        throw FileBodies.invalid("index", "Each segment needs its 'index'.");
      }
    }
    return store.insertSegments(tenant(body), id(body), attempt(body), indexes, contents, metadata)
      .map(v -> FilesVerticle.Reply.of(new JsonObject()));
  }

  Future<FilesVerticle.Reply> done(JsonObject body) {
    Object keywords = body.getValue("keywords");
    return store.jobDone(tenant(body), id(body), attempt(body),
        FileBodies.integer(body, "segment_count", 0, Integer.MAX_VALUE, 0), text(body, "abstract"), text(body, "summary"),
        keywords instanceof JsonArray k ? k : new JsonArray(), text(body, "language"), text(body, "file_type"),
        FileBodies.integer(body, "page_count", 0, Integer.MAX_VALUE, 0))
      .map(v -> FilesVerticle.Reply.of(new JsonObject()));
  }

  Future<FilesVerticle.Reply> failed(JsonObject body) {
    return store.jobFailed(tenant(body), id(body), attempt(body), FileBodies.string(body, "error"))
      .map(v -> FilesVerticle.Reply.of(new JsonObject()));
  }

  private static int attempt(JsonObject body) {
    int attempt = FileBodies.integer(body, "attempt", 1, Integer.MAX_VALUE, 0);
    if (attempt == 0) {
      throw FileBodies.invalid("attempt", "'attempt' is required.");
    }
    return attempt;
  }

  private static String text(JsonObject body, String key) {
    String v = FileBodies.optString(body, key);
    return v == null ? "" : v;
  }
}
