package dev.forge.tasks.webhook;

/** Every statement of the webhooks store. Values are always bound as {@code $n}, never spliced in. */
final class WebhookSql {

  private WebhookSql() {
  }

  /** The columns of an endpoint, named as its JSON fields (times in Unix seconds); see {@code WebhookRows}. */
  private static final String ENDPOINT = """
      id, url, events, types, description, enabled, disabled_reason,
      floor(extract(epoch FROM created_at))::bigint AS created_at,
      floor(extract(epoch FROM updated_at))::bigint AS updated_at""";

  /** The columns of a delivery, named as its JSON fields (times in Unix seconds). */
  static final String DELIVERY = """
      id, endpoint_id, event, task_id, status, attempts, last_status_code, last_error,
      floor(extract(epoch FROM last_attempt_at))::bigint AS last_attempt_at,
      floor(extract(epoch FROM next_attempt_at))::bigint AS next_attempt_at,
      floor(extract(epoch FROM delivered_at))::bigint AS delivered_at,
      floor(extract(epoch FROM created_at))::bigint AS created_at""";

  /** $1 tenant, $2 id, $3 url, $4 events, $5 types or null, $6 description or null, $7 secret. */
  static final String INSERT = """
      INSERT INTO webhook_endpoints (tenant, id, url, events, types, description, secret)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      RETURNING\s""" + ENDPOINT;

  /** $1 tenant. */
  static final String LIST = "SELECT " + ENDPOINT + " FROM webhook_endpoints WHERE tenant = $1 ORDER BY created_at, id";

  /** $1 tenant, $2 id. */
  static final String GET = "SELECT " + ENDPOINT + " FROM webhook_endpoints WHERE tenant = $1 AND id = $2";

  /**
   * $1 tenant, $2 id, $3 url or null, $4 events or null, $5 types (when $6), $6 whether types is set,
   * $7 description (when $8), $8 whether description is set, $9 enabled or null, $10 new secret or
   * null, $11 overlap ms of the old secret. Enabling clears the failure record.
   */
  static final String UPDATE = """
      UPDATE webhook_endpoints SET
        url = COALESCE($3, url), events = COALESCE($4, events),
        types = CASE WHEN $6 THEN $5 ELSE types END,
        description = CASE WHEN $8 THEN $7 ELSE description END,
        enabled = COALESCE($9, enabled),
        disabled_reason = CASE WHEN $9 IS NULL THEN disabled_reason WHEN $9 THEN NULL ELSE 'Disabled by request.' END,
        failing_since = CASE WHEN $9 THEN NULL ELSE failing_since END,
        old_secret = CASE WHEN $10::text IS NULL THEN old_secret ELSE secret END,
        old_secret_expires_at = CASE WHEN $10::text IS NULL THEN old_secret_expires_at
          ELSE now() + $11::double precision * interval '1 millisecond' END,
        secret = COALESCE($10, secret),
        updated_at = now()
      WHERE tenant = $1 AND id = $2
      RETURNING\s""" + ENDPOINT;

  /** $1 tenant, $2 id. The endpoint and its deliveries. */
  static final String DELETE = """
      WITH gone AS (DELETE FROM webhook_deliveries WHERE tenant = $1 AND endpoint_id = $2)
      DELETE FROM webhook_endpoints WHERE tenant = $1 AND id = $2 RETURNING id""";

  /** $1 tenant, $2 endpoint, $3 reason. Fails the pending deliveries of an endpoint just disabled. */
  static final String FAIL_PENDING = """
      UPDATE webhook_deliveries SET status = 'failed', last_error = $3, lease_owner = NULL, lease_until = NULL
      WHERE tenant = $1 AND endpoint_id = $2 AND status = 'pending'""";

  /** $1 tenant, $2 endpoint, $3 seq bound (exclusive) or null, $4 limit. Newest first. */
  static final String DELIVERIES = "SELECT " + DELIVERY + """
       FROM webhook_deliveries
      WHERE tenant = $1 AND endpoint_id = $2 AND ($3::bigint IS NULL OR seq < $3::bigint)
      ORDER BY seq DESC LIMIT $4""";

  /** $1 tenant, $2 endpoint, $3 delivery. */
  static final String SEQ_OF = "SELECT seq FROM webhook_deliveries WHERE tenant = $1 AND endpoint_id = $2 AND id = $3";

  /** $1 tenant, $2 endpoint, $3 delivery. Due now, once more (one attempt when older than the retry window). */
  static final String RETRY = """
      UPDATE webhook_deliveries SET next_attempt_at = now(), lease_owner = NULL, lease_until = NULL,
        status = 'pending'
      WHERE tenant = $1 AND endpoint_id = $2 AND id = $3
        AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.tenant = $1 AND e.id = $2 AND e.enabled)
      RETURNING\s""" + DELIVERY;

  /**
   * $1 limit, $2 worker, $3 lease ms, $4 lookback ms or null (no bound). The longest due deliveries
   * of enabled endpoints, leased: held by {@code lease_until}, a column no index covers (the claim is
   * a HOT update), and due again when the lease ends, so that another sender redoes what a lost one
   * was sending. Only deliveries due at most $4 ms ago are looked at: the index of due deliveries
   * keeps an entry for every delivery that succeeded since the table's last vacuum, all of them
   * older than what is pending, and a scan from its start would step over each one (see
   * {@code DeliveryLedger}). The body is made here, as text (the node neither parses the stored
   * Trace nor writes it again); its timestamp is the delivery's creation time, so every attempt sends
   * the same bytes.
   */
  static final String CLAIM = """
      UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease_owner = $2, last_attempt_at = now(),
        lease_until = now() + $3::double precision * interval '1 millisecond'
      FROM (SELECT x.id FROM webhook_deliveries x
            JOIN webhook_endpoints e ON e.tenant = x.tenant AND e.id = x.endpoint_id AND e.enabled
            WHERE x.status = 'pending' AND x.next_attempt_at <= now()
              AND x.next_attempt_at >= COALESCE(now() - $4::double precision * interval '1 millisecond', '-infinity')
              AND (x.lease_until IS NULL OR x.lease_until <= now())
            ORDER BY x.next_attempt_at
            LIMIT $1 FOR UPDATE OF x SKIP LOCKED) c, webhook_endpoints e
      WHERE d.id = c.id AND e.tenant = d.tenant AND e.id = d.endpoint_id
      RETURNING d.id, d.tenant, d.endpoint_id, d.event, d.task_id, d.attempts AS attempt,
        '{"type":' || to_json(d.event)::text || ',"timestamp":"'
          || to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '","data":' || d.payload::text
          || '}' AS body,
        e.url, e.secret, CASE WHEN e.old_secret_expires_at > now() THEN e.old_secret END AS old_secret""";

  /**
   * $1 deliveries, $2 their attempts, $3 their status codes (arrays of one length). Ends every
   * delivery still held by that attempt, in one statement and one commit; their endpoints are
   * healthy again (each written at most once a second while it stays healthy).
   */
  static final String SUCCEEDED = """
      WITH d AS (
        UPDATE webhook_deliveries w SET status = 'succeeded', delivered_at = now(), last_status_code = r.code,
          last_error = NULL, lease_owner = NULL, lease_until = NULL
        FROM unnest($1::text[], $2::int[], $3::int[]) AS r(id, attempt, code)
        WHERE w.id = r.id AND w.attempts = r.attempt AND w.status = 'pending'
        RETURNING w.tenant, w.endpoint_id)
      UPDATE webhook_endpoints e SET failing_since = NULL, succeeded_at = now()
      FROM (SELECT DISTINCT tenant, endpoint_id FROM d) s WHERE e.tenant = s.tenant AND e.id = s.endpoint_id
        AND (e.failing_since IS NOT NULL OR e.succeeded_at IS NULL OR e.succeeded_at < now() - interval '1 second')""";

  /**
   * $1 delivery, $2 attempt, $3 status code or null, $4 error, $5 retry window ms, $6 backoff base ms.
   * Due again after base * 2^(attempt-1) (at most an hour), times 0.75-1.25 at random; failed once
   * older than the window. The endpoint is failing since the creation of the oldest delivery that
   * failed after its last success; returns it as exhausted when a delivery just ran out of its window
   * and the endpoint has been failing for the whole window: the caller disables it.
   */
  static final String FAILED = """
      WITH d AS (
        UPDATE webhook_deliveries SET
          status = CASE WHEN created_at < now() - $5::double precision * interval '1 millisecond'
            THEN 'failed' ELSE 'pending' END,
          next_attempt_at = now() + least(3600000, $6::double precision * power(2, least(attempts, 30) - 1))
            * (0.75 + random() * 0.5) * interval '1 millisecond',
          last_status_code = $3, last_error = $4, lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND attempts = $2 AND status = 'pending'
        RETURNING tenant, endpoint_id, created_at, status)
      UPDATE webhook_endpoints e SET failing_since = COALESCE(e.failing_since, GREATEST(d.created_at, e.succeeded_at))
      FROM d WHERE e.tenant = d.tenant AND e.id = d.endpoint_id
      RETURNING e.tenant, e.id, e.enabled AND d.status = 'failed'
        AND e.failing_since < now() - $5::double precision * interval '1 millisecond' AS exhausted""";

  /**
   * $1 age in seconds, $2 batch size. Deletes one batch of ended deliveries (succeeded or failed)
   * created more than $1 s ago. Message ids rise with creation time (V9), so the batch is a range at
   * the start of the primary key, found without an index of its own: an index on the creation time
   * would cost every delivery one more entry. (Deliveries made before V9 have random ids: those
   * whose id sorts after the cut are kept.)
   */
  static final String EXPIRE = """
      DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries
        WHERE id < 'msg_' || lpad(to_hex((extract(epoch FROM now() - $1::double precision * interval '1 second')
                                          * 1000000)::bigint), 14, '0')
          AND created_at < now() - $1::double precision * interval '1 second' AND status <> 'pending'
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
      RETURNING id""";

  /** $1 tenant, $2 endpoint, $3 reason. */
  static final String DISABLE = """
      UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, updated_at = now()
      WHERE tenant = $1 AND id = $2 AND enabled""";
}
