package dev.forge.tasks.vector;

import static dev.forge.tasks.bus.BusBodies.tenant;
import static dev.forge.tasks.vector.VectorBodies.fileId;
import static dev.forge.tasks.vector.VectorBodies.storeId;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.db.BusReply;
import dev.forge.tasks.db.StoreConsumers;
import dev.forge.tasks.db.StoreFailures;
import dev.forge.tasks.db.StorePool;
import dev.forge.tasks.db.StoreRoom;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The vector store: the only owner of {@code vector_stores}, {@code vector_store_files} and
 * {@code segment_vectors}, reached over the {@code vector_stores.*} addresses of
 * {@link Addresses}. It makes the stores' tasks through the task store before it replies, keeps
 * its node's search copies ({@link SearchIndex}) and computes searches on its {@link SearchPool};
 * its {@link Sweeper} puts right files whose task has ended. One instance per node.
 */
public final class VectorStoreVerticle extends VerticleBase {

  /** {@code searchThreads}: the search pool; {@code maxSearchBytes}: vectors a node holds for search. */
  public record Settings(PgConnectOptions connect, int poolSize, long busTimeoutMs, int searchThreads,
                         long maxSearchBytes, long sweepMs) {
  }

  private final Settings settings;
  private final Embedder embedder;
  private StoreRoom room;
  private VectorStoreDb db;
  private StoreTasks tasks;
  private SearchIndex index;
  private SearchPool searchPool;
  private Searches searches;

  public VectorStoreVerticle(Settings settings, Embedder embedder) {
    this.settings = settings;
    this.embedder = embedder;
  }

  @Override
  public Future<?> start() {
    room = StoreRoom.open(vertx, settings.connect(), settings.poolSize(), StorePool.MAX_WAITING, "vector-store",
      new StoreConsumers(vertx, "Vector store", null));
    room.keepStatistics(vertx, List.of("vector_stores", "vector_store_files", "segment_vectors"));
    db = new VectorStoreDb(room.pool(), embedder.model());
    tasks = new StoreTasks(vertx, settings.busTimeoutMs());
    index = new SearchIndex(db, embedder.dimensions(), settings.maxSearchBytes());
    searchPool = new SearchPool(settings.searchThreads());
    searches = new Searches(context, db, index, searchPool, embedder);
    JobSide jobs = new JobSide(db, embedder.dimensions());
    StoreConsumers consumers = room.consumers();
    return Future.all(List.of(
      consumers.onJson(Addresses.VECTOR_STORES_CREATE, this::create),
      consumers.onJson(Addresses.VECTOR_STORES_GET, b -> db.get(tenant(b), storeId(b))),
      consumers.onJson(Addresses.VECTOR_STORES_LIST, this::list),
      consumers.onJson(Addresses.VECTOR_STORES_UPDATE, this::update),
      consumers.onJson(Addresses.VECTOR_STORES_DELETE, this::delete),
      consumers.onJson(Addresses.VECTOR_STORES_FILES, b -> db.files(tenant(b), storeId(b)).map(data -> BusReply.list(data, false))),
      consumers.onJson(Addresses.VECTOR_STORES_SEARCH, b -> searches.search(tenant(b), storeId(b), b)),
      consumers.onJson(Addresses.VECTOR_STORES_SUMMARY, b -> searches.summary(tenant(b), storeId(b), b)),
      consumers.onJson(Addresses.VECTOR_STORES_OF_FILE, b -> db.storesOf(tenant(b), fileId(b))
        .map(ids -> new JsonObject().put("vector_store_ids", new JsonArray(ids)))),
      consumers.onJson(Addresses.VECTOR_STORES_JOB_PENDING, jobs::pending),
      consumers.onJson(Addresses.VECTOR_STORES_JOB_MISSING, jobs::missing),
      consumers.onJson(Addresses.VECTOR_STORES_JOB_VECTORS, jobs::vectors),
      consumers.onJson(Addresses.VECTOR_STORES_JOB_FILE_DONE, jobs::fileDone),
      new Sweeper(vertx, db, tasks).start(settings.sweepMs())));
  }

  @Override
  public Future<?> stop() {
    if (searchPool != null) {
      searchPool.close();
    }
    return room == null ? Future.succeededFuture() : room.close(0);
  }

  private Future<JsonObject> create(JsonObject body) {
    String tenant = tenant(body);
    String id;
    if (body.getValue("id") == null) {
      id = VectorStoreIds.newId();
    } else if (body.getValue("id") instanceof String s && VectorStoreIds.isValid(s)) {
      id = s;
    } else {
      throw BusBodies.invalid("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,117}$.");
    }
    String name = BusBodies.optString(body, "name");
    JsonObject metadata = BusBodies.optObject(body, "metadata");
    List<String> files = VectorBodies.fileIds(body, "file_ids");
    return db.create(tenant, id, name == null ? "" : name, BusBodies.optString(body, "description"),
        metadata == null ? new JsonObject() : metadata, Expiry.policy(body), files)
      // The task exists before the reply; a store whose task cannot be made is undone.
      .compose(v -> tasks.ensure(tenant, VectorStoreIds.createTask(id), id)
        .recover(err -> db.delete(tenant, id).otherwiseEmpty().compose(u -> Future.failedFuture(err))))
      .compose(v -> db.get(tenant, id));
  }

  private Future<JsonObject> list(JsonObject body) {
    int limit = BusBodies.integer(body, "limit", 1, 100, 20);
    boolean ascending = BusBodies.ascending(body);
    String after = BusBodies.cursor(body, "after", VectorStoreIds::isValid, "a vector store id");
    String before = BusBodies.cursor(body, "before", VectorStoreIds::isValid, "a vector store id");
    return db.list(tenant(body), limit, ascending, after, before)
      .map(page -> BusReply.list(new JsonArray(new ArrayList<>(page.stores())), page.hasMore()));
  }

  private Future<JsonObject> update(JsonObject body) {
    String tenant = tenant(body);
    String id = storeId(body);
    boolean clearDescription = body.containsKey("description") && body.getValue("description") == null;
    List<String> join = VectorBodies.fileIds(body, "join_file_ids");
    List<String> leave = VectorBodies.fileIds(body, "left_file_ids");
    return db.update(tenant, id, BusBodies.optString(body, "name"), BusBodies.optString(body, "description"),
        clearDescription, BusBodies.optObject(body, "metadata"), Expiry.policy(body), join,
        leave)
      .compose(joined -> joined.isEmpty() ? Future.<Void>succeededFuture()
        : tasks.ensure(tenant, VectorStoreIds.vectorizeTask(id), id))
      .compose(v -> db.get(tenant, id));
  }

  private Future<JsonObject> delete(JsonObject body) {
    String tenant = tenant(body);
    String id = storeId(body);
    // Its tasks are cancelled before the store goes: a job that found its store gone first would end
    // its task failed ("deleted") instead of cancelled.
    return db.get(tenant, id)
      .compose(store -> Future.all(tasks.cancel(tenant, VectorStoreIds.createTask(id)),
        tasks.cancel(tenant, VectorStoreIds.vectorizeTask(id))).otherwiseEmpty())
      .compose(v -> deleteRetrying(tenant, id, 3))
      .map(v -> {
        index.forget(tenant, id);
        return new JsonObject().put("id", id).put("object", "vector_store.deleted").put("deleted", true);
      });
  }

  /** The delete cascades through rows a running job may be writing: a deadlock is retried. */
  private Future<Void> deleteRetrying(String tenant, String id, int attemptsLeft) {
    return db.delete(tenant, id).recover(err -> attemptsLeft > 1 && StoreFailures.retryable(err)
      ? vertx.timer(20).compose(t -> deleteRetrying(tenant, id, attemptsLeft - 1))
      : Future.failedFuture(err));
  }

  /** The addresses the vector-store jobs use. */
  private record JobSide(VectorStoreDb db, int dimensions) {

    Future<JsonObject> pending(JsonObject b) {
      return db.pending(tenant(b), storeId(b)).map(p -> new JsonObject().put("pending", new JsonArray(p.pending()))
        .put("files_total", p.total()).put("files_completed", p.completed()).put("files_failed", p.failed())
        .put("files_cancelled", p.cancelled()));
    }

    Future<JsonObject> missing(JsonObject b) {
      if (!(b.getValue("indexes") instanceof JsonArray list) || list.size() > 1000) {
        throw BusBodies.invalid("indexes", "'indexes' must be an array of at most 1000 segment indexes.");
      }
      Integer[] indexes = new Integer[list.size()];
      for (int i = 0; i < list.size(); i++) {
        if (!(list.getValue(i) instanceof Number n)) {
          throw BusBodies.invalid("indexes", "'indexes' must hold numbers.");
        }
        indexes[i] = n.intValue();
      }
      return db.missing(tenant(b), fileId(b), model(b), indexes);
    }

    Future<JsonObject> vectors(JsonObject b) {
      if (!(b.getValue("vectors") instanceof JsonArray list) || list.size() > 1000) {
        throw BusBodies.invalid("vectors", "'vectors' must be an array of at most 1000 vectors.");
      }
      Integer[] indexes = new Integer[list.size()];
      Buffer[] vectors = new Buffer[list.size()];
      for (int i = 0; i < list.size(); i++) {
        JsonObject v = list.getJsonObject(i);
        indexes[i] = BusBodies.integer(v, "index", 0, Integer.MAX_VALUE, -1);
        byte[] raw = v.getBinary("vector");
        if (indexes[i] < 0 || raw == null || raw.length != 4 * dimensions) {
          throw BusBodies.invalid("vectors", "Each vector needs its 'index' and " + dimensions + " float32 values.");
        }
        vectors[i] = Buffer.buffer(raw);
      }
      String fileId = fileId(b);
      return db.putVectors(tenant(b), fileId, model(b), indexes, vectors)
        .recover(err -> Future.failedFuture(StoreFailures.FOREIGN_KEY_VIOLATION.equals(StoreFailures.sqlState(err))
          ? new ApiException(VectorStoreErrors.segmentsGone(fileId)) : err))
        .map(n -> new JsonObject().put("stored", n));
    }

    Future<JsonObject> fileDone(JsonObject b) {
      String status = BusBodies.optString(b, "status");
      if (!"completed".equals(status) && !"failed".equals(status)) {
        throw BusBodies.invalid("status", "'status' must be 'completed' or 'failed'.");
      }
      return db.fileDone(tenant(b), storeId(b), fileId(b), status, BusBodies.optString(b, "error"))
        .map(v -> new JsonObject());
    }

    private static String model(JsonObject b) {
      String model = BusBodies.optString(b, "model");
      if (model == null || model.isEmpty()) {
        throw BusBodies.invalid("model", "'model' is required.");
      }
      return model;
    }
  }
}
