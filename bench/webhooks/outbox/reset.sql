-- 400,000 running noop tasks, no outbox rows, fresh statistics.
TRUNCATE tasks; TRUNCATE webhook_deliveries;
INSERT INTO tasks (tenant, id, type, status, data, attempt, lease_owner, lease_expires_at)
  SELECT 'default', 't' || g, 'noop', 'in_progress', '{"operation":"noop"}', 1, 'w1', now() + interval '1 hour'
  FROM generate_series(1, 400000) g;
ALTER SEQUENCE ctr RESTART WITH 1;
VACUUM ANALYZE tasks; VACUUM ANALYZE webhook_deliveries;
CHECKPOINT;
