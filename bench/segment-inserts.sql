-- What storing a file's segments costs Postgres alone, per option (bench/results-files.md):
-- 4,000 segments of ~620 characters per file, in 8 statements of 500 as the files store sends them,
-- 3 files per option, asynchronous commit. Run on a scratch database:
--   createdb segbench && psql -d segbench -f bench/segment-inserts.sql && dropdb segbench
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
DROP TABLE IF EXISTS s_fk, s_nofk, s_big, s_copy, f CASCADE;
CREATE TABLE f (tenant text, id text, seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE, processing_attempt int default 1, status text default 'processing', PRIMARY KEY (tenant, id));
INSERT INTO f (tenant, id) SELECT 't', 'file' || g FROM generate_series(1, 200) g;
CREATE TABLE s_fk (tenant text NOT NULL, file_id text NOT NULL, idx int NOT NULL CHECK (idx >= 0), content text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant, file_id, idx), FOREIGN KEY (tenant, file_id) REFERENCES f (tenant, id) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE s_nofk (LIKE s_fk INCLUDING ALL);
CREATE TABLE s_big (tenant text NOT NULL, file_id text NOT NULL, first_idx int NOT NULL, contents text[] NOT NULL, metadata jsonb[] NOT NULL, PRIMARY KEY (tenant, file_id, first_idx));
-- 4000 segments of ~620 characters, as arrays (what the store sends).
CREATE TEMP TABLE a AS SELECT array_agg(g) i, array_agg(repeat('Honey bees in hive number ' || g || ' keep the colony warm by clustering. ', 8)) c,
  array_agg('{}'::text) m FROM generate_series(0, 3999) g;
\timing on
\echo == with FK, 8 statements of 500 (x3 files)
DO $$ DECLARE r record; k int; fid int; BEGIN SELECT * INTO r FROM a; FOR fid IN 1..3 LOOP FOR k IN 0..7 LOOP
 INSERT INTO s_fk SELECT 't', 'file'||fid, t.i, t.c, t.m::jsonb FROM unnest(r.i[k*500+1:k*500+500], r.c[k*500+1:k*500+500], r.m[k*500+1:k*500+500]) t(i,c,m)
 WHERE EXISTS (SELECT 1 FROM f WHERE tenant='t' AND id='file'||fid AND processing_attempt=1 AND status='processing'); END LOOP; END LOOP; END $$;
\echo == no FK, EXISTS ... FOR KEY SHARE once per statement (x3 files)
DO $$ DECLARE r record; k int; fid int; BEGIN SELECT * INTO r FROM a; FOR fid IN 4..6 LOOP FOR k IN 0..7 LOOP
 INSERT INTO s_nofk SELECT 't', 'file'||fid, t.i, t.c, t.m::jsonb FROM unnest(r.i[k*500+1:k*500+500], r.c[k*500+1:k*500+500], r.m[k*500+1:k*500+500]) t(i,c,m)
 WHERE EXISTS (SELECT 1 FROM f WHERE tenant='t' AND id='file'||fid AND processing_attempt=1 AND status='processing' FOR KEY SHARE); END LOOP; END LOOP; END $$;
\echo == 8 rows of 500 segments each, arrays (x3 files)
DO $$ DECLARE r record; k int; fid int; BEGIN SELECT * INTO r FROM a; FOR fid IN 7..9 LOOP FOR k IN 0..7 LOOP
 INSERT INTO s_big SELECT 't', 'file'||fid, k*500, r.c[k*500+1:k*500+500], r.m[k*500+1:k*500+500]::jsonb[]
 WHERE EXISTS (SELECT 1 FROM f WHERE tenant='t' AND id='file'||fid AND processing_attempt=1 AND status='processing' FOR KEY SHARE); END LOOP; END LOOP; END $$;
\echo == 8 rows, arrays, contents STORAGE EXTERNAL (no compression)
ALTER TABLE s_big ALTER COLUMN contents SET STORAGE EXTERNAL;
DO $$ DECLARE r record; k int; fid int; BEGIN SELECT * INTO r FROM a; FOR fid IN 10..12 LOOP FOR k IN 0..7 LOOP
 INSERT INTO s_big SELECT 't', 'file'||fid, k*500, r.c[k*500+1:k*500+500], r.m[k*500+1:k*500+500]::jsonb[]
 WHERE EXISTS (SELECT 1 FROM f WHERE tenant='t' AND id='file'||fid AND processing_attempt=1 AND status='processing' FOR KEY SHARE); END LOOP; END LOOP; END $$;
\echo == again with FK (x3, warm)
DO $$ DECLARE r record; k int; fid int; BEGIN SELECT * INTO r FROM a; FOR fid IN 13..15 LOOP FOR k IN 0..7 LOOP
 INSERT INTO s_fk SELECT 't', 'file'||fid, t.i, t.c, t.m::jsonb FROM unnest(r.i[k*500+1:k*500+500], r.c[k*500+1:k*500+500], r.m[k*500+1:k*500+500]) t(i,c,m)
 WHERE EXISTS (SELECT 1 FROM f WHERE tenant='t' AND id='file'||fid AND processing_attempt=1 AND status='processing'); END LOOP; END LOOP; END $$;
\echo == again no FK (x3, warm)
DO $$ DECLARE r record; k int; fid int; BEGIN SELECT * INTO r FROM a; FOR fid IN 16..18 LOOP FOR k IN 0..7 LOOP
 INSERT INTO s_nofk SELECT 't', 'file'||fid, t.i, t.c, t.m::jsonb FROM unnest(r.i[k*500+1:k*500+500], r.c[k*500+1:k*500+500], r.m[k*500+1:k*500+500]) t(i,c,m)
 WHERE EXISTS (SELECT 1 FROM f WHERE tenant='t' AND id='file'||fid AND processing_attempt=1 AND status='processing' FOR KEY SHARE); END LOOP; END LOOP; END $$;
\echo == COPY of the same 4,000 segments into a table like the store table, no FK: the fastest bulk path Postgres has (x3 files)
\timing off
CREATE TABLE s_copy (LIKE s_fk INCLUDING ALL);
\copy (SELECT 't', 'file1', t.i, t.c, '{}' FROM a, unnest(a.i, a.c) t(i, c)) TO '/tmp/segment-inserts-copy.tsv'
\timing on
\copy s_copy FROM '/tmp/segment-inserts-copy.tsv'
TRUNCATE s_copy;
\copy s_copy FROM '/tmp/segment-inserts-copy.tsv'
TRUNCATE s_copy;
\copy s_copy FROM '/tmp/segment-inserts-copy.tsv'
\timing off
\! rm -f /tmp/segment-inserts-copy.tsv
DROP TABLE s_fk, s_nofk, s_big, s_copy, f CASCADE;
