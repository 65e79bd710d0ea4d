-- 0009_webhooks (SQLite): webhook destinations, the delivery outbox, the
-- expiry warnings already sent, and automatic rotation of tokens. Additive
-- only: old releases ignore the new tables and the new column.
ALTER TABLE tokens ADD COLUMN auto_rotate INTEGER NOT NULL DEFAULT 0 CHECK (auto_rotate IN (0, 1));

-- secret holds the signing secret sealed with AES-256-GCM under the key of
-- --secret-key-file; never the secret itself. account_id has no foreign
-- key: account.deleted must still reach a destination filtered on it.
CREATE TABLE webhook_destinations (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	url         TEXT NOT NULL,
	event_types TEXT NOT NULL,
	account_id  TEXT,
	enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	secret      BLOB NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX webhook_destinations_created ON webhook_destinations (created_at, id);

-- webhook_deliveries is the outbox: rows are written in the transaction of
-- the change they report, and a sender claims due rows with a lease.
CREATE TABLE webhook_deliveries (
	id               TEXT PRIMARY KEY,
	destination_id   TEXT NOT NULL REFERENCES webhook_destinations (id) ON DELETE CASCADE,
	event_id         TEXT NOT NULL,
	event_type       TEXT NOT NULL,
	payload          BLOB NOT NULL,
	token_id         TEXT NOT NULL,
	account_id       TEXT NOT NULL,
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL,
	last_status      INTEGER,
	last_error       TEXT NOT NULL,
	response_excerpt TEXT NOT NULL,
	next_attempt_at  TIMESTAMP,
	lease_until      TIMESTAMP,
	lease_owner      TEXT NOT NULL,
	delivered_at     TIMESTAMP,
	created_at       TIMESTAMP NOT NULL,
	updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_destination ON webhook_deliveries (destination_id, created_at, id);
CREATE INDEX webhook_deliveries_token ON webhook_deliveries (token_id) WHERE token_id <> '';

-- token_expiry_warnings records each token.expiring threshold (days) sent,
-- so that restarts and replicas never repeat one.
CREATE TABLE token_expiry_warnings (
	token_id       TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
	threshold_days INTEGER NOT NULL,
	sent_at        TIMESTAMP NOT NULL,
	PRIMARY KEY (token_id, threshold_days)
);
