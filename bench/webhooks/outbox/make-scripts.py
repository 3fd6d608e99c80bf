# Writes the pgbench scripts: 10 completions per transaction, as TaskSql.COMPLETE (complete10.sql)
# and as the same UPDATE writing its own outbox row (complete10cte.sql).
UPDATE = ("UPDATE tasks SET status = 'completed', progress = 1, data = data || ('{}'::jsonb - 'operation'), "
          "failure_reason = NULL, version = version + 1, updated_at = now(), lease_owner = NULL, lease_expires_at = NULL "
          "WHERE tenant = 'default' AND id = 't' || :i AND attempt = 1 AND status = 'in_progress'")
OUTBOX = ("INSERT INTO webhook_deliveries (id, tenant, endpoint_id, event, task_id, payload) "
          "SELECT 'msg_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0') "
          "|| substr(replace(gen_random_uuid()::text, '-', ''), 1, 18), e.tenant, e.id, 'task.completed', t.id, "
          "json_build_object('id', t.id, 'object', 'task', 'type', t.type, 'status', t.status, 'progress', t.progress, "
          "'data', t.data, 'created_at', floor(extract(epoch FROM t.created_at))::bigint, "
          "'updated_at', floor(extract(epoch FROM t.updated_at))::bigint, 'failure_reason', t.failure_reason) "
          "FROM t JOIN webhook_endpoints e ON e.tenant = t.tenant AND e.enabled AND 'task.completed' = ANY (e.events) "
          "AND (e.types IS NULL OR t.type = ANY (e.types))")
for name, stmt in (("complete10.sql", UPDATE + " RETURNING id, status, version;"),
                   ("complete10cte.sql", "WITH t AS (" + UPDATE + " RETURNING *), o AS (" + OUTBOX + ") SELECT id, status, version FROM t;")):
    lines = ["SELECT nextval('ctr') AS n \\gset", "BEGIN;"]
    for k in range(10):
        lines += ["\\set i :n * 10 + %d" % k, stmt]
    lines.append("COMMIT;")
    open(name, "w").write("\n".join(lines) + "\n")
