-- 0003_disabled (PostgreSQL): system accounts can be disabled without
-- being deleted. Additive only.
ALTER TABLE system_accounts ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
