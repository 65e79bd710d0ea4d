-- 0006_rotation (PostgreSQL): rotation with overlap. A rotated token keeps
-- working until its rotation deadline; it shares its name with its
-- successor meanwhile, so the name index now covers only tokens that are
-- neither revoked, nor rotated, nor reported expired. Additive for old
-- releases: they never rotate, and the new index is looser than the old.
ALTER TABLE tokens ADD COLUMN predecessor_id TEXT;
ALTER TABLE tokens ADD COLUMN successor_id TEXT;
ALTER TABLE tokens ADD COLUMN rotation_deadline TIMESTAMPTZ;
ALTER TABLE tokens ADD COLUMN revoke_when_idle_seconds BIGINT;
DROP INDEX tokens_account_name;
CREATE UNIQUE INDEX tokens_account_active_name ON tokens (account_id, name)
	WHERE revoked_at IS NULL AND successor_id IS NULL AND NOT expiry_recorded AND account_id IS NOT NULL;
CREATE INDEX tokens_rotating ON tokens (rotation_deadline) WHERE successor_id IS NOT NULL AND revoked_at IS NULL;
