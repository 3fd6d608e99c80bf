package dev.forge.tasks.webhook;

/**
 * The webhook outbox as the statements that end a task write it: the one piece of the webhook
 * tables that another store writes, on purpose (the outbox pattern). A task's ending and its
 * deliveries must commit together, so the tasks store's own statement inserts them; everything else
 * about a delivery (claims, attempts, results, listing) stays with {@link WebhookStoreVerticle}.
 *
 * <p>Written by the statement itself rather than by a row trigger on {@code tasks}: the same insert
 * run through a plpgsql trigger cost a completion more than twice as much in Postgres (+64 against
 * +28 µs per completion, bench/webhooks/outbox/run; bench/results-webhooks.md). Changes that do not
 * end a task still reach {@code task.updated} subscribers through the V4 trigger (switched by V8).
 */
public final class Outbox {

  private Outbox() {
  }

  /**
   * A new delivery's id, its {@code webhook-id}: {@code msg_}, 14 hex digits of the creation's
   * microseconds since the epoch (ids rise with time, so the primary key grows at its right edge and
   * retention deletes a range), then 18 random hex digits. V10's {@code webhook_outbox()} makes the
   * same ids for {@code task.updated}.
   */
  private static final String MESSAGE_ID = """
      'msg_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0')
        || substr(replace(gen_random_uuid()::text, '-', ''), 1, 18)""";

  /** The columns of a changed task row that its deliveries read. */
  public static final String READS = "tenant, id, type, status, progress, data, failure_reason, created_at, updated_at";

  /**
   * {@code change}, an {@code UPDATE tasks} without a {@code RETURNING} clause, made into a
   * statement that returns {@code columns} of the rows it changed (computed from {@code returning},
   * the changed rows' columns, which must include {@link #READS}) and, for each row it left
   * {@code completed}, {@code failed} or {@code cancelled}, writes one delivery of
   * {@code task.<status>} to every enabled endpoint of the task's tenant subscribed to that event
   * and type. The change must be one that only ends tasks that had not ended (its {@code WHERE}
   * requires {@code pending} or {@code in_progress}): every terminal row it returns is an ending.
   * The payload is the Trace as the API shows it, as {@code json} text printed once (V9).
   */
  public static String endings(String change, String returning, String columns) {
    return "WITH t AS (" + change.strip() + "\n  RETURNING " + returning + "),\n" + """
        o AS (
          INSERT INTO webhook_deliveries (id, tenant, endpoint_id, event, task_id, payload)
          SELECT %s,
                 e.tenant, e.id, 'task.' || t.status, t.id,
                 json_build_object('id', t.id, 'object', 'task', 'type', t.type, 'status', t.status,
                   'progress', t.progress, 'data', t.data,
                   'created_at', floor(extract(epoch FROM t.created_at))::bigint,
                   'updated_at', floor(extract(epoch FROM t.updated_at))::bigint,
                   'failure_reason', t.failure_reason)
          FROM t JOIN webhook_endpoints e ON e.tenant = t.tenant AND e.enabled
            AND ('task.' || t.status) = ANY (e.events) AND (e.types IS NULL OR t.type = ANY (e.types))
          WHERE t.status IN ('completed', 'failed', 'cancelled'))
        SELECT\s""".formatted(MESSAGE_ID) + columns + " FROM t";
  }
}
