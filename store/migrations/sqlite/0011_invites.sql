-- 0011_invites (SQLite): a user invited and not yet accepted is marked, so
-- that accepting the invitation (setting a password through a setup link)
-- activates them, while a user an admin deactivated stays inactive.
-- Additive only: old releases leave it false.
ALTER TABLE users ADD COLUMN invited INTEGER NOT NULL DEFAULT 0 CHECK (invited IN (0, 1));
