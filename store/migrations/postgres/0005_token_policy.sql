-- 0005_token_policy (PostgreSQL): the organization's token expiry policy.
-- Additive only; the defaults are the policy of an organization that never
-- set one.
ALTER TABLE organization ADD COLUMN max_token_lifetime_seconds BIGINT NOT NULL DEFAULT 31536000;
ALTER TABLE organization ADD COLUMN default_token_lifetime_seconds BIGINT NOT NULL DEFAULT 31104000;
ALTER TABLE organization ADD COLUMN allow_non_expiring_tokens BOOLEAN NOT NULL DEFAULT false;
