-- 0010_console (PostgreSQL): sessions of the admin console and one-time links
-- that let a user set a password. Both hold only the SHA-256 digest of
-- their secret, never the secret. Additive only: old releases ignore them.
CREATE TABLE console_sessions (
	digest       BYTEA PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,
	client_ip    TEXT NOT NULL,
	user_agent   TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

CREATE TABLE password_setup_tokens (
	digest     BYTEA PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX password_setup_tokens_user ON password_setup_tokens (user_id);
