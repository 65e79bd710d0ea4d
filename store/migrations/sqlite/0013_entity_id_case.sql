-- 0013_entity_id_case (SQLite): the entity id of a role assignment is a
-- UUID, compared in any case but kept as the client sent it, so that
-- Terraform sees no difference (docs/api.md). Assignments that differ only
-- in the case of their entity id are merged first: the oldest stays, and
-- each other one is removed as an unassignment would be, with an audit
-- event, and with a change of its principal, so that every replica's
-- decision index drops it. The unique indexes then compare entity ids in
-- lower case: stricter, so a replica of the previous release still serving
-- gets a conflict for a duplicate it would have stored, as it should.
--
-- Its times are the migration's own applied_at, which store/migrate.go
-- writes before it runs this, from the store's clock. Each statement
-- names the merged assignments again (merged): a temporary table would
-- have to be dropped, and migrations after the first drop nothing.

-- The actor is keyhold itself, as for the jobs that change state without
-- a caller; event ids are random version 4 UUIDs.
WITH merged AS (
	SELECT id, role_name, entity_type_name, entity_id, entity_region, kept,
		CASE WHEN account_id IS NOT NULL THEN 'system_account' WHEN team_id IS NOT NULL THEN 'team' ELSE 'user' END AS principal_type,
		COALESCE(account_id, team_id, user_id) AS principal_id
	FROM (
		SELECT r.*, ROW_NUMBER() OVER w AS n, FIRST_VALUE(r.id) OVER w AS kept
		FROM assigned_roles r
		WINDOW w AS (PARTITION BY r.account_id, r.team_id, r.user_id, r.role_name, r.entity_type_name,
			lower(r.entity_id), r.entity_region ORDER BY r.created_at, r.id)
	) AS ranked
	WHERE n > 1
)
INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, actor_name, action, target_type,
	target_id, target_name, outcome, request_id, client_ip, user_agent, count)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
		substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
	(SELECT applied_at FROM schema_migrations WHERE version = 13),
	'anonymous', '', 'keyhold', 'role.unassign', principal_type, principal_id,
	entity_type_name || '/' || role_name || ' on ' || entity_id || ' in ' || entity_region ||
		' (assignment ' || id || ', a repeat of assignment ' || kept || ' but for the case of its entity id)',
	'success', 'migration-0013', '', '', 1
FROM merged ORDER BY principal_id, id;

WITH merged AS (
	SELECT id, role_name, entity_type_name, entity_id, entity_region, kept,
		CASE WHEN account_id IS NOT NULL THEN 'system_account' WHEN team_id IS NOT NULL THEN 'team' ELSE 'user' END AS principal_type,
		COALESCE(account_id, team_id, user_id) AS principal_id
	FROM (
		SELECT r.*, ROW_NUMBER() OVER w AS n, FIRST_VALUE(r.id) OVER w AS kept
		FROM assigned_roles r
		WINDOW w AS (PARTITION BY r.account_id, r.team_id, r.user_id, r.role_name, r.entity_type_name,
			lower(r.entity_id), r.entity_region ORDER BY r.created_at, r.id)
	) AS ranked
	WHERE n > 1
)
INSERT INTO changes (kind, entity_id, changed_at)
SELECT DISTINCT principal_type, principal_id, (SELECT applied_at FROM schema_migrations WHERE version = 13)
FROM merged;

WITH merged AS (
	SELECT id, role_name, entity_type_name, entity_id, entity_region, kept,
		CASE WHEN account_id IS NOT NULL THEN 'system_account' WHEN team_id IS NOT NULL THEN 'team' ELSE 'user' END AS principal_type,
		COALESCE(account_id, team_id, user_id) AS principal_id
	FROM (
		SELECT r.*, ROW_NUMBER() OVER w AS n, FIRST_VALUE(r.id) OVER w AS kept
		FROM assigned_roles r
		WINDOW w AS (PARTITION BY r.account_id, r.team_id, r.user_id, r.role_name, r.entity_type_name,
			lower(r.entity_id), r.entity_region ORDER BY r.created_at, r.id)
	) AS ranked
	WHERE n > 1
)
DELETE FROM assigned_roles WHERE id IN (SELECT id FROM merged);

DROP INDEX assigned_roles_account;
DROP INDEX assigned_roles_team;
DROP INDEX assigned_roles_user;
CREATE UNIQUE INDEX assigned_roles_account ON assigned_roles
	(account_id, role_name, entity_type_name, lower(entity_id), entity_region) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX assigned_roles_team ON assigned_roles
	(team_id, role_name, entity_type_name, lower(entity_id), entity_region) WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX assigned_roles_user ON assigned_roles
	(user_id, role_name, entity_type_name, lower(entity_id), entity_region) WHERE user_id IS NOT NULL;
