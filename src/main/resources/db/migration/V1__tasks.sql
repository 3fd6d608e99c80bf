-- One row per task. (tenant, id) is the identity: ids are scoped to a tenant.
CREATE TABLE tasks (
  tenant           text             NOT NULL,
  id               text             NOT NULL,
  seq              bigint           GENERATED ALWAYS AS IDENTITY,
  type             text             NOT NULL,
  status           text             NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
  progress         double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  data             jsonb            NOT NULL,
  input            jsonb,
  failure_reason   text,
  created_at       timestamptz      NOT NULL DEFAULT now(),
  updated_at       timestamptz      NOT NULL DEFAULT now(),
  version          bigint           NOT NULL DEFAULT 1,
  attempt          integer          NOT NULL DEFAULT 0,
  max_attempts     integer          NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  run_after        timestamptz      NOT NULL DEFAULT now(),
  lease_owner      text,
  lease_expires_at timestamptz,
  PRIMARY KEY (tenant, id),
  CHECK (status <> 'completed' OR progress = 1)
);

-- Listing and cursors: creation order within a tenant.
CREATE UNIQUE INDEX tasks_tenant_seq ON tasks (tenant, seq);
-- Claiming: only pending rows, by type and due time.
CREATE INDEX tasks_claimable ON tasks (type, run_after, seq) WHERE status = 'pending';
-- Rescue of lost workers: only running rows, by lease expiry.
CREATE INDEX tasks_leases ON tasks (lease_expires_at) WHERE status = 'in_progress';
-- Retention: only terminal rows, by age.
CREATE INDEX tasks_terminal_age ON tasks (status, updated_at) WHERE status IN ('completed', 'failed', 'cancelled');
