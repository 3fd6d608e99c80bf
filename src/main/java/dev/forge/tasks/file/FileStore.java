package dev.forge.tasks.file;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.db.Keyset;
import dev.forge.tasks.db.StoreFailures;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** The statements of the files store, each one future; {@link FilesVerticle} is its only caller. */
final class FileStore {

  /** What an upload's finish made: the file, or the tenant's existing file with the same bytes. */
  record Finished(FileRow file, boolean created) {
  }

  /** A processing attempt's view of its file: the row, and whether an earlier attempt already finished it. */
  record Started(FileRow file, boolean alreadyProcessed) {
  }

  private final Pool pool;
  /** For the bulk writes (parts, segments), which a later synchronous commit makes durable: see {@link #FileStore}. */
  private final Pool bulk;
  private final Keyset keyset;

  /**
   * The store on {@code pool}, with {@code bulk} for the bulk writes: a pool whose commits do not wait
   * for their WAL flush ({@code StoreRoom.asynchronousPool}). Parts and segments
   * are each followed, before anyone relies on them, by a commit that waits (an upload's finish, an
   * attempt's done), and Postgres flushes the WAL in order, so that commit makes them durable too. A
   * crash in between loses only an upload the client never saw succeed, or segments that the rescued
   * attempt writes again.
   */
  FileStore(Pool pool, Pool bulk) {
    this.pool = pool;
    this.bulk = bulk;
    this.keyset = new Keyset(pool, FileSql.SEQ_OF, "file");
  }

  Future<Long> begin(String tenant, String id, String filename, String contentType, String title) {
    return pool.preparedQuery(FileSql.BEGIN).execute(Tuple.of(tenant, id, filename, contentType, title))
      .map(rows -> rows.iterator().next().getLong(0));
  }

  Future<Void> part(String tenant, long seq, int partNo, Buffer data) {
    return bulk.preparedQuery(FileSql.PART).execute(Tuple.of(seq, partNo, data, tenant))
      .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
        : Future.failedFuture(FileErrors.exception(FileErrors.uploadGone())));
  }

  /**
   * Checks that every part arrived, then either hands back the tenant's file with the same bytes
   * ({@code skipExists}; the staged upload is dropped) or gives the upload its final fields. The
   * file stays invisible until {@link #publish}.
   */
  Future<Finished> finish(String tenant, long seq, String id, String purpose, String md5, long bytes, int parts,
                          JsonObject parseOptions, boolean skipExists) {
    return pool.withTransaction(conn -> conn.preparedQuery(FileSql.STAGED_FOR_UPDATE).execute(Tuple.of(seq, tenant))
      .compose(staged -> staged.size() == 1 ? conn.preparedQuery(FileSql.PARTS_STORED).execute(Tuple.of(seq))
        : Future.failedFuture(FileErrors.exception(FileErrors.uploadGone())))
      .compose(stored -> {
        Row s = stored.iterator().next();
        if (s.getLong("n") != parts || s.getLong("total") != bytes || s.getInteger("last") != parts - 1) {
          return Future.failedFuture(FileErrors.exception(ApiError.storeUnavailable()));
        }
        return skipExists ? conn.preparedQuery(FileSql.SAME_CONTENT).execute(Tuple.of(tenant, md5))
          : Future.succeededFuture(null);
      })
      .compose(same -> {
        if (same != null && same.size() == 1) {
          FileRow existing = FileRow.fromRow(same.iterator().next());
          return conn.preparedQuery(FileSql.ABORT).execute(Tuple.of(seq, tenant)).map(new Finished(existing, false));
        }
        return conn.preparedQuery(FileSql.FINISH)
          .execute(Tuple.of(seq, tenant, id, purpose, md5, bytes, parts).addValue(parseOptions))
          .map(rows -> new Finished(FileRow.fromRow(rows.iterator().next()), true));
      }));
  }

  Future<FileRow> publish(String tenant, String id) {
    return one(pool.preparedQuery(FileSql.PUBLISH).execute(Tuple.of(tenant, id)), id);
  }

  Future<Void> abort(String tenant, long seq) {
    return pool.preparedQuery(FileSql.ABORT).execute(Tuple.of(seq, tenant)).mapEmpty();
  }

  /** Deletes up to 100 uploads left invisible for longer than {@code ageMs}. */
  Future<Integer> deleteAbandoned(long ageMs) {
    return pool.preparedQuery(FileSql.ABANDONED).execute(Tuple.of(ageMs)).map(RowSet::rowCount);
  }

  Future<FileRow> get(String tenant, String id) {
    return one(pool.preparedQuery(FileSql.GET).execute(Tuple.of(tenant, id)), id);
  }

  Future<Keyset.Page<FileRow>> list(String tenant, int limit, boolean ascending, String after, String before,
                                    String purpose) {
    return keyset.bounds(tenant, ascending, after, before).compose(page -> {
      Tuple args = Tuple.tuple().addString(tenant).addString(purpose).addLong(page.lower()).addLong(page.upper())
        .addInteger(limit + 1);
      return pool.preparedQuery(page.sqlAscending() ? FileSql.LIST_ASC : FileSql.LIST_DESC).execute(args).map(rows -> {
        List<FileRow> files = new ArrayList<>(rows.size());
        rows.forEach(r -> files.add(FileRow.fromRow(r)));
        return page.page(files, limit);
      });
    });
  }

  Future<Void> delete(String tenant, String id) {
    return pool.preparedQuery(FileSql.DELETE).execute(Tuple.of(tenant, id)).compose(rows -> rows.size() == 1
      ? Future.succeededFuture() : Future.failedFuture(FileErrors.exception(FileErrors.notFound(id))));
  }

  /** {@code title}/{@code metadata} null: unchanged; {@code setAuthor} false: author unchanged. */
  Future<FileRow> updateDocument(String tenant, String id, String title, boolean setAuthor, String author,
                                 JsonObject metadata) {
    return one(pool.preparedQuery(FileSql.UPDATE_DOCUMENT)
      .execute(Tuple.of(tenant, id, title, setAuthor, author).addValue(metadata)), id);
  }

  Future<Void> markFailed(String tenant, String id, String error) {
    return pool.preparedQuery(FileSql.MARK_FAILED).execute(Tuple.of(tenant, id, error)).mapEmpty();
  }

  /** Segments after index {@code after} (-1: from the start), at most {@code limit}. */
  Future<List<Row>> segments(String tenant, String id, int after, int limit) {
    return pool.preparedQuery(FileSql.SEGMENTS_PAGE).execute(Tuple.of(tenant, id, after, limit)).map(rows -> {
      List<Row> out = new ArrayList<>(rows.size());
      rows.forEach(out::add);
      return out;
    });
  }

  /**
   * Attempt {@code attempt} takes the file over and clears any segments an earlier attempt wrote,
   * in one transaction; a file that an earlier attempt finished is handed back as it is.
   */
  Future<Started> jobStart(String tenant, String id, int attempt) {
    return pool.withTransaction(conn -> conn.preparedQuery(FileSql.JOB_START).execute(Tuple.of(tenant, id, attempt))
      .compose(rows -> {
        if (rows.size() == 1) {
          FileRow row = FileRow.fromRow(rows.iterator().next());
          return conn.preparedQuery(FileSql.CLEAR_SEGMENTS).execute(Tuple.of(tenant, id)).map(new Started(row, false));
        }
        return conn.preparedQuery(FileSql.ANY).execute(Tuple.of(tenant, id)).compose(any -> {
          if (any.size() == 0) {
            return Future.failedFuture(FileErrors.exception(FileErrors.notFound(id)));
          }
          FileRow row = FileRow.fromRow(any.iterator().next());
          return "processed".equals(row.status()) ? Future.succeededFuture(new Started(row, true))
            : Future.failedFuture(FileErrors.exception(FileErrors.staleAttempt(id)));
        });
      }));
  }

  Future<Buffer> readPart(String tenant, String id, int part) {
    return pool.preparedQuery(FileSql.READ_PART).execute(Tuple.of(tenant, id, part)).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(rows.iterator().next().getBuffer(0))
      : Future.failedFuture(FileErrors.exception(FileErrors.notFound(id))));
  }

  /**
   * Stores segments of attempt {@code attempt}, replacing what their indexes held (a resend); refused
   * once a newer attempt owns the file, or it is gone.
   */
  Future<Void> insertSegments(String tenant, String id, int attempt, Integer[] indexes, String[] contents,
                              String[] metadata) {
    Tuple args = Tuple.of(tenant, id, attempt).addArrayOfInteger(indexes).addArrayOfString(contents)
      .addArrayOfString(metadata);
    return bulk.preparedQuery(FileSql.INSERT_SEGMENTS).execute(args)
      .recover(err -> StoreFailures.UNIQUE_VIOLATION.equals(StoreFailures.sqlState(err))
        ? bulk.preparedQuery(FileSql.REPLACE_SEGMENTS).execute(args) : Future.failedFuture(err))
      .compose(rows -> rows.rowCount() == indexes.length ? Future.succeededFuture() : whyRefused(tenant, id));
  }

  /** Marks the file processed with its document fields and drops segments past the final count, atomically. */
  Future<Void> jobDone(String tenant, String id, int attempt, int segmentCount, String abstractText, String summary,
                       JsonArray keywords, String language, String fileType, int pageCount) {
    Tuple args = Tuple.of(tenant, id, attempt, segmentCount, abstractText, summary).addValue(keywords)
      .addString(language).addString(fileType).addInteger(pageCount);
    return pool.withTransaction(conn -> conn.preparedQuery(FileSql.JOB_DONE).execute(args)
      .compose(rows -> rows.size() == 1 ? trim(conn, tenant, id, segmentCount) : whyRefused(tenant, id)));
  }

  private static Future<Void> trim(SqlConnection conn, String tenant, String id, int count) {
    return conn.preparedQuery(FileSql.TRIM_SEGMENTS).execute(Tuple.of(tenant, id, count)).mapEmpty();
  }

  Future<Void> jobFailed(String tenant, String id, int attempt, String error) {
    return pool.preparedQuery(FileSql.JOB_FAILED).execute(Tuple.of(tenant, id, attempt, error)).mapEmpty();
  }

  private Future<Void> whyRefused(String tenant, String id) {
    return pool.preparedQuery(FileSql.ANY).execute(Tuple.of(tenant, id)).compose(any -> Future.failedFuture(
      FileErrors.exception(any.size() == 0 ? FileErrors.notFound(id) : FileErrors.staleAttempt(id))));
  }

  private static Future<FileRow> one(Future<RowSet<Row>> query, String id) {
    return query.compose(rows -> rows.size() == 1 ? Future.succeededFuture(FileRow.fromRow(rows.iterator().next()))
      : Future.failedFuture(FileErrors.exception(FileErrors.notFound(id))));
  }
}
