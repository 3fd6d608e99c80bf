package dev.forge.tasks.vector;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.vertx.sqlclient.SqlConnection;

/** The statements of the vector store, each one future; {@link VectorStoreVerticle} is its only user. */
final class VectorStoreDb {

  /** A page of a listing. */
  record Page(List<JsonObject> stores, boolean hasMore) {
  }

  /** A job's view of its store. */
  record Pending(List<String> pending, long total, long completed, long failed, long cancelled) {
  }

  /** One completed file of a store, as search needs it. */
  record Member(String fileId, long fileSeq, String filename) {
  }

  /** A store's version and completed files, read in one statement. */
  record Snapshot(long version, List<Member> members) {
  }

  /** The text of one search hit. */
  record HitText(String content, JsonObject metadata) {
  }

  private final Pool pool;
  private final String model;

  VectorStoreDb(Pool pool, String model) {
    this.pool = pool;
    this.model = model;
  }

  Future<JsonObject> get(String tenant, String id) {
    return pool.preparedQuery(VectorSql.GET).execute(Tuple.of(tenant, id)).map(rows -> {
      if (rows.size() == 0) {
        throw new ApiException(VectorStoreErrors.notFound(id));
      }
      return storeJson(rows.iterator().next());
    });
  }

  Future<Page> list(String tenant, int limit, boolean asc, String after, String before) {
    return seqOf(tenant, after, "after").compose(afterSeq -> seqOf(tenant, before, "before").compose(beforeSeq ->
      pool.preparedQuery(asc ? VectorSql.LIST_ASC : VectorSql.LIST_DESC)
        .execute(Tuple.of(tenant, afterSeq, beforeSeq, limit + 1)).map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(storeJson(r));
          }
          boolean more = out.size() > limit;
          return new Page(more ? out.subList(0, limit) : out, more);
        })));
  }

  private Future<Long> seqOf(String tenant, String id, String param) {
    if (id == null) {
      return Future.succeededFuture(null);
    }
    return pool.preparedQuery(VectorSql.SEQ_OF).execute(Tuple.of(tenant, id)).map(rows -> {
      if (rows.size() == 0) {
        throw new ApiException(ApiError.invalidParameter(param, "'" + param + "' names no vector store."));
      }
      return rows.iterator().next().getLong(0);
    });
  }

  /** Inserts the store and its files in one transaction: an unknown file creates nothing. */
  Future<Void> create(String tenant, String id, String name, String description, JsonObject metadata,
                      JsonObject expiresAfter, List<String> fileIds) {
    return pool.withTransaction(conn -> unknownFiles(conn, tenant, fileIds, "file_ids")
      .compose(v -> conn.preparedQuery(VectorSql.INSERT_STORE).execute(Tuple.of(tenant, id, name, description,
        metadata, expiresAfter, VectorStoreIds.createTask(id))))
      .compose(inserted -> {
        if (inserted.size() == 0) {
          throw new ApiException(ApiError.conflict("id_conflict", "A vector store with id '" + ApiError.printable(id)
            + "' already exists."));
        }
        return fileIds.isEmpty() ? Future.succeededFuture()
          : conn.preparedQuery(VectorSql.JOIN).execute(Tuple.of(tenant, id, fileIds.toArray(String[]::new))).mapEmpty();
      }));
  }

  /** Undoes {@link #create} when the store's task could not be made. */
  Future<Void> delete(String tenant, String id) {
    return pool.preparedQuery(VectorSql.DELETE_STORE).execute(Tuple.of(tenant, id)).map(rows -> {
      if (rows.size() == 0) {
        throw new ApiException(VectorStoreErrors.notFound(id));
      }
      return null;
    });
  }

  /**
   * Updates the fields given (null keeps one), then removes {@code leave} and adds {@code join}, in
   * one transaction. Completes with the files joined (new, or asked again after a failure or a
   * cancel); when there are any, the store's task becomes {@code vectorize-<id>}.
   */
  Future<List<String>> update(String tenant, String id, String name, String description, boolean clearDescription,
                              JsonObject metadata, JsonObject expiresAfter, List<String> join, List<String> leave) {
    return pool.withTransaction(conn -> conn.preparedQuery(VectorSql.LOCK_STORE).execute(Tuple.of(tenant, id))
      .compose(locked -> {
        if (locked.size() == 0) {
          throw new ApiException(VectorStoreErrors.notFound(id));
        }
        return unknownFiles(conn, tenant, join, "join_file_ids");
      })
      .compose(v -> leave.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(VectorSql.LEAVE).execute(Tuple.of(tenant, id, leave.toArray(String[]::new))).mapEmpty())
      .compose(v -> join.isEmpty() ? Future.succeededFuture(List.<String>of())
        : conn.preparedQuery(VectorSql.JOIN).execute(Tuple.of(tenant, id, join.toArray(String[]::new)))
          .map(rows -> strings(rows, 0)))
      .compose(joined -> conn.preparedQuery(VectorSql.UPDATE_STORE).execute(Tuple.from(new Object[] {tenant, id, name,
        description, metadata, expiresAfter, clearDescription, joined.isEmpty() ? null : VectorStoreIds.vectorizeTask(id)}))
        .map(joined)));
  }

  private static Future<Void> unknownFiles(SqlConnection conn, String tenant, List<String> ids,
                                           String param) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(VectorSql.UNKNOWN_FILES).execute(Tuple.of(tenant, (Object) ids.toArray(String[]::new)))
      .map(rows -> {
        if (rows.size() > 0) {
          throw new ApiException(ApiError.invalidParameter(param, "No file with id '"
            + ApiError.printable(rows.iterator().next().getString(0)) + "'."));
        }
        return null;
      });
  }

  Future<JsonArray> files(String tenant, String id) {
    return get(tenant, id).compose(store -> pool.preparedQuery(VectorSql.FILES_OF_STORE).execute(Tuple.of(tenant, id))
      .map(rows -> {
        JsonArray out = new JsonArray();
        for (Row r : rows) {
          out.add(new JsonObject().put("id", r.getString("file_id")).put("object", "vector_store.file")
            .put("vector_store_id", id).put("filename", r.getString("filename")).put("status", r.getString("status"))
            .put("created_at", r.getLong("joined_at")));
        }
        return out;
      }));
  }

  Future<List<String>> storesOf(String tenant, String fileId) {
    return pool.preparedQuery(VectorSql.STORES_OF_FILE).execute(Tuple.of(tenant, fileId)).map(rows -> strings(rows, 0));
  }

  Future<Pending> pending(String tenant, String id) {
    return pool.preparedQuery(VectorSql.PENDING).execute(Tuple.of(tenant, id)).map(rows -> {
      if (rows.size() == 0) {
        throw new ApiException(VectorStoreErrors.notFound(id));
      }
      Row r = rows.iterator().next();
      return new Pending(List.of(r.getArrayOfStrings("pending")), r.getLong("total"), r.getLong("completed"),
        r.getLong("failed"), r.getLong("cancelled"));
    });
  }

  /** The indexes among {@code indexes} that have no vector of {@code model}, and the file's segment count. */
  Future<JsonObject> missing(String tenant, String fileId, String model, Integer[] indexes) {
    return pool.preparedQuery(VectorSql.MISSING).execute(Tuple.of(tenant, fileId, model, indexes))
      .compose(rows -> pool.preparedQuery(VectorSql.SEGMENT_COUNT).execute(Tuple.of(tenant, fileId))
        .map(count -> {
          JsonArray missing = new JsonArray();
          for (Row r : rows) {
            missing.add(r.getInteger(0));
          }
          return new JsonObject().put("missing", missing).put("segments", count.iterator().next().getLong(0));
        }));
  }

  Future<Integer> putVectors(String tenant, String fileId, String model, Integer[] indexes, Buffer[] vectors) {
    return pool.preparedQuery(VectorSql.INSERT_VECTORS).execute(Tuple.of(tenant, fileId, model, indexes, vectors))
      .map(RowSet::rowCount);
  }

  Future<Void> fileDone(String tenant, String storeId, String fileId, String status, String error) {
    return pool.preparedQuery(VectorSql.FILE_DONE).execute(Tuple.of(tenant, storeId, fileId, status, error))
      .mapEmpty();
  }

  /**
   * The store's version; an expired store fails (409), and a store idle for a minute is marked
   * active before the version is returned, so that whoever reads the store after its search sees
   * the search (one more write per store and minute at most).
   */
  Future<Long> version(String tenant, String id) {
    return pool.preparedQuery(VectorSql.VERSION).execute(Tuple.of(tenant, id)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new ApiException(VectorStoreErrors.notFound(id)));
      }
      Row r = rows.iterator().next();
      if (r.getBoolean("expired")) {
        return Future.failedFuture(new ApiException(Expiry.expired(id)));
      }
      long version = r.getLong("version");
      if (!r.getBoolean("stale")) {
        return Future.succeededFuture(version);
      }
      // A failed mark leaves the store as active as it was; the search goes on.
      return pool.preparedQuery(VectorSql.TOUCH).execute(Tuple.of(tenant, id)).map(version).otherwise(version);
    });
  }

  Future<Snapshot> snapshot(String tenant, String id) {
    return pool.preparedQuery(VectorSql.SNAPSHOT).execute(Tuple.of(tenant, id)).map(rows -> {
      if (rows.size() == 0) {
        throw new ApiException(VectorStoreErrors.notFound(id));
      }
      long version = 0;
      List<Member> members = new ArrayList<>();
      for (Row r : rows) {
        version = r.getLong("version");
        if (r.getString("file_id") != null && r.getLong("seq") != null) {
          members.add(new Member(r.getString("file_id"), r.getLong("seq"), r.getString("filename")));
        }
      }
      return new Snapshot(version, members);
    });
  }

  /** The completed files of the store whose metadata matches every key of {@code filters}. */
  Future<Set<String>> filtered(String tenant, String id, JsonObject filters) {
    return pool.preparedQuery(VectorSql.FILTERED).execute(Tuple.of(tenant, id, filters))
      .map(rows -> new HashSet<>(strings(rows, 0)));
  }

  /** A page of a file's vectors after index {@code after}: parallel lists of indexes and raw vectors. */
  Future<RowSet<Row>> vectors(String tenant, String fileId, int after, int limit) {
    return pool.preparedQuery(VectorSql.VECTORS).execute(Tuple.of(tenant, fileId, model, after, limit));
  }

  /** The texts of hits, keyed by {@code fileId + "\u0000" + index}; a hit whose segment is gone is absent. */
  Future<Map<String, HitText>> hitTexts(String tenant, String[] fileIds, Integer[] indexes) {
    return pool.preparedQuery(VectorSql.HIT_TEXTS).execute(Tuple.of(tenant, fileIds, indexes)).map(rows -> {
      Map<String, HitText> out = new LinkedHashMap<>();
      for (Row r : rows) {
        Object meta = r.getValue("metadata");
        out.put(r.getString("file_id") + "\u0000" + r.getInteger("idx"),
          new HitText(r.getString("content"), meta instanceof JsonObject j ? j : new JsonObject()));
      }
      return out;
    });
  }

  /** (filename, text) of up to 200 completed files, in join order. */
  Future<List<String[]>> summarySources(String tenant, String id) {
    return get(tenant, id).compose(store -> pool.preparedQuery(VectorSql.SUMMARY_SOURCES).execute(Tuple.of(tenant, id))
      .map(rows -> {
        List<String[]> out = new ArrayList<>();
        for (Row r : rows) {
          out.add(new String[] {r.getString("filename"), r.getString("text") == null ? "" : r.getString("text")});
        }
        return out;
      }));
  }

  /** Stores with members in progress: {tenant, id, task_id} each. */
  Future<List<String[]>> storesInProgress() {
    return pool.query(VectorSql.STORES_IN_PROGRESS).execute().map(rows -> {
      List<String[]> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(new String[] {r.getString("tenant"), r.getString("id"), r.getString("task_id")});
      }
      return out;
    });
  }

  /** The store's task id when it still has members in progress, else {@code null}. */
  Future<String> storeInProgress(String tenant, String id) {
    return pool.preparedQuery(VectorSql.STORE_IN_PROGRESS).execute(Tuple.of(tenant, id))
      .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("task_id"));
  }

  /** Ends the members joined before the second after {@code endedAtSecond} with {@code status}. */
  Future<Integer> cancelMembers(String tenant, String id, long endedAtSecond, String status, String error) {
    return pool.preparedQuery(VectorSql.END_MEMBERS).execute(Tuple.of(tenant, id, endedAtSecond + 1, status, error))
      .map(RowSet::rowCount);
  }

  /** A store's {@code file_counts}, as the row counts them. */
  private record FileCounts(long inProgress, long completed, long failed, long cancelled) {

    static FileCounts of(Row r) {
      return new FileCounts(r.getLong("in_progress"), r.getLong("completed"), r.getLong("failed"), r.getLong("cancelled"));
    }

    JsonObject toJson() {
      return new JsonObject().put("in_progress", inProgress).put("completed", completed).put("failed", failed)
        .put("cancelled", cancelled).put("total", inProgress + completed + failed + cancelled);
    }
  }

  private JsonObject storeJson(Row r) {
    FileCounts counts = FileCounts.of(r);
    Object metadata = r.getValue("metadata");
    Object expires = r.getValue("expires_after");
    return new JsonObject()
      .put("id", r.getString("id"))
      .put("object", "vector_store")
      .put("name", r.getString("name"))
      .put("description", r.getString("description"))
      .put("created_at", r.getLong("created_at"))
      .put("updated_at", r.getLong("updated_at"))
      .put("metadata", metadata instanceof JsonObject m ? m : new JsonObject())
      .put("expires_after", expires instanceof JsonObject e ? e : null)
      .put("expires_at", r.getLong("expires_at"))
      .put("last_active_at", r.getLong("last_active_at"))
      .put("file_ids", new JsonArray(List.of(r.getArrayOfStrings("file_ids"))))
      .put("file_counts", counts.toJson())
      .put("bytes", r.getLong("bytes"))
      .put("usage_bytes", r.getLong("bytes"))
      .put("status", r.getBoolean("expired") ? "expired" : counts.inProgress() > 0 ? "in_progress" : "completed")
      .put("embedding_model", model)
      .put("task_id", r.getString("task_id"));
  }

  private static List<String> strings(RowSet<Row> rows, int column) {
    List<String> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(r.getString(column));
    }
    return out;
  }
}
