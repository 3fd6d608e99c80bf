package dev.forge.tasks.file;

import static dev.forge.tasks.bus.BusBodies.integer;
import static dev.forge.tasks.bus.BusBodies.optString;
import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.db.BusReply;
import dev.forge.tasks.db.StoreConsumers;
import dev.forge.tasks.db.StorePool;
import dev.forge.tasks.db.StoreRoom;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Row;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files store: the only owner of {@code files}, {@code file_parts} and {@code file_segments},
 * reached over the {@code files.*} addresses of {@link Addresses}. It reconciles a file's stored
 * status with its task {@code upload-<id>} before anyone sees it, and drops uploads abandoned
 * half-way. Its upload and processing addresses live in {@link FileUploads} and {@link FileJobs}.
 */
public final class FilesVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(FilesVerticle.class);

  /** The most segments a document carries. */
  static final int DOCUMENT_SEGMENTS = 1000;

  /** {@code abandonedAfterMs}: how long an invisible (staged) upload may stay before it is dropped. */
  public record Settings(PgConnectOptions connect, int poolSize, long busTimeoutMs, long abandonedAfterMs) {
  }

  private final Settings settings;
  private StoreRoom room;
  private FileStore store;
  private FileTasks tasks;

  public FilesVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    room = StoreRoom.open(vertx, settings.connect(), settings.poolSize(), StorePool.MAX_WAITING, "files-store",
      new StoreConsumers(vertx, "Files", FileErrors::idConflict));
    // Half as many connections (at least 2) for the bulk writes of parts and segments.
    store = new FileStore(room.pool(), room.asynchronousPool(vertx, settings.connect(),
      Math.max(2, settings.poolSize() / 2), "files-store-bulk"));
    room.keepStatistics(vertx, List.of("files", "file_parts", "file_segments"));
    StoreConsumers consumers = room.consumers();
    tasks = new FileTasks(vertx, settings.busTimeoutMs());
    FileUploads uploads = new FileUploads(store, tasks);
    FileJobs jobs = new FileJobs(store);
    Future<?> registered = Future.all(List.of(
      consumers.on(Addresses.FILES_GET, body -> get(body).map(f -> BusReply.of(f.toJson()))),
      consumers.on(Addresses.FILES_LIST, this::list),
      consumers.on(Addresses.FILES_SEGMENTS, this::segments),
      consumers.on(Addresses.FILES_DOCUMENT, body -> get(body).compose(this::document)),
      consumers.on(Addresses.FILES_DOCUMENT_UPDATE, this::updateDocument),
      consumers.on(Addresses.FILES_DELETE, this::delete),
      consumers.on(Addresses.FILES_UPLOAD_BEGIN, uploads::begin),
      consumers.onMessage(Addresses.FILES_UPLOAD_PART, uploads::part),
      consumers.on(Addresses.FILES_UPLOAD_FINISH, uploads::finish),
      consumers.on(Addresses.FILES_UPLOAD_ABORT, uploads::abort),
      consumers.on(Addresses.FILES_JOB_START, jobs::start),
      consumers.on(Addresses.FILES_JOB_READ, jobs::read),
      consumers.on(Addresses.FILES_JOB_SEGMENTS, jobs::segments),
      consumers.on(Addresses.FILES_JOB_DONE, jobs::done),
      consumers.on(Addresses.FILES_JOB_FAILED, jobs::failed)));
    long sweepMs = Math.max(1000, Math.min(settings.abandonedAfterMs() / 4, 600_000));
    vertx.setPeriodic(sweepMs, t -> store.deleteAbandoned(settings.abandonedAfterMs())
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("Dropped {} upload(s) abandoned for more than {} ms", n, settings.abandonedAfterMs());
        }
      })
      .onFailure(err -> LOG.warn("Sweep of abandoned uploads failed: {}", err.getMessage())));
    return registered;
  }

  @Override
  public Future<?> stop() {
    return room == null ? Future.succeededFuture() : room.close(0);
  }

  private Future<FileRow> get(JsonObject body) {
    return store.get(tenant(body), FileIds.from(body)).compose(this::reconcile);
  }

  /** A stored {@code processing} is checked against the task, which alone knows whether work goes on. */
  private Future<FileRow> reconcile(FileRow file) {
    if (!"processing".equals(file.status())) {
      return Future.succeededFuture(file);
    }
    return tasks.failureOf(file.tenant(), file.id()).compose(failure -> {
      if (failure == null) {
        return Future.succeededFuture(file);
      }
      return store.markFailed(file.tenant(), file.id(), failure).otherwiseEmpty()
        .map(v -> file.withStatus("failed", failure));
    });
  }

  private Future<BusReply> list(JsonObject body) {
    int limit = integer(body, "limit", 1, 100, 20);
    boolean ascending = BusBodies.ascending(body);
    String after = BusBodies.cursor(body, "after", FileIds.RULE::isValid, "a file id");
    String before = BusBodies.cursor(body, "before", FileIds.RULE::isValid, "a file id");
    return store.list(tenant(body), limit, ascending, after, before, optString(body, "purpose"))
      .compose(page -> {
        List<Future<FileRow>> files = page.items().stream().map(this::reconcile).toList();
        return Future.all(files).map(all -> {
          JsonArray data = new JsonArray();
          files.forEach(f -> data.add(f.result().toJson()));
          return BusReply.of(BusReply.list(data, page.hasMore()));
        });
      });
  }

  private Future<BusReply> segments(JsonObject body) {
    int after = integer(body, "after", -1, Integer.MAX_VALUE, -1);
    int limit = integer(body, "limit", 1, 1000, 100);
    return store.get(tenant(body), FileIds.from(body)).compose(file -> !"processed".equals(file.status())
      ? Future.succeededFuture(BusReply.of(new JsonObject().put("segments", new JsonArray()).put("has_more", false)))
      : store.segments(file.tenant(), file.id(), after, limit + 1).map(rows -> {
        JsonArray out = new JsonArray();
        rows.stream().limit(limit).forEach(r -> out.add(new JsonObject().put("index", r.getInteger("idx"))
          .put("content", r.getString("content")).put("metadata", r.getJson("metadata"))));
        return BusReply.of(new JsonObject().put("segments", out).put("has_more", rows.size() > limit));
      }));
  }

  private Future<BusReply> document(FileRow file) {
    if (!"processed".equals(file.status())) {
      return Future.succeededFuture(BusReply.of(file.toDocument(new JsonArray(), false)));
    }
    return store.segments(file.tenant(), file.id(), -1, DOCUMENT_SEGMENTS + 1).map(rows -> {
      JsonArray segments = new JsonArray();
      for (Row r : rows.subList(0, Math.min(rows.size(), DOCUMENT_SEGMENTS))) {
        int index = r.getInteger("idx");
        segments.add(new JsonObject().put("id", String.format("%s-P%04d", file.md5(), index)).put("index", index)
          .put("content", r.getString("content")).put("metadata", r.getJson("metadata")).put("url", ""));
      }
      return BusReply.of(file.toDocument(segments, rows.size() > DOCUMENT_SEGMENTS));
    });
  }

  private Future<BusReply> updateDocument(JsonObject body) {
    String title = optString(body, "title");
    if (title != null && title.length() > 1000) {
      throw BusBodies.invalid("title", "'title' must be at most 1000 characters.");
    }
    boolean setAuthor = body.containsKey("author");
    String author = optString(body, "author");
    JsonObject metadata = BusBodies.optObject(body, "metadata");
    if (metadata != null && metadata.encode().length() > 64 * 1024) {
      throw BusBodies.invalid("metadata", "'metadata' must be at most 64 KiB of JSON.");
    }
    return store.updateDocument(tenant(body), FileIds.from(body), title, setAuthor, author, metadata)
      .compose(this::reconcile).compose(this::document);
  }

  private Future<BusReply> delete(JsonObject body) {
    String tenant = tenant(body);
    String id = FileIds.from(body);
    // The task first: a deletion that fails half-way leaves a file whose processing stopped, never
    // work running on a file that is gone.
    return store.get(tenant, id).compose(file -> tasks.cancel(tenant, id)).compose(v -> store.delete(tenant, id))
      .map(v -> {
        LOG.info("File {} of tenant {} deleted (task {})", id, tenant, FileIds.taskId(id));
        return BusReply.of(new JsonObject().put("id", id).put("object", "file").put("deleted", true));
      });
  }
}
