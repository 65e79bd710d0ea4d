-- 0003_disabled (SQLite): system accounts can be disabled without being
-- deleted. Additive only.
ALTER TABLE system_accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
