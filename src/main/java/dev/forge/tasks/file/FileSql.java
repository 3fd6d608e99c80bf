package dev.forge.tasks.file;

/** Every statement of the files store, in one place. Values are always {@code $n} parameters. */
final class FileSql {

  private FileSql() {
  }

  static final String COLUMNS = """
    tenant, id, seq, visible, filename, purpose, content_type, bytes, parts, md5, parse_options, status, error,
    processing_attempt, title, author, metadata, abstract, summary, keywords, language, file_type, page_count,
    segment_count, extract(epoch FROM created_at)::bigint AS created_s, extract(epoch FROM updated_at)::bigint AS updated_s""";

  static final String BEGIN = """
    INSERT INTO files (tenant, id, filename, content_type, title) VALUES ($1, $2, $3, $4, $5)
    RETURNING seq""";

  static final String PART = """
    INSERT INTO file_parts (file_seq, part_no, data)
    SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM files WHERE seq = $1 AND tenant = $4 AND NOT visible)
    ON CONFLICT (file_seq, part_no) DO UPDATE SET data = EXCLUDED.data""";

  static final String STAGED_FOR_UPDATE = "SELECT id FROM files WHERE seq = $1 AND tenant = $2 AND NOT visible FOR UPDATE";

  static final String PARTS_STORED = """
    SELECT count(*) AS n, coalesce(sum(length(data)), 0) AS total, coalesce(max(part_no), -1) AS last
    FROM file_parts WHERE file_seq = $1""";

  static final String SAME_CONTENT = "SELECT " + COLUMNS + """

    FROM files WHERE tenant = $1 AND md5 = $2 AND visible ORDER BY seq LIMIT 1""";

  static final String FINISH = """
    UPDATE files SET id = $3, purpose = $4, md5 = $5, bytes = $6, parts = $7, parse_options = $8, updated_at = now()
    WHERE seq = $1 AND tenant = $2 AND NOT visible
    RETURNING\s""" + COLUMNS;

  static final String PUBLISH = """
    UPDATE files SET visible = true, created_at = now(), updated_at = now()
    WHERE tenant = $1 AND id = $2 AND NOT visible
    RETURNING\s""" + COLUMNS;

  static final String ABORT = "DELETE FROM files WHERE seq = $1 AND tenant = $2 AND NOT visible";

  static final String ABANDONED = """
    DELETE FROM files WHERE seq IN (SELECT seq FROM files WHERE NOT visible AND created_at < now() - $1::bigint * interval '1 millisecond'
                                    ORDER BY created_at LIMIT 100)""";

  static final String GET = "SELECT " + COLUMNS + " FROM files WHERE tenant = $1 AND id = $2 AND visible";

  static final String SEQ_OF = "SELECT seq FROM files WHERE tenant = $1 AND id = $2 AND visible";

  private static final String LIST = "SELECT " + COLUMNS + """

    FROM files WHERE tenant = $1 AND visible AND ($2::text IS NULL OR purpose = $2)
      AND ($3::bigint IS NULL OR seq > $3) AND ($4::bigint IS NULL OR seq < $4)
    """;

  static final String LIST_ASC = LIST + " ORDER BY seq ASC LIMIT $5";
  static final String LIST_DESC = LIST + " ORDER BY seq DESC LIMIT $5";

  static final String DELETE = "DELETE FROM files WHERE tenant = $1 AND id = $2 AND visible RETURNING id";

  static final String UPDATE_DOCUMENT = """
    UPDATE files SET title = coalesce($3, title), author = CASE WHEN $4 THEN $5 ELSE author END,
                     metadata = coalesce($6, metadata), updated_at = now()
    WHERE tenant = $1 AND id = $2 AND visible
    RETURNING\s""" + COLUMNS;

  /** A processing task's status says the file failed (failed, cancelled or gone): record it. */
  static final String MARK_FAILED = """
    UPDATE files SET status = 'failed', error = $3, updated_at = now()
    WHERE tenant = $1 AND id = $2 AND status = 'processing'""";

  static final String SEGMENTS_PAGE = """
    SELECT idx, content, metadata FROM file_segments
    WHERE tenant = $1 AND file_id = $2 AND idx > $3 ORDER BY idx LIMIT $4""";

  // ---- file_processing ----

  /** An attempt takes the file over: newer attempts only, never a processed file. */
  static final String JOB_START = """
    UPDATE files SET processing_attempt = $3, status = 'processing', error = NULL, segment_count = 0, updated_at = now()
    WHERE tenant = $1 AND id = $2 AND processing_attempt < $3 AND status <> 'processed'
    RETURNING\s""" + COLUMNS;

  static final String ANY = "SELECT " + COLUMNS + " FROM files WHERE tenant = $1 AND id = $2";

  static final String CLEAR_SEGMENTS = "DELETE FROM file_segments WHERE tenant = $1 AND file_id = $2";

  static final String READ_PART = """
    SELECT p.data FROM file_parts p JOIN files f ON f.seq = p.file_seq
    WHERE f.tenant = $1 AND f.id = $2 AND p.part_no = $3""";

  /**
   * A batch of segments, only while attempt {@code $3} owns the file. The file row stays locked
   * (FOR KEY SHARE) until the insert commits: a concurrent delete of the file waits and then takes
   * these segments with it, or goes first and this inserts nothing (V7: no per-row foreign key).
   * A plain insert: an attempt's first write of an index, the usual case. A resend (or an index an
   * older attempt still wrote after this one took the file over) fails it with a unique violation,
   * and {@link #REPLACE_SEGMENTS} stores the batch instead.
   */
  static final String INSERT_SEGMENTS = """
    INSERT INTO file_segments (tenant, file_id, idx, content, metadata)
    SELECT $1, $2, t.i, t.c, t.m::jsonb FROM unnest($4::int[], $5::text[], $6::text[]) AS t(i, c, m)
    WHERE EXISTS (SELECT 1 FROM files WHERE tenant = $1 AND id = $2 AND processing_attempt = $3 AND status = 'processing'
                  FOR KEY SHARE)""";

  /**
   * {@link #INSERT_SEGMENTS} replacing what the indexes hold. Not the only statement: ON CONFLICT
   * checks the index before each row and inserts speculatively, which made 4,000 segments cost
   * Postgres 33–48 ms against 22–33 ms plainly (bench/results-files.md).
   */
  static final String REPLACE_SEGMENTS = INSERT_SEGMENTS + """

    ON CONFLICT (tenant, file_id, idx) DO UPDATE SET content = EXCLUDED.content, metadata = EXCLUDED.metadata""";

  static final String JOB_DONE = """
    UPDATE files SET status = 'processed', error = NULL, segment_count = $4, abstract = $5, summary = $6,
                     keywords = $7, language = $8, file_type = $9, page_count = $10, updated_at = now()
    WHERE tenant = $1 AND id = $2 AND processing_attempt = $3 AND status = 'processing'
    RETURNING seq""";

  static final String TRIM_SEGMENTS = "DELETE FROM file_segments WHERE tenant = $1 AND file_id = $2 AND idx >= $3";

  static final String JOB_FAILED = """
    UPDATE files SET status = 'failed', error = $4, updated_at = now()
    WHERE tenant = $1 AND id = $2 AND processing_attempt = $3 AND status = 'processing'""";
}
