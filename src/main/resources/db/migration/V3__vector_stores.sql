-- Vector stores (FILES.md), owned by the vector store verticle (dev.forge.tasks.vector). Files and
-- their segments belong to the files store; these tables only reference them, and go with them.

-- One row per store. (tenant, id) is the identity, as for tasks and files.
CREATE TABLE vector_stores (
  tenant        text        NOT NULL,
  id            text        NOT NULL,
  seq           bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
  name          text        NOT NULL DEFAULT '',
  description   text,
  metadata      jsonb       NOT NULL DEFAULT '{}',
  expires_after jsonb,
  -- The store's latest task: create-<id>, then vectorize-<id> after a join.
  task_id       text        NOT NULL,
  -- Raised by every change of the store's membership (the triggers below, cascades included): a
  -- node's in-memory copy of the store is current exactly while its version is.
  version       bigint      NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);
-- Listing and cursors: creation order within a tenant.
CREATE INDEX vector_stores_tenant_seq ON vector_stores (tenant, seq);

-- Which files a store holds, and how far each is: in_progress until its segments are embedded,
-- then completed (searchable), or failed (processing failed), or cancelled (its task was).
CREATE TABLE vector_store_files (
  tenant    text        NOT NULL,
  store_id  text        NOT NULL,
  file_id   text        NOT NULL,
  seq       bigint      GENERATED ALWAYS AS IDENTITY,
  status    text        NOT NULL DEFAULT 'in_progress'
              CHECK (status IN ('in_progress', 'completed', 'failed', 'cancelled')),
  error     text,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, store_id, file_id),
  FOREIGN KEY (tenant, store_id) REFERENCES vector_stores (tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, file_id) REFERENCES files (tenant, id) ON DELETE CASCADE ON UPDATE CASCADE
);
-- The stores of a file (GET /v1/files/{id}/content, and the cascade when a file is deleted).
CREATE INDEX vector_store_files_file ON vector_store_files (tenant, file_id);
-- Work left: members still in progress.
CREATE INDEX vector_store_files_pending ON vector_store_files (tenant, store_id) WHERE status = 'in_progress';

-- One vector per segment and model, whatever number of stores hold the file: unit-length float32
-- values, little-endian, in a bytea (no pgvector here; search runs in the JVM).
CREATE TABLE segment_vectors (
  tenant  text    NOT NULL,
  file_id text    NOT NULL,
  model   text    NOT NULL,
  idx     integer NOT NULL,
  vector  bytea   NOT NULL,
  PRIMARY KEY (tenant, file_id, model, idx),
  FOREIGN KEY (tenant, file_id, idx) REFERENCES file_segments (tenant, file_id, idx)
    ON DELETE CASCADE ON UPDATE CASCADE
);
-- Floats do not compress: spare Postgres the attempt.
ALTER TABLE segment_vectors ALTER COLUMN vector SET STORAGE EXTERNAL;
-- The cascade from file_segments looks vectors up by (tenant, file_id, idx).
CREATE INDEX segment_vectors_segment ON segment_vectors (tenant, file_id, idx);

-- Every insert, update or delete of memberships (by a statement of the store or by a cascade from
-- files or stores) raises the version of each store it touched, once per statement.
CREATE FUNCTION vector_store_files_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE vector_stores s SET version = s.version + 1, updated_at = now()
    FROM (SELECT DISTINCT tenant, store_id FROM changed) c
   WHERE s.tenant = c.tenant AND s.id = c.store_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER vector_store_files_inserted AFTER INSERT ON vector_store_files
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION vector_store_files_touch();
CREATE TRIGGER vector_store_files_updated AFTER UPDATE ON vector_store_files
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION vector_store_files_touch();
CREATE TRIGGER vector_store_files_deleted AFTER DELETE ON vector_store_files
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION vector_store_files_touch();
