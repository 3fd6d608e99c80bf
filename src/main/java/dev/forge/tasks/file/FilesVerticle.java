package dev.forge.tasks.file;

import static dev.forge.tasks.file.FileBodies.id;
import static dev.forge.tasks.file.FileBodies.integer;
import static dev.forge.tasks.file.FileBodies.optString;
import static dev.forge.tasks.file.FileBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.Function;
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

  /** A reply: a JSON object or a Buffer, with headers. */
  record Reply(Object body, DeliveryOptions options) {
    static Reply of(Object body) {
      return new Reply(body, new DeliveryOptions());
    }
  }

  private final Settings settings;
  private Pool pool;
  private Pool bulk;
  private FileStore store;
  private FileTasks tasks;

  public FilesVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(settings.poolSize()).setConnectionTimeout(3).setMaxWaitQueueSize(1024)
        .setName("files-store"))
      .with(new NetClientOptions().setConnectTimeout(3000))
      .connectingTo(settings.connect())
      .using(vertx)
      .build();
    // Parts and segments commit without waiting for their WAL flush: each is followed, before anyone
    // relies on it, by a commit that waits (an upload's finish, an attempt's done), and Postgres
    // flushes the WAL in order, so that commit makes them durable too. A crash in between loses only
    // an upload the client never saw succeed, or segments that the rescued attempt writes again.
    bulk = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(Math.max(2, settings.poolSize() / 2)).setConnectionTimeout(3)
        .setMaxWaitQueueSize(1024).setName("files-store-bulk"))
      .with(new NetClientOptions().setConnectTimeout(3000))
      .connectingTo(new PgConnectOptions(settings.connect()).setProperties(new HashMap<>(settings.connect().getProperties()))
        .addProperty("synchronous_commit", "off"))
      .using(vertx)
      .build();
    store = new FileStore(pool, bulk);
    tasks = new FileTasks(vertx, settings.busTimeoutMs());
    FileUploads uploads = new FileUploads(store, tasks);
    FileJobs jobs = new FileJobs(store);
    List<Future<Void>> registered = new ArrayList<>();
    registered.add(consume(Addresses.FILES_GET, body -> get(body).map(f -> Reply.of(f.toJson()))));
    registered.add(consume(Addresses.FILES_LIST, this::list));
    registered.add(consume(Addresses.FILES_SEGMENTS, this::segments));
    registered.add(consume(Addresses.FILES_DOCUMENT, body -> get(body).compose(this::document)));
    registered.add(consume(Addresses.FILES_DOCUMENT_UPDATE, this::updateDocument));
    registered.add(consume(Addresses.FILES_DELETE, this::delete));
    registered.add(consume(Addresses.FILES_UPLOAD_BEGIN, uploads::begin));
    registered.add(consumeMessages(Addresses.FILES_UPLOAD_PART, uploads::part));
    registered.add(consume(Addresses.FILES_UPLOAD_FINISH, uploads::finish));
    registered.add(consume(Addresses.FILES_UPLOAD_ABORT, uploads::abort));
    registered.add(consume(Addresses.FILES_JOB_START, jobs::start));
    registered.add(consume(Addresses.FILES_JOB_READ, jobs::read));
    registered.add(consume(Addresses.FILES_JOB_SEGMENTS, jobs::segments));
    registered.add(consume(Addresses.FILES_JOB_DONE, jobs::done));
    registered.add(consume(Addresses.FILES_JOB_FAILED, jobs::failed));
    long sweepMs = Math.max(1000, Math.min(settings.abandonedAfterMs() / 4, 600_000));
    vertx.setPeriodic(sweepMs, t -> store.deleteAbandoned(settings.abandonedAfterMs())
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("Dropped {} upload(s) abandoned for more than {} ms", n, settings.abandonedAfterMs());
        }
      })
      .onFailure(err -> LOG.warn("Sweep of abandoned uploads failed: {}", err.getMessage())));
    return Future.all(registered);
  }

  @Override
  public Future<?> stop() {
    return Future.all(pool == null ? Future.succeededFuture() : pool.close(),
      bulk == null ? Future.succeededFuture() : bulk.close());
  }

  private Future<FileRow> get(JsonObject body) {
    return store.get(tenant(body), id(body)).compose(this::reconcile);
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

  private Future<Reply> list(JsonObject body) {
    int limit = integer(body, "limit", 1, 100, 20);
    String order = body.getValue("order") == null ? "desc" : optString(body, "order");
    if (!order.equals("asc") && !order.equals("desc")) {
      throw FileBodies.invalid("order", "'order' must be 'asc' or 'desc'.");
    }
    String after = cursor(body, "after");
    String before = cursor(body, "before");
    return store.list(tenant(body), limit, order.equals("asc"), after, before, optString(body, "purpose"))
      .compose(page -> {
        List<Future<FileRow>> files = page.files().stream().map(this::reconcile).toList();
        return Future.all(files).map(all -> {
          JsonArray data = new JsonArray();
          files.forEach(f -> data.add(f.result().toJson()));
          return Reply.of(new JsonObject().put("object", "list").put("data", data)
            .put("first_id", files.isEmpty() ? null : files.get(0).result().id())
            .put("last_id", files.isEmpty() ? null : files.get(files.size() - 1).result().id())
            .put("has_more", page.hasMore()));
        });
      });
  }

  private static String cursor(JsonObject body, String key) {
    String v = optString(body, key);
    if (v != null && !FileIds.isValid(v)) {
      throw FileBodies.invalid(key, "'" + key + "' must be a file id.");
    }
    return v;
  }

  private Future<Reply> segments(JsonObject body) {
    int after = integer(body, "after", -1, Integer.MAX_VALUE, -1);
    int limit = integer(body, "limit", 1, 1000, 100);
    return store.get(tenant(body), id(body)).compose(file -> !"processed".equals(file.status())
      ? Future.succeededFuture(Reply.of(new JsonObject().put("segments", new JsonArray()).put("has_more", false)))
      : store.segments(file.tenant(), file.id(), after, limit + 1).map(rows -> {
        JsonArray out = new JsonArray();
        rows.stream().limit(limit).forEach(r -> out.add(new JsonObject().put("index", r.getInteger("idx"))
          .put("content", r.getString("content")).put("metadata", r.getJson("metadata"))));
        return Reply.of(new JsonObject().put("segments", out).put("has_more", rows.size() > limit));
      }));
  }

  private Future<Reply> document(FileRow file) {
    if (!"processed".equals(file.status())) {
      return Future.succeededFuture(Reply.of(file.toDocument(new JsonArray(), false)));
    }
    return store.segments(file.tenant(), file.id(), -1, DOCUMENT_SEGMENTS + 1).map(rows -> {
      JsonArray segments = new JsonArray();
      for (Row r : rows.subList(0, Math.min(rows.size(), DOCUMENT_SEGMENTS))) {
        int index = r.getInteger("idx");
        segments.add(new JsonObject().put("id", String.format("%s-P%04d", file.md5(), index)).put("index", index)
          .put("content", r.getString("content")).put("metadata", r.getJson("metadata")).put("url", ""));
      }
      return Reply.of(file.toDocument(segments, rows.size() > DOCUMENT_SEGMENTS));
    });
  }

  private Future<Reply> updateDocument(JsonObject body) {
    String title = optString(body, "title");
    if (title != null && title.length() > 1000) {
      throw FileBodies.invalid("title", "'title' must be at most 1000 characters.");
    }
    boolean setAuthor = body.containsKey("author");
    String author = optString(body, "author");
    JsonObject metadata = FileBodies.optObject(body, "metadata");
    if (metadata != null && metadata.encode().length() > 64 * 1024) {
      throw FileBodies.invalid("metadata", "'metadata' must be at most 64 KiB of JSON.");
    }
    return store.updateDocument(tenant(body), id(body), title, setAuthor, author, metadata)
      .compose(this::reconcile).compose(this::document);
  }

  private Future<Reply> delete(JsonObject body) {
    String tenant = tenant(body);
    String id = id(body);
    // The task first: a deletion that fails half-way leaves a file whose processing stopped, never
    // work running on a file that is gone.
    return store.get(tenant, id).compose(file -> tasks.cancel(tenant, id)).compose(v -> store.delete(tenant, id))
      .map(v -> {
        LOG.info("File {} of tenant {} deleted (task {})", id, tenant, FileIds.taskId(id));
        return Reply.of(new JsonObject().put("id", id).put("object", "file").put("deleted", true));
      });
  }

  private Future<Void> consumeMessages(String address, Function<Message<Object>, Future<Reply>> handler) {
    return vertx.eventBus().<Object>consumer(address, message -> {
      Future<Reply> result;
      try {
        result = handler.apply(message);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(done -> {
        if (done.succeeded()) {
          message.reply(done.result().body(), done.result().options());
        } else {
          Object id = message.body() instanceof JsonObject json ? json.getValue("id") : null;
          FileErrors.fromStore(done.cause(), address, id == null ? "-" : ApiError.printable(id.toString()))
            .failReply(message);
        }
      });
    }).completion();
  }

  /** For handlers of JSON bodies. */
  private Future<Void> consume(String address, Handler handler) {
    return consumeMessages(address, m -> handler.handle(FileBodies.body(m.body())));
  }

  /** A handler of a JSON body. */
  @FunctionalInterface
  interface Handler {
    Future<Reply> handle(JsonObject body);
  }
}
