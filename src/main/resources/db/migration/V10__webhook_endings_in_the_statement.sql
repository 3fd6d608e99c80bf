-- Webhooks: a task's ending writes its deliveries in its own statement (issue 14: 1,000
-- completions/s with one endpoint, the pipeline at 0.8x its rate without webhooks).
--
-- The statements of the tasks store that end a task (complete, fail, cancel, rescue) insert the
-- task.completed, task.failed and task.cancelled deliveries themselves, in a WITH clause
-- (webhook/Outbox.java): the same insert made by the row trigger tasks_webhook_terminal cost a
-- completion more than twice as much in Postgres (plpgsql runs it as a statement of its own per
-- row; bench/webhooks/outbox/run, bench/results-webhooks.md). So that trigger goes, and with it the
-- 'terminal' half of webhook_outbox() and of the V8 switch. task.updated, sent on every change, stays
-- a trigger, switched on only while an endpoint subscribes to it. And deliveries leave more room
-- on their pages for the claim's new version (last statement).
DROP TRIGGER tasks_webhook_terminal ON tasks;

-- Sets the two task.updated triggers for the endpoints there are now (V8, without the terminal one).
CREATE OR REPLACE FUNCTION webhook_triggers_apply() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  updated boolean;
BEGIN
  -- One endpoint change at a time decides; in READ COMMITTED each statement below then sees every
  -- endpoint change committed before it (the lock is released after the commit is visible).
  PERFORM pg_advisory_xact_lock(hashtext('webhook_triggers_apply'));
  SELECT coalesce(bool_or('task.updated' = ANY (events)), false) INTO updated FROM webhook_endpoints WHERE enabled;
  PERFORM webhook_trigger_set('tasks_webhook_updated', updated);
  PERFORM webhook_trigger_set('tasks_webhook_created', updated);
END $$;

-- The task.updated deliveries of one task change (V9's, without the 'terminal' case): to endpoints
-- subscribed to task.updated, except those that get this change's ending instead (written by the
-- statement that ended the task). Ids as webhook/Outbox.java makes them.
CREATE OR REPLACE FUNCTION webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ended text := NULL;
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM webhook_endpoints WHERE tenant = NEW.tenant AND enabled AND 'task.updated' = ANY (events)) THEN
    -- The common case, checked first: one probe of an index that is empty unless the tenant
    -- subscribes to task.updated.
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status
     AND NEW.status IN ('completed', 'failed', 'cancelled') THEN
    ended := 'task.' || NEW.status;
  END IF;
  INSERT INTO webhook_deliveries (id, tenant, endpoint_id, event, task_id, payload)
  SELECT 'msg_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0')
           || substr(replace(gen_random_uuid()::text, '-', ''), 1, 18),
         e.tenant, e.id, 'task.updated', NEW.id,
         json_build_object('id', NEW.id, 'object', 'task', 'type', NEW.type, 'status', NEW.status,
           'progress', NEW.progress, 'data', NEW.data,
           'created_at', floor(extract(epoch FROM NEW.created_at))::bigint,
           'updated_at', floor(extract(epoch FROM NEW.updated_at))::bigint,
           'failure_reason', NEW.failure_reason)
  FROM webhook_endpoints e
  WHERE e.tenant = NEW.tenant AND e.enabled
    AND (e.types IS NULL OR NEW.type = ANY (e.types))
    AND 'task.updated' = ANY (e.events) AND NOT (ended IS NOT NULL AND ended = ANY (e.events));
  RETURN NULL;
END $$;

SELECT webhook_triggers_apply();

-- Room on each page for a delivery's next version. A claim is meant to be a HOT update (V5), but a
-- claim takes a whole run of deliveries written together, whose rows share pages: at fillfactor 70
-- a page had room for the claim of fewer than half of its rows, and the rest moved to other pages
-- with a new entry in every index. bench/webhooks/statements, 180,000 deliveries each: at 70, 23 %
-- of updates HOT, the claim 680 WAL bytes and 60 us per delivery, the table 227 MB; at 50, every
-- claim HOT (50 % of updates: the other half, the success, changes the status, which the due
-- index's predicate reads), 221 bytes and 30 us, 185 MB.
ALTER TABLE webhook_deliveries SET (fillfactor = 50);
