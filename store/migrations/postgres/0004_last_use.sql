-- 0004_last_use (PostgreSQL): where a token was last used from. Additive only.
ALTER TABLE tokens ADD COLUMN last_used_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN last_used_user_agent TEXT NOT NULL DEFAULT '';
