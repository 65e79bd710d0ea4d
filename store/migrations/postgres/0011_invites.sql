-- 0011_invites (PostgreSQL): a user invited and not yet accepted is
-- marked, so that accepting the invitation (setting a password through a
-- setup link) activates them, while a user an admin deactivated stays
-- inactive. Additive only: old releases leave it false.
ALTER TABLE users ADD COLUMN invited BOOLEAN NOT NULL DEFAULT false;
