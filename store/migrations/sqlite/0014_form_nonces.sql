-- 0014_form_nonces (SQLite): the used one-time nonces of the console's
-- forms that mint a secret (a token, a webhook secret, a setup link). A
-- nonce is signed by the web tier and stored here, as its SHA-256 digest
-- only, when its form is sent: a second send of the same form finds it
-- and mints nothing. Rows go when their nonce expires. Additive only: old
-- releases ignore it.
CREATE TABLE console_form_nonces (
	digest     BLOB PRIMARY KEY,
	expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_form_nonces_expires ON console_form_nonces (expires_at);
