-- Webhooks (issue 14): endpoints a tenant subscribes, and the outbox of deliveries to them.
-- Only the webhooks store verticle reads or writes these tables; the triggers below write the
-- outbox in the same transaction as the task change that causes it, whatever statement made it.
CREATE TABLE webhook_endpoints (
  tenant                text        NOT NULL,
  id                    text        NOT NULL,
  url                   text        NOT NULL,
  description           text,
  events                text[]      NOT NULL,
  -- Task types whose changes are sent; NULL sends every type.
  types                 text[],
  secret                text        NOT NULL,
  -- The secret before the last rotation, still signed with until it expires.
  old_secret            text,
  old_secret_expires_at timestamptz,
  enabled               boolean     NOT NULL DEFAULT true,
  disabled_reason       text,
  -- Since when this endpoint takes no deliveries: the creation of the oldest delivery that failed
  -- since the last success (NULL after a success).
  failing_since         timestamptz,
  succeeded_at          timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

-- What the triggers look up on a task change: the tenant's enabled endpoints, and (on every change)
-- those subscribed to task.updated.
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (tenant) WHERE enabled;
CREATE INDEX webhook_endpoints_updated ON webhook_endpoints (tenant) WHERE enabled AND 'task.updated' = ANY (events);

CREATE TABLE webhook_deliveries (
  -- The message id, sent as webhook-id on every attempt.
  id               text        PRIMARY KEY,
  seq              bigint      GENERATED ALWAYS AS IDENTITY,
  tenant           text        NOT NULL,
  endpoint_id      text        NOT NULL,
  event            text        NOT NULL,
  task_id          text        NOT NULL,
  -- The Trace as of the change.
  payload          jsonb       NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  -- When due; a claim moves it one lease ahead, so that a lost sender's delivery is due again then.
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  last_status_code integer,
  last_error       text,
  last_attempt_at  timestamptz,
  delivered_at     timestamptz
  -- No foreign key to webhook_endpoints: its check would lock the endpoint's row (KEY SHARE) in every
  -- task transaction that writes a delivery; the store deletes an endpoint's deliveries with it.
);

-- Claiming: only pending deliveries, by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- Listing an endpoint's deliveries, newest first.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant, endpoint_id, seq);

-- Writes the deliveries of one task change. TG_ARGV[0] is 'terminal' (the status just became
-- completed, failed or cancelled: endpoints subscribed to that event) or 'updated' (any visible
-- change: endpoints subscribed to task.updated, except those that get the terminal event instead).
CREATE FUNCTION webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ended text := NULL;
BEGIN
  IF TG_ARGV[0] = 'updated' AND NOT EXISTS (
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
  SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.tenant, e.id,
         CASE WHEN TG_ARGV[0] = 'terminal' THEN ended ELSE 'task.updated' END,
         NEW.id,
         jsonb_build_object('id', NEW.id, 'object', 'task', 'type', NEW.type, 'status', NEW.status,
           'progress', NEW.progress, 'data', NEW.data,
           'created_at', floor(extract(epoch FROM NEW.created_at))::bigint,
           'updated_at', floor(extract(epoch FROM NEW.updated_at))::bigint,
           'failure_reason', NEW.failure_reason)
  FROM webhook_endpoints e
  WHERE e.tenant = NEW.tenant AND e.enabled
    AND (e.types IS NULL OR NEW.type = ANY (e.types))
    AND CASE WHEN TG_ARGV[0] = 'terminal' THEN ended = ANY (e.events)
             ELSE 'task.updated' = ANY (e.events) AND NOT (ended IS NOT NULL AND ended = ANY (e.events)) END;
  RETURN NULL;
END $$;

-- Fires once per task that ends (the WHEN clause costs nothing on other updates).
CREATE TRIGGER tasks_webhook_terminal AFTER UPDATE OF status ON tasks FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('completed', 'failed', 'cancelled'))
  EXECUTE FUNCTION webhook_outbox('terminal');
-- task.updated: every visible change (a heartbeat changes no version and sends nothing).
CREATE TRIGGER tasks_webhook_updated AFTER UPDATE ON tasks FOR EACH ROW
  WHEN (OLD.version IS DISTINCT FROM NEW.version)
  EXECUTE FUNCTION webhook_outbox('updated');
CREATE TRIGGER tasks_webhook_created AFTER INSERT ON tasks FOR EACH ROW
  EXECUTE FUNCTION webhook_outbox('updated');
