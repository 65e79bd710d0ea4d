-- 0005_token_policy (SQLite): the organization's token expiry policy.
-- Additive only; the defaults are the policy of an organization that never
-- set one.
ALTER TABLE organization ADD COLUMN max_token_lifetime_seconds INTEGER NOT NULL DEFAULT 31536000;
ALTER TABLE organization ADD COLUMN default_token_lifetime_seconds INTEGER NOT NULL DEFAULT 31104000;
ALTER TABLE organization ADD COLUMN allow_non_expiring_tokens INTEGER NOT NULL DEFAULT 0 CHECK (allow_non_expiring_tokens IN (0, 1));
