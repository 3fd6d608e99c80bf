-- Files: one row per uploaded file, owned by the files store. (tenant, id) is the identity, as
-- for tasks. A row is invisible (visible = false) while its upload streams in and until its
-- processing task exists; only visible rows are ever shown to clients.
CREATE TABLE files (
  tenant             text        NOT NULL,
  id                 text        NOT NULL,
  seq                bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
  visible            boolean     NOT NULL DEFAULT false,
  filename           text        NOT NULL,
  purpose            text        NOT NULL DEFAULT 'general',
  content_type       text        NOT NULL DEFAULT 'application/octet-stream',
  bytes              bigint      NOT NULL DEFAULT 0,
  parts              integer     NOT NULL DEFAULT 0,
  md5                text        NOT NULL DEFAULT '',
  parse_options      jsonb       NOT NULL DEFAULT '{}',
  status             text        NOT NULL DEFAULT 'processing'
                       CHECK (status IN ('processing', 'processed', 'failed')),
  error              text,
  -- The processing attempt that owns the segments now: an older attempt's writes are refused.
  processing_attempt integer     NOT NULL DEFAULT 0,
  -- The document fields, filled by file_processing (title, author and metadata also by clients).
  title              text        NOT NULL DEFAULT '',
  author             text,
  metadata           jsonb       NOT NULL DEFAULT '{}',
  abstract           text        NOT NULL DEFAULT '',
  summary            text        NOT NULL DEFAULT '',
  keywords           jsonb       NOT NULL DEFAULT '[]',
  language           text        NOT NULL DEFAULT '',
  file_type          text        NOT NULL DEFAULT '',
  page_count         integer     NOT NULL DEFAULT 0,
  segment_count      integer     NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

-- Listing and cursors: creation order within a tenant, visible rows only.
CREATE INDEX files_tenant_seq ON files (tenant, seq) WHERE visible;
-- skip_exists: the tenant's files by content.
CREATE INDEX files_tenant_md5 ON files (tenant, md5) WHERE visible;
-- Clean-up of uploads abandoned half-way (the node died): invisible rows by age.
CREATE INDEX files_invisible_age ON files (created_at) WHERE NOT visible;

-- The bytes, in parts of at most a few hundred KiB, so that no one ever holds a whole file.
-- Keyed by the file's immutable seq, so that a staged upload can take its final id cheaply.
CREATE TABLE file_parts (
  file_seq bigint  NOT NULL REFERENCES files (seq) ON DELETE CASCADE,
  part_no  integer NOT NULL CHECK (part_no >= 0),
  data     bytea   NOT NULL,
  PRIMARY KEY (file_seq, part_no)
);
-- The bytes are already compressed or get read whole: no TOAST compression work on every part.
ALTER TABLE file_parts ALTER COLUMN data SET STORAGE EXTERNAL;

-- The extracted segments (chunks) of a file, by index from 0.
CREATE TABLE file_segments (
  tenant   text    NOT NULL,
  file_id  text    NOT NULL,
  idx      integer NOT NULL CHECK (idx >= 0),
  content  text    NOT NULL,
  metadata jsonb   NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant, file_id, idx),
  FOREIGN KEY (tenant, file_id) REFERENCES files (tenant, id) ON DELETE CASCADE ON UPDATE CASCADE
);
