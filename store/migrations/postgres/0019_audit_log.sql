-- 0019_audit_log (PostgreSQL): the audit trail becomes an RFC 6962 Merkle log
-- (docs/audit.md#integrity).
--
-- leaf_index is the event's place in the log: gap-free and strictly
-- increasing, given in the transaction of the change (seq, an identity, is
-- not: it leaves gaps). It is NULL only for the events of earlier releases
-- until the step that runs after the migrations appends them, in
-- (occurred_at, seq) order.
ALTER TABLE audit_events ADD COLUMN leaf_index BIGINT;
CREATE UNIQUE INDEX audit_events_leaf ON audit_events (leaf_index);

-- Who acted with what, never the credential itself: the token's id, the
-- SHA-256 of its stored digest, and how it was presented.
ALTER TABLE audit_events ADD COLUMN credential_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN credential_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN auth_method TEXT NOT NULL DEFAULT '';
-- Whoever holds a leaked token finds what it did by its fingerprint.
CREATE INDEX audit_events_credential ON audit_events (credential_fingerprint, occurred_at DESC, seq DESC)
	WHERE credential_fingerprint <> '';
-- An update's {field: {before, after}} as canonical JSON; '' for none.
ALTER TABLE audit_events ADD COLUMN changes TEXT NOT NULL DEFAULT '';

-- The tree's hashes by tlog stored-hash index: every leaf hash and every
-- complete subtree's, so that proofs read what they need and recompute
-- nothing. A leaf's hash outlives its event when retention prunes it.
CREATE TABLE audit_hashes (
	idx  BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);

-- The log's one row: its size (the next leaf index), the leaves below
-- pruned_below whose events retention dropped, and its origin, the name
-- its checkpoints carry. Appending updates the row, which serialises
-- appends on PostgreSQL as the write lock does on SQLite.
CREATE TABLE audit_log (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	size         BIGINT NOT NULL,
	pruned_below BIGINT NOT NULL,
	origin       TEXT NOT NULL
);
INSERT INTO audit_log (id, size, pruned_below, origin) VALUES (1, 0, 0, '');

-- Every signed checkpoint, oldest first: a C2SP signed note.
CREATE TABLE audit_checkpoints (
	seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	size      BIGINT NOT NULL,
	signed_at TIMESTAMPTZ NOT NULL,
	note      TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints (size);

-- The log's Ed25519 keys: checkpoint keys sign checkpoints, entry keys
-- sign exported entries (Konnect's sig). The private half is sealed under
-- the secret key. A retired key signs nothing new and stays published.
CREATE TABLE audit_keys (
	id         TEXT PRIMARY KEY,
	purpose    TEXT NOT NULL CHECK (purpose IN ('checkpoint', 'entry')),
	name       TEXT NOT NULL,
	public_key BYTEA NOT NULL,
	sealed     BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	retired_at TIMESTAMPTZ
);
-- At most one key of each purpose signs.
CREATE UNIQUE INDEX audit_keys_current ON audit_keys (purpose) WHERE retired_at IS NULL;
