package dev.forge.tasks.vector;

/** Every statement of the vector store, in one place. Values always travel as {@code $n} parameters. */
final class VectorSql {

  private VectorSql() {
  }

  /** The columns of a store object: the row, its members' ids in join order, their counts and bytes. */
  private static final String STORE_COLUMNS = """
    SELECT s.id, s.name, s.description, s.metadata, s.expires_after, s.task_id, s.seq,
           extract(epoch FROM s.created_at)::bigint AS created_at,
           extract(epoch FROM s.updated_at)::bigint AS updated_at,
           extract(epoch FROM s.last_active_at)::bigint AS last_active_at,
           extract(epoch FROM s.last_active_at + make_interval(days => (s.expires_after ->> 'days')::int))::bigint
             AS expires_at,
           coalesce(s.last_active_at + make_interval(days => (s.expires_after ->> 'days')::int) <= now(), false)
             AS expired,
           coalesce(m.file_ids, '{}') AS file_ids, coalesce(m.in_progress, 0) AS in_progress,
           coalesce(m.completed, 0) AS completed, coalesce(m.failed, 0) AS failed,
           coalesce(m.cancelled, 0) AS cancelled, coalesce(m.bytes, 0) AS bytes
      FROM vector_stores s
      LEFT JOIN LATERAL (
        SELECT array_agg(vf.file_id ORDER BY vf.seq) AS file_ids,
               count(*) FILTER (WHERE vf.status = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE vf.status = 'completed') AS completed,
               count(*) FILTER (WHERE vf.status = 'failed') AS failed,
               count(*) FILTER (WHERE vf.status = 'cancelled') AS cancelled,
               sum(f.bytes)::bigint AS bytes
          FROM vector_store_files vf JOIN files f ON f.tenant = vf.tenant AND f.id = vf.file_id
         WHERE vf.tenant = s.tenant AND vf.store_id = s.id) m ON true
    """;

  /** One statement, so the counts always add up to the total ({@code file_counts} true at every moment). */
  static final String GET = STORE_COLUMNS + " WHERE s.tenant = $1 AND s.id = $2";

  /** $1 tenant, $2 after-seq or null, $3 before-seq or null, $4 limit + 1. */
  static final String LIST_DESC = STORE_COLUMNS + """
     WHERE s.tenant = $1 AND ($2::bigint IS NULL OR s.seq < $2) AND ($3::bigint IS NULL OR s.seq > $3)
     ORDER BY s.seq DESC LIMIT $4""";

  static final String LIST_ASC = STORE_COLUMNS + """
     WHERE s.tenant = $1 AND ($2::bigint IS NULL OR s.seq > $2) AND ($3::bigint IS NULL OR s.seq < $3)
     ORDER BY s.seq ASC LIMIT $4""";

  static final String SEQ_OF = "SELECT seq FROM vector_stores WHERE tenant = $1 AND id = $2";

  /** The given ids that name no visible file of the tenant. */
  static final String UNKNOWN_FILES = """
    SELECT given.id FROM unnest($2::text[]) AS given(id)
     WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.tenant = $1 AND f.id = given.id AND f.visible)""";

  static final String INSERT_STORE = """
    INSERT INTO vector_stores (tenant, id, name, description, metadata, expires_after, task_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id""";

  /**
   * Joins files in the order given. A file already in the store stays as it is, unless its
   * vectorization failed or was cancelled: a join asks for it again. Returns the rows joined.
   */
  static final String JOIN = """
    INSERT INTO vector_store_files (tenant, store_id, file_id)
    SELECT $1, $2, given.id FROM unnest($3::text[]) WITH ORDINALITY AS given(id, n) ORDER BY given.n
    ON CONFLICT (tenant, store_id, file_id) DO UPDATE SET status = 'in_progress', error = NULL, joined_at = now()
      WHERE vector_store_files.status IN ('failed', 'cancelled')
    RETURNING file_id""";

  static final String LEAVE = """
    DELETE FROM vector_store_files WHERE tenant = $1 AND store_id = $2 AND file_id = ANY($3::text[])""";

  static final String LOCK_STORE = "SELECT id FROM vector_stores WHERE tenant = $1 AND id = $2 FOR UPDATE";

  /** $3..$6: each null keeps the field; $7 true clears the description; $8 the new task id or null. */
  static final String UPDATE_STORE = """
    UPDATE vector_stores SET name = coalesce($3, name),
           description = CASE WHEN $7 THEN NULL ELSE coalesce($4, description) END,
           metadata = coalesce($5, metadata), expires_after = coalesce($6, expires_after),
           task_id = coalesce($8, task_id), updated_at = now(), last_active_at = now()
     WHERE tenant = $1 AND id = $2""";

  static final String DELETE_STORE = "DELETE FROM vector_stores WHERE tenant = $1 AND id = $2 RETURNING id";

  static final String FILES_OF_STORE = """
    SELECT vf.file_id, f.filename, vf.status, extract(epoch FROM vf.joined_at)::bigint AS joined_at
      FROM vector_store_files vf JOIN files f ON f.tenant = vf.tenant AND f.id = vf.file_id
     WHERE vf.tenant = $1 AND vf.store_id = $2 ORDER BY vf.seq""";

  static final String STORES_OF_FILE = """
    SELECT store_id FROM vector_store_files WHERE tenant = $1 AND file_id = $2 ORDER BY seq""";

  /** A job's view: the store's members in progress, and its counts; no row when the store is gone. */
  static final String PENDING = """
    SELECT coalesce(array_agg(vf.file_id ORDER BY vf.seq) FILTER (WHERE vf.status = 'in_progress'), '{}') AS pending,
           count(vf.file_id) AS total,
           count(*) FILTER (WHERE vf.status = 'completed') AS completed,
           count(*) FILTER (WHERE vf.status = 'failed') AS failed,
           count(*) FILTER (WHERE vf.status = 'cancelled') AS cancelled
      FROM vector_stores s LEFT JOIN vector_store_files vf ON vf.tenant = s.tenant AND vf.store_id = s.id
     WHERE s.tenant = $1 AND s.id = $2 GROUP BY s.tenant, s.id""";

  static final String MISSING = """
    SELECT i FROM unnest($4::int[]) AS given(i)
     WHERE NOT EXISTS (SELECT 1 FROM segment_vectors v
                        WHERE v.tenant = $1 AND v.file_id = $2 AND v.model = $3 AND v.idx = given.i)
     ORDER BY i""";

  static final String SEGMENT_COUNT = "SELECT count(*) FROM file_segments WHERE tenant = $1 AND file_id = $2";

  static final String INSERT_VECTORS = """
    INSERT INTO segment_vectors (tenant, file_id, model, idx, vector)
    SELECT $1, $2, $3, v.idx, v.vector FROM unnest($4::int[], $5::bytea[]) AS v(idx, vector)
    ON CONFLICT DO NOTHING""";

  static final String FILE_DONE = """
    UPDATE vector_store_files SET status = $4, error = $5
     WHERE tenant = $1 AND store_id = $2 AND file_id = $3 AND status = 'in_progress'""";

  /** The store's version and its completed files, in one statement (one snapshot). */
  static final String SNAPSHOT = """
    SELECT s.version, vf.file_id, f.seq, f.filename
      FROM vector_stores s
      LEFT JOIN vector_store_files vf ON vf.tenant = s.tenant AND vf.store_id = s.id AND vf.status = 'completed'
      LEFT JOIN files f ON f.tenant = vf.tenant AND f.id = vf.file_id
     WHERE s.tenant = $1 AND s.id = $2
     ORDER BY vf.seq""";

  /**
   * The store's version, whether it has expired, and whether its {@code last_active_at} is older than
   * {@link Expiry#TOUCH_AFTER_SECONDS} (a search then raises it: {@link #TOUCH}).
   */
  static final String VERSION = """
    SELECT version,
           coalesce(last_active_at + make_interval(days => (expires_after ->> 'days')::int) <= now(), false) AS expired,
           last_active_at < now() - interval '1 second' * %d AS stale
      FROM vector_stores WHERE tenant = $1 AND id = $2""".formatted(Expiry.TOUCH_AFTER_SECONDS);

  /** A search marks the store active (expires_after counts from then); the version stays. */
  static final String TOUCH = """
    UPDATE vector_stores SET last_active_at = now()
     WHERE tenant = $1 AND id = $2 AND last_active_at < now()
       AND NOT coalesce(last_active_at + make_interval(days => (expires_after ->> 'days')::int) <= now(), false)""";

  /** The completed files whose metadata has every key of $3 with an equal value. */
  static final String FILTERED = """
    SELECT vf.file_id
      FROM vector_store_files vf JOIN files f ON f.tenant = vf.tenant AND f.id = vf.file_id
     WHERE vf.tenant = $1 AND vf.store_id = $2 AND vf.status = 'completed'
       AND NOT EXISTS (SELECT 1 FROM jsonb_each($3::jsonb) AS w(key, value)
                        WHERE f.metadata -> w.key IS DISTINCT FROM w.value)""";

  /** A page of a file's vectors: $4 the last index read (-1 first), $5 the page size. */
  static final String VECTORS = """
    SELECT idx, vector FROM segment_vectors
     WHERE tenant = $1 AND file_id = $2 AND model = $3 AND idx > $4 ORDER BY idx LIMIT $5""";

  /** The texts of search hits, by (file id, index) pairs: one primary-key lookup per hit. */
  static final String HIT_TEXTS = """
    SELECT s.file_id, s.idx, s.content, s.metadata
      FROM unnest($2::text[], $3::int[]) AS h(file_id, idx)
      JOIN LATERAL (SELECT * FROM file_segments f
                     WHERE f.tenant = $1 AND f.file_id = h.file_id AND f.idx = h.idx) s ON true""";

  /** What a summary is made of: each completed file's summary, or else its first segments. */
  static final String SUMMARY_SOURCES = """
    SELECT f.filename,
           CASE WHEN f.summary <> '' THEN f.summary ELSE
             (SELECT string_agg(x.content, E'\\n\\n' ORDER BY x.idx)
                FROM (SELECT content, idx FROM file_segments
                       WHERE tenant = f.tenant AND file_id = f.id ORDER BY idx LIMIT 3) x) END AS text
      FROM vector_store_files vf JOIN files f ON f.tenant = vf.tenant AND f.id = vf.file_id
     WHERE vf.tenant = $1 AND vf.store_id = $2 AND vf.status = 'completed'
     ORDER BY vf.seq LIMIT 200""";

  /** Stores with members in progress, and their latest task: the sweeper's work list. */
  static final String STORES_IN_PROGRESS = """
    SELECT s.tenant, s.id, s.task_id
      FROM (SELECT DISTINCT tenant, store_id FROM vector_store_files WHERE status = 'in_progress' LIMIT 500) p
      JOIN vector_stores s ON s.tenant = p.tenant AND s.id = p.store_id""";

  /** The store's task when the store {@code ($1, $2)} still has members in progress (no row otherwise). */
  static final String STORE_IN_PROGRESS = """
    SELECT s.task_id FROM vector_stores s
     WHERE s.tenant = $1 AND s.id = $2
       AND EXISTS (SELECT 1 FROM vector_store_files f
                    WHERE f.tenant = s.tenant AND f.store_id = s.id AND f.status = 'in_progress')""";

  /**
   * Members whose task was cancelled or failed ($4 the status they get, $5 the reason): those
   * joined before the end of the second the task ended in ($3).
   */
  static final String END_MEMBERS = """
    UPDATE vector_store_files SET status = $4, error = $5
     WHERE tenant = $1 AND store_id = $2 AND status = 'in_progress' AND joined_at < to_timestamp($3::bigint)""";
}
