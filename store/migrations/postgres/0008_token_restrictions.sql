-- 0008_token_restrictions: scoped and network-bound tokens. scope is a
-- JSON array of roles ({role_name, entity_type_name, entity_id,
-- entity_region}) narrowing a system-account token to part of its
-- account's roles; allowed_cidrs a JSON array of client networks. NULL
-- leaves a token as wide as before. Additive: an older release ignores
-- both columns, and so serves restricted tokens unrestricted until it is
-- upgraded; do not create restricted tokens while it still runs.
ALTER TABLE tokens ADD COLUMN scope TEXT;
ALTER TABLE tokens ADD COLUMN allowed_cidrs TEXT;
