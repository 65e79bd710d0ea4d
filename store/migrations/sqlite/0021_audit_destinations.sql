-- 0021_audit_destinations (SQLite): where the audit trail is exported, in Konnect's
-- shape: the audit-log destinations and the one audit-log webhook. Additive
-- only: old releases ignore the new table.
--
-- auth_sealed holds the Authorization header value sealed with AES-256-GCM
-- under the key of --secret-key-file, never the value itself. next_seq is
-- the destination's cursor in the audit log (the leaf index of the next
-- event to send), so that a process killed mid-batch loses nothing: the
-- next sender starts again from it. A sender leases a destination
-- (lease_owner, lease_until) while it sends.
CREATE TABLE audit_destinations (
	id                    TEXT PRIMARY KEY,
	webhook               INTEGER NOT NULL CHECK (webhook IN (0, 1)),
	name                  TEXT NOT NULL,
	name_fold             TEXT NOT NULL,
	endpoint              TEXT NOT NULL,
	log_format            TEXT NOT NULL,
	skip_ssl_verification INTEGER NOT NULL CHECK (skip_ssl_verification IN (0, 1)),
	enabled               INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	auth_sealed           BLOB NOT NULL,
	next_seq              BIGINT NOT NULL,
	attempts              INTEGER NOT NULL,
	next_attempt_at       TIMESTAMP,
	lease_owner           TEXT NOT NULL,
	lease_until           TIMESTAMP,
	last_attempt_at       TIMESTAMP,
	last_response_code    INTEGER,
	last_response_message TEXT NOT NULL,
	created_at            TIMESTAMP NOT NULL,
	updated_at            TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX audit_destinations_one_webhook ON audit_destinations (webhook) WHERE webhook = 1;
CREATE INDEX audit_destinations_created ON audit_destinations (created_at, id);

-- audit_replay_jobs holds the one replay job (id 'replay'): the events
-- that occurred between start_at and end_at are sent again to every
-- enabled destination, in leaf order from next_seq.
CREATE TABLE audit_replay_jobs (
	id          TEXT PRIMARY KEY,
	start_at    TIMESTAMP NOT NULL,
	end_at      TIMESTAMP NOT NULL,
	status      TEXT NOT NULL,
	next_seq    BIGINT NOT NULL,
	message     TEXT NOT NULL,
	lease_owner TEXT NOT NULL,
	lease_until TIMESTAMP,
	updated_at  TIMESTAMP NOT NULL
);
