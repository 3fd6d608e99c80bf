-- file_segments without its per-row foreign key to files. The key checked every segment row on its
-- own (a lookup and a FOR KEY SHARE lock of the file row per segment, ~4,000 for a 2.5 MB text):
-- measured at about a quarter of a segment insert's cost (bench/results-files.md). The same two
-- guarantees, once per statement or per file instead of per segment:
-- * a segment never precedes its file: the store's one insert (FileSql.INSERT_SEGMENTS) inserts
--   only while it holds a FOR KEY SHARE lock on the file's row, taken once per statement, so a
--   concurrent DELETE of the file waits for it (and then removes what it wrote), or goes first and
--   the insert finds no file and writes nothing;
-- * a segment never outlives its file: the triggers below delete a file's segments with it (which
--   cascades on to their vectors, V3) and carry them along if the file's key ever changes, as the
--   key's ON DELETE CASCADE ON UPDATE CASCADE did.
ALTER TABLE file_segments DROP CONSTRAINT file_segments_tenant_file_id_fkey;

CREATE FUNCTION file_segments_follow_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM file_segments WHERE tenant = OLD.tenant AND file_id = OLD.id;
    RETURN OLD;
  END IF;
  UPDATE file_segments SET tenant = NEW.tenant, file_id = NEW.id WHERE tenant = OLD.tenant AND file_id = OLD.id;
  RETURN NEW;
END $$;

CREATE TRIGGER files_delete_segments AFTER DELETE ON files
  FOR EACH ROW EXECUTE FUNCTION file_segments_follow_file();
CREATE TRIGGER files_rekey_segments AFTER UPDATE OF tenant, id ON files
  FOR EACH ROW WHEN (OLD.tenant IS DISTINCT FROM NEW.tenant OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION file_segments_follow_file();
