-- 0002_changes (PostgreSQL): the change feed of the in-memory index,
-- periodic job claims, and the expiry bookkeeping of tokens.
--
-- Additive only: replicas of the previous release keep serving on this
-- schema while it is applied, so nothing is dropped or renamed.

-- changes: one row per entity changed by a write, in the write's own
-- transaction. Identity values are taken at insert and committed in any
-- order, so readers must expect gaps.
CREATE TABLE changes (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind       TEXT NOT NULL,
	entity_id  TEXT NOT NULL,
	-- digest is set for tokens, so a replica can drop a deleted token.
	digest     BYTEA,
	changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX changes_changed_at ON changes (changed_at);

-- Every statement that inserts changes notifies keyhold_changes.
-- PostgreSQL delivers notifications at commit, only if the transaction
-- commits, and folds repeats within a transaction into one. The payload is
-- the schema of the table, so that deployments sharing a database in
-- separate schemas do not wake each other; listeners also accept ''.
CREATE FUNCTION keyhold_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('keyhold_changes', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$;
CREATE TRIGGER changes_notify AFTER INSERT ON changes
	FOR EACH STATEMENT EXECUTE FUNCTION keyhold_notify_changes();

-- jobs: when each periodic job last ran, for ClaimJob.
CREATE TABLE jobs (
	name        TEXT PRIMARY KEY,
	last_run_at TIMESTAMPTZ NOT NULL
);

-- expiry_recorded: MarkExpiredTokens already returned the token. Adding a
-- column with a constant default rewrites nothing. The partial index holds
-- only tokens MarkExpiredTokens may still return.
ALTER TABLE tokens ADD COLUMN expiry_recorded BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX tokens_expiry_pending ON tokens (expires_at)
	WHERE NOT expiry_recorded AND revoked_at IS NULL AND expires_at IS NOT NULL;
