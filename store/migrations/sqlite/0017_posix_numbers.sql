-- 0017_posix_numbers (SQLite): the directory's POSIX numbers. System
-- accounts and users share one uidNumber counter (each one's private group
-- has the gidNumber of its uidNumber); teams take gidNumbers from another.
-- A counter only grows: a number is never given again after a deletion.
CREATE TABLE posix_counters (
	name       TEXT PRIMARY KEY CHECK (name IN ('uid', 'gid')),
	next_value BIGINT NOT NULL
);

ALTER TABLE system_accounts ADD COLUMN uid_number BIGINT;
ALTER TABLE users ADD COLUMN uid_number BIGINT;
ALTER TABLE teams ADD COLUMN gid_number BIGINT;

-- Existing principals are numbered from 2000 (teams from 4000), accounts
-- and users together, oldest first (created_at, then id).
UPDATE system_accounts SET uid_number = n.num FROM (
	SELECT p.id, 1999 + ROW_NUMBER() OVER (ORDER BY p.created_at, p.id) AS num FROM (
		SELECT id, created_at FROM system_accounts UNION ALL SELECT id, created_at FROM users) p
	) n WHERE n.id = system_accounts.id;
UPDATE users SET uid_number = n.num FROM (
	SELECT p.id, 1999 + ROW_NUMBER() OVER (ORDER BY p.created_at, p.id) AS num FROM (
		SELECT id, created_at FROM system_accounts UNION ALL SELECT id, created_at FROM users) p
	) n WHERE n.id = users.id;
UPDATE teams SET gid_number = n.num FROM (
	SELECT id, 3999 + ROW_NUMBER() OVER (ORDER BY created_at, id) AS num FROM teams
	) n WHERE n.id = teams.id;

INSERT INTO posix_counters (name, next_value) VALUES
	('uid', 2000 + (SELECT COUNT(*) FROM system_accounts) + (SELECT COUNT(*) FROM users)),
	('gid', 4000 + (SELECT COUNT(*) FROM teams));

-- A uidNumber is unique across accounts and users: the shared counter
-- gives each once; these indexes hold each table to it.
CREATE UNIQUE INDEX system_accounts_uid_number ON system_accounts (uid_number);
CREATE UNIQUE INDEX users_uid_number ON users (uid_number);
CREATE UNIQUE INDEX teams_gid_number ON teams (gid_number);
