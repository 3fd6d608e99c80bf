package dev.forge.tasks.task;

import dev.forge.tasks.webhook.Outbox;

/**
 * Every statement the store runs. Values are always bound as {@code $n}, never spliced in. The
 * statements that end a task also write its webhook outbox rows ({@link Outbox}), in the same
 * statement and so the same transaction; no other statement here can end a task.
 */
final class TaskSql {

  private TaskSql() {
  }

  private static final String C = Trace.COLUMNS;

  /** What a statement that may end a task keeps of the rows it changed: what {@link #C} and its deliveries read. */
  private static final String ENDED = Outbox.READS + ", seq, version";

  /** $1 tenant, $2 id, $3 type, $4 data, $5 input, $6 max_attempts. */
  static final String INSERT = """
      INSERT INTO tasks (tenant, id, type, data, input, max_attempts)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (tenant, id) DO NOTHING
      RETURNING\s""" + C;

  /**
   * Several creates in one statement (one commit): $1 tenants, $2 ids, $3 types, $4 data, $5 inputs
   * (elements may be null), $6 max_attempts, one element per task, no (tenant, id) twice. Rows are
   * inserted in array order, so {@code seq} keeps the order of the requests. An id that already
   * exists returns no row.
   */
  static final String INSERT_MANY = """
      INSERT INTO tasks (tenant, id, type, data, input, max_attempts)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::int[])
      ON CONFLICT (tenant, id) DO NOTHING
      RETURNING\s""" + C;

  /** $1 tenant, $2 id. */
  static final String GET = "SELECT " + C + " FROM tasks WHERE tenant = $1 AND id = $2";

  static final String COUNT_PENDING = "SELECT count(*) FROM tasks WHERE status = 'pending'";

  /** $1 this node's application name, $2 the pattern of every node's (see {@code TasksNode}). Other nodes' sessions on this database. */
  static final String OTHER_NODES = """
      SELECT count(DISTINCT application_name) FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE $2 AND application_name <> $1""";

  /** $1 tenant, $2 id. */
  static final String SEQ_OF = "SELECT seq FROM tasks WHERE tenant = $1 AND id = $2";

  /** $1 tenant, $2 statuses or null, $3 type or null, $4 lower seq bound (exclusive) or null, $5 upper or null, $6 limit. */
  private static final String LIST = """
      SELECT %s FROM tasks
      WHERE tenant = $1
        AND ($2::text[] IS NULL OR status = ANY($2::text[]))
        AND ($3::text IS NULL OR type = $3::text)
        AND ($4::bigint IS NULL OR seq > $4::bigint)
        AND ($5::bigint IS NULL OR seq < $5::bigint)
      ORDER BY seq %s
      LIMIT $6""";

  static final String LIST_ASC = LIST.formatted(C, "ASC");
  static final String LIST_DESC = LIST.formatted(C, "DESC");

  /** $1 tenant, $2 id. Writes the cancellation's webhook deliveries ({@link Outbox}). */
  static final String CANCEL = Outbox.endings("""
      UPDATE tasks SET status = 'cancelled', failure_reason = 'Cancelled by request.',
        version = version + 1, updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE tenant = $1 AND id = $2 AND status IN ('pending', 'in_progress')""", ENDED, C);

  /** $1 tenant, $2 id. */
  static final String DELETE = """
      DELETE FROM tasks
      WHERE tenant = $1 AND id = $2 AND status IN ('completed', 'failed', 'cancelled')
      RETURNING\s""" + C;

  /**
   * $1 types, $2 limit, $3 worker, $4 lease ms. The oldest due pending tasks of the types. Each type
   * is read on its own, in the order of {@code tasks_claimable}, so that a claim reads at most
   * {@code limit} rows per type: with {@code type = ANY($1)} Postgres reads and sorts the whole
   * backlog on every claim (measured: 6.5 ms for a claim of 100 behind 11,774 pending tasks,
   * against 0.8 ms; BENCHMARKS.md).
   */
  static final String CLAIM = """
      UPDATE tasks t SET status = 'in_progress', attempt = t.attempt + 1, progress = 0,
        lease_owner = $3, lease_expires_at = now() + $4::double precision * interval '1 millisecond',
        version = t.version + 1, updated_at = now()
      FROM (SELECT p.tenant, p.id
            FROM unnest($1::text[]) AS k(type)
            CROSS JOIN LATERAL (SELECT tenant, id, run_after, seq FROM tasks
                                WHERE status = 'pending' AND type = k.type AND run_after <= now()
                                ORDER BY run_after, seq
                                LIMIT $2
                                FOR UPDATE SKIP LOCKED) p
            ORDER BY p.run_after, p.seq
            LIMIT $2) c
      WHERE t.tenant = c.tenant AND t.id = c.id
      RETURNING t.attempt, t.input,\s""" + Trace.columns("t.");

  /** $1 tenant, $2 id, $3 attempt, $4 progress or null, $5 data patch, $6 lease ms. */
  static final String PROGRESS = """
      UPDATE tasks SET progress = GREATEST(progress, COALESCE($4::double precision, progress)),
        data = data || ($5::jsonb - 'operation'),
        version = version + 1, updated_at = now(),
        lease_expires_at = now() + $6::double precision * interval '1 millisecond'
      WHERE tenant = $1 AND id = $2 AND attempt = $3 AND status = 'in_progress'
      RETURNING\s""" + C;

  /** $1 tenant, $2 id, $3 attempt, $4 lease ms. Renews the lease without changing the task. */
  static final String HEARTBEAT = """
      UPDATE tasks SET lease_expires_at = now() + $4::double precision * interval '1 millisecond'
      WHERE tenant = $1 AND id = $2 AND attempt = $3 AND status = 'in_progress'
      RETURNING id""";

  /** $1 tenant, $2 id. What a refused job report is told. */
  static final String STATE = "SELECT status, attempt FROM tasks WHERE tenant = $1 AND id = $2";

  /** $1 tenant, $2 id, $3 attempt, $4 data patch. Writes the completion's webhook deliveries ({@link Outbox}). */
  static final String COMPLETE = Outbox.endings("""
      UPDATE tasks SET status = 'completed', progress = 1, data = data || ($4::jsonb - 'operation'),
        failure_reason = NULL, version = version + 1, updated_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE tenant = $1 AND id = $2 AND attempt = $3 AND status = 'in_progress'""", ENDED, C);

  private static final String RETRY_AT =
    "now() + least(300000, $B::double precision * power(2, attempt - 1)) * (0.75 + random() * 0.5)"
      + " * interval '1 millisecond'";

  /**
   * $1 tenant, $2 id, $3 attempt, $4 reason, $5 retryable, $6 retry base ms. A failure that ends the
   * task writes its webhook deliveries ({@link Outbox}); one that retries writes none.
   */
  static final String FAIL = Outbox.endings("""
      UPDATE tasks SET
        status = CASE WHEN $5 AND attempt < max_attempts THEN 'pending' ELSE 'failed' END,
        failure_reason = CASE WHEN $5 AND attempt < max_attempts THEN NULL ELSE $4 END,
        run_after = %s,
        version = version + 1, updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE tenant = $1 AND id = $2 AND attempt = $3 AND status = 'in_progress'""".formatted(RETRY_AT.replace("$B", "$6")),
    ENDED, C);

  /**
   * $1 limit, $2 retry base ms. Hands back tasks whose worker stopped renewing its lease, the
   * longest expired first. Read in index order, so that the scan stops at the limit and marks the
   * entries of rows it finds dead, rather than visiting every expired entry since the last vacuum on
   * each pass. A task that used its last attempt fails, with its webhook deliveries ({@link Outbox}).
   */
  static final String RESCUE = Outbox.endings("""
      UPDATE tasks SET
        status = CASE WHEN attempt < max_attempts THEN 'pending' ELSE 'failed' END,
        failure_reason = CASE WHEN attempt < max_attempts THEN NULL
          ELSE 'The worker running this task was lost (attempt ' || attempt || ' of ' || max_attempts || ').' END,
        run_after = %s,
        version = version + 1, updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE (tenant, id) IN (SELECT tenant, id FROM tasks
                             WHERE status = 'in_progress' AND lease_expires_at < now()
                             ORDER BY lease_expires_at
                             LIMIT $1 FOR UPDATE SKIP LOCKED)""".formatted(RETRY_AT.replace("$B", "$2")),
    ENDED, C);

  /** $1 status, $2 age in seconds, $3 batch size. Deletes one batch of old terminal tasks. */
  static final String EXPIRE = """
      DELETE FROM tasks
      WHERE (tenant, id) IN (SELECT tenant, id FROM tasks
                             WHERE status = $1 AND updated_at < now() - $2::double precision * interval '1 second'
                             LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING\s""" + C;

  /**
   * $1 worker. Hands back at once the leases of a worker that is shutting down; the hand-back does
   * not use up one of the task's attempts.
   */
  static final String RELEASE = """
      UPDATE tasks SET status = 'pending', run_after = now(), max_attempts = max_attempts + 1,
        version = version + 1, updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE lease_owner = $1 AND status = 'in_progress'
      RETURNING\s""" + C;
}
