-- 0002_changes (SQLite): the change feed of the in-memory index, periodic
-- job claims, and the expiry bookkeeping of tokens.
--
-- Additive only: replicas of the previous release keep serving on this
-- schema while it is applied, so nothing is dropped or renamed.

-- changes: one row per entity changed by a write, in the write's own
-- transaction. AUTOINCREMENT keeps seq from ever reusing a value after
-- pruning, so a replica's last applied seq stays meaningful.
CREATE TABLE changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL,
	entity_id  TEXT NOT NULL,
	-- digest is set for tokens, so a replica can drop a deleted token.
	digest     BLOB,
	changed_at TIMESTAMP NOT NULL
);
CREATE INDEX changes_changed_at ON changes (changed_at);

-- jobs: when each periodic job last ran, for ClaimJob.
CREATE TABLE jobs (
	name        TEXT PRIMARY KEY,
	last_run_at TIMESTAMP NOT NULL
);

-- expiry_recorded: MarkExpiredTokens already returned the token. The
-- partial index holds only tokens it may still return, so its scan stays
-- small however many tokens expired long ago.
ALTER TABLE tokens ADD COLUMN expiry_recorded INTEGER NOT NULL DEFAULT 0
	CHECK (expiry_recorded IN (0, 1));
CREATE INDEX tokens_expiry_pending ON tokens (expires_at)
	WHERE NOT expiry_recorded AND revoked_at IS NULL AND expires_at IS NOT NULL;
