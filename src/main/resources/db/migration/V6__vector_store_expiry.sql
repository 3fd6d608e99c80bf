-- expires_after (FILES.md, as OpenAI's {"anchor": "last_active_at", "days": n}) is enforced: a store
-- expires n days after it was last active (created, modified or searched). The vector store
-- verticle raises last_active_at on those, at most once a minute for searches.
ALTER TABLE vector_stores ADD COLUMN last_active_at timestamptz NOT NULL DEFAULT now();
