-- 0001_init (SQLite): the initial schema.
--
-- Times are TIMESTAMP columns that the driver writes as UTC text in one
-- format (_time_format=sqlite), so text order is time order. The *_fold
-- columns hold strings lowered in Go, because SQLite's lower() and LIKE only
-- fold ASCII; every case-insensitive match and uniqueness uses them.

CREATE TABLE organization (
	id                    TEXT PRIMARY KEY,
	-- singleton keeps the table to one row.
	singleton             INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1),
	name                  TEXT NOT NULL,
	owner_id              TEXT NOT NULL,
	login_path            TEXT NOT NULL,
	state                 TEXT NOT NULL,
	retention_period_days INTEGER NOT NULL,
	created_at            TIMESTAMP NOT NULL,
	updated_at            TIMESTAMP NOT NULL
);

CREATE TABLE system_accounts (
	id               TEXT PRIMARY KEY,
	name             TEXT NOT NULL,
	name_fold        TEXT NOT NULL,
	description      TEXT NOT NULL,
	description_fold TEXT NOT NULL,
	konnect_managed  INTEGER NOT NULL CHECK (konnect_managed IN (0, 1)),
	managed_by_type  TEXT NOT NULL,
	managed_by_id    TEXT NOT NULL,
	created_at       TIMESTAMP NOT NULL,
	updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX system_accounts_name_fold ON system_accounts (name_fold);
CREATE INDEX system_accounts_name ON system_accounts (name);
CREATE INDEX system_accounts_created ON system_accounts (created_at, id);

CREATE TABLE users (
	id              TEXT PRIMARY KEY,
	email           TEXT NOT NULL,
	email_fold      TEXT NOT NULL,
	full_name       TEXT NOT NULL,
	full_name_fold  TEXT NOT NULL,
	preferred_name  TEXT NOT NULL,
	active          INTEGER NOT NULL CHECK (active IN (0, 1)),
	inferred_region TEXT NOT NULL,
	password_hash   TEXT NOT NULL,
	created_at      TIMESTAMP NOT NULL,
	updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_fold ON users (email_fold);
CREATE INDEX users_created ON users (created_at, id);

-- tokens holds both kinds: spat tokens of system accounts and kpat personal
-- access tokens of users. The kind and the owner column must agree.
CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	account_id   TEXT REFERENCES system_accounts (id) ON DELETE CASCADE,
	user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	name_fold    TEXT NOT NULL,
	digest       BLOB NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	updated_at   TIMESTAMP NOT NULL,
	expires_at   TIMESTAMP,
	last_used_at TIMESTAMP,
	revoked_at   TIMESTAMP,
	revoked_by   TEXT,
	CHECK ((kind = 'spat' AND account_id IS NOT NULL AND user_id IS NULL)
	    OR (kind = 'kpat' AND user_id IS NOT NULL AND account_id IS NULL))
);
CREATE UNIQUE INDEX tokens_digest ON tokens (digest);
-- A revoked token keeps its name but frees it for a new token.
CREATE UNIQUE INDEX tokens_account_name ON tokens (account_id, name)
	WHERE revoked_at IS NULL AND account_id IS NOT NULL;
CREATE UNIQUE INDEX tokens_user_name ON tokens (user_id, name)
	WHERE revoked_at IS NULL AND user_id IS NOT NULL;
CREATE INDEX tokens_account ON tokens (account_id, created_at, id) WHERE account_id IS NOT NULL;
CREATE INDEX tokens_user ON tokens (user_id, created_at, id) WHERE user_id IS NOT NULL;

CREATE TABLE teams (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	name_fold   TEXT NOT NULL,
	description TEXT,
	system_team INTEGER NOT NULL CHECK (system_team IN (0, 1)),
	-- system_key names a predefined team; '' for ordinary teams.
	system_key  TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX teams_system_key ON teams (system_key) WHERE system_key <> '';
CREATE INDEX teams_created ON teams (created_at, id);

CREATE TABLE team_labels (
	team_id    TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	value_fold TEXT NOT NULL,
	PRIMARY KEY (team_id, key)
);
CREATE INDEX team_labels_key ON team_labels (key, value);

-- team_members holds both kinds of member: exactly one of account_id and
-- user_id is set.
CREATE TABLE team_members (
	team_id    TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	account_id TEXT REFERENCES system_accounts (id) ON DELETE CASCADE,
	user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
	created_at TIMESTAMP NOT NULL,
	CHECK ((account_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX team_members_account ON team_members (team_id, account_id) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX team_members_user ON team_members (team_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX team_members_by_account ON team_members (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX team_members_by_user ON team_members (user_id) WHERE user_id IS NOT NULL;

-- assigned_roles: exactly one principal column is set. One partial unique
-- index per principal kind keeps an assignment from repeating.
CREATE TABLE assigned_roles (
	id               TEXT PRIMARY KEY,
	account_id       TEXT REFERENCES system_accounts (id) ON DELETE CASCADE,
	team_id          TEXT REFERENCES teams (id) ON DELETE CASCADE,
	user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
	role_name        TEXT NOT NULL,
	entity_type_name TEXT NOT NULL,
	entity_id        TEXT NOT NULL,
	entity_region    TEXT NOT NULL,
	created_at       TIMESTAMP NOT NULL,
	CHECK ((account_id IS NOT NULL) + (team_id IS NOT NULL) + (user_id IS NOT NULL) = 1)
);
CREATE UNIQUE INDEX assigned_roles_account ON assigned_roles
	(account_id, role_name, entity_type_name, entity_id, entity_region) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX assigned_roles_team ON assigned_roles
	(team_id, role_name, entity_type_name, entity_id, entity_region) WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX assigned_roles_user ON assigned_roles
	(user_id, role_name, entity_type_name, entity_id, entity_region) WHERE user_id IS NOT NULL;

-- audit_events: seq breaks ties between events of the same instant;
-- AUTOINCREMENT keeps it from ever reusing a value after retention deletes.
CREATE TABLE audit_events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	occurred_at TIMESTAMP NOT NULL,
	actor_type  TEXT NOT NULL,
	actor_id    TEXT NOT NULL,
	actor_name  TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	target_name TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	client_ip   TEXT NOT NULL,
	user_agent  TEXT NOT NULL,
	count       INTEGER NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (occurred_at DESC, seq DESC);
