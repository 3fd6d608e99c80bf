-- Webhooks: the outbox triggers on tasks are enabled only while some endpoint needs them (issue 14).
--
-- Each call of the plpgsql webhook_outbox() costs a task change CPU even when it writes nothing
-- (BENCHMARKS.md: +28 % Postgres CPU per noop task from its three task.updated calls with no
-- endpoint at all). So the triggers stay disabled unless an enabled endpoint subscribes:
--  - tasks_webhook_terminal, while one subscribes to task.completed, task.failed or task.cancelled;
--  - tasks_webhook_updated and tasks_webhook_created, while one subscribes to task.updated.
-- The switch is a statement trigger on webhook_endpoints, so it runs in the transaction of whatever
-- statement changes an endpoint (create, update, disable, delete, the store's automatic disabling):
-- it commits or rolls back with it, lives in the catalog (every node, every restart), and takes
-- the tasks table's SHARE ROW EXCLUSIVE lock only when the state actually flips (it waits for the
-- task transactions under way; no task change can start between the endpoint's commit and the
-- trigger's, and none sees an endpoint its transaction could not see before).
-- Enables or disables one trigger of tasks, only if it is not so already (no lock taken otherwise).
CREATE FUNCTION webhook_trigger_set(name text, wanted boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF wanted IS DISTINCT FROM (SELECT t.tgenabled <> 'D' FROM pg_trigger t
                              WHERE t.tgrelid = 'tasks'::regclass AND t.tgname = name) THEN
    EXECUTE format('ALTER TABLE tasks %s TRIGGER %I', CASE WHEN wanted THEN 'ENABLE' ELSE 'DISABLE' END, name);
  END IF;
END $$;

-- Sets the three triggers for the endpoints there are now.
CREATE FUNCTION webhook_triggers_apply() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  terminal boolean;
  updated  boolean;
BEGIN
  -- One endpoint change at a time decides; in READ COMMITTED each statement below then sees every
  -- endpoint change committed before it (the lock is released after the commit is visible).
  PERFORM pg_advisory_xact_lock(hashtext('webhook_triggers_apply'));
  SELECT coalesce(bool_or(events && ARRAY['task.completed', 'task.failed', 'task.cancelled']), false),
         coalesce(bool_or('task.updated' = ANY (events)), false)
    INTO terminal, updated
    FROM webhook_endpoints WHERE enabled;
  PERFORM webhook_trigger_set('tasks_webhook_terminal', terminal);
  PERFORM webhook_trigger_set('tasks_webhook_updated', updated);
  PERFORM webhook_trigger_set('tasks_webhook_created', updated);
END $$;

CREATE FUNCTION webhook_triggers_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM webhook_triggers_apply();
  RETURN NULL;
END $$;

-- Only what can change the answer: new or deleted endpoints, and updates that set enabled or events
-- (the senders' health writes, failing_since and succeeded_at, do not fire it).
CREATE TRIGGER webhook_endpoints_sync AFTER INSERT OR DELETE OR UPDATE OF enabled, events ON webhook_endpoints
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_triggers_sync();

SELECT webhook_triggers_apply();
