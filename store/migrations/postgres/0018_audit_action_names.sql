-- 0018_audit_action_names (PostgreSQL): audit actions get stable noun.verb
-- names in the past tense (issue 15). Events written under the old names
-- take the new ones, so a name keeps one meaning across releases. The pairs
-- are keyhold.RenamedAuditActions; a test checks that this list covers
-- exactly them, in both dialects. auth.failed and ldap.bind keep their
-- names; any other action is left as it is.
UPDATE audit_events SET action = CASE action
	WHEN 'console.sign_in' THEN 'console.signed_in'
	WHEN 'organization.bootstrap' THEN 'organization.bootstrapped'
	WHEN 'role.assign' THEN 'role.assigned'
	WHEN 'role.unassign' THEN 'role.unassigned'
	WHEN 'system_account.create' THEN 'system_account.created'
	WHEN 'system_account.delete' THEN 'system_account.deleted'
	WHEN 'system_account.disable' THEN 'system_account.disabled'
	WHEN 'system_account.enable' THEN 'system_account.enabled'
	WHEN 'system_account.update' THEN 'system_account.updated'
	WHEN 'team.create' THEN 'team.created'
	WHEN 'team.delete' THEN 'team.deleted'
	WHEN 'team.member.add' THEN 'team.member_added'
	WHEN 'team.member.remove' THEN 'team.member_removed'
	WHEN 'team.update' THEN 'team.updated'
	WHEN 'token.auto_rotate' THEN 'token.auto_rotated'
	WHEN 'token.create' THEN 'token.created'
	WHEN 'token.delete' THEN 'token.deleted'
	WHEN 'token.expire' THEN 'token.expired'
	WHEN 'token.leak' THEN 'token.leaked'
	WHEN 'token.revoke' THEN 'token.revoked'
	WHEN 'token.rotate' THEN 'token.rotated'
	WHEN 'token.scope.narrow' THEN 'token.scope_narrowed'
	WHEN 'token.update' THEN 'token.updated'
	WHEN 'token.use.refused_network' THEN 'token.use_refused_network'
	WHEN 'token.use.refused_scope' THEN 'token.use_refused_scope'
	WHEN 'token_policy.update' THEN 'token_policy.updated'
	WHEN 'user.accept_invite' THEN 'user.invite_accepted'
	WHEN 'user.activate' THEN 'user.activated'
	WHEN 'user.create' THEN 'user.created'
	WHEN 'user.deactivate' THEN 'user.deactivated'
	WHEN 'user.delete' THEN 'user.deleted'
	WHEN 'user.invite' THEN 'user.invited'
	WHEN 'user.set_password' THEN 'user.password_set'
	WHEN 'user.setup_link' THEN 'user.setup_link_issued'
	WHEN 'user.update' THEN 'user.updated'
	WHEN 'webhook.create' THEN 'webhook.created'
	WHEN 'webhook.delete' THEN 'webhook.deleted'
	WHEN 'webhook.redeliver' THEN 'webhook.redelivered'
	WHEN 'webhook.rotate_secret' THEN 'webhook.secret_rotated'
	WHEN 'webhook.test' THEN 'webhook.tested'
	WHEN 'webhook.update' THEN 'webhook.updated'
	ELSE action END
WHERE action IN (
	'console.sign_in',
	'organization.bootstrap',
	'role.assign',
	'role.unassign',
	'system_account.create',
	'system_account.delete',
	'system_account.disable',
	'system_account.enable',
	'system_account.update',
	'team.create',
	'team.delete',
	'team.member.add',
	'team.member.remove',
	'team.update',
	'token.auto_rotate',
	'token.create',
	'token.delete',
	'token.expire',
	'token.leak',
	'token.revoke',
	'token.rotate',
	'token.scope.narrow',
	'token.update',
	'token.use.refused_network',
	'token.use.refused_scope',
	'token_policy.update',
	'user.accept_invite',
	'user.activate',
	'user.create',
	'user.deactivate',
	'user.delete',
	'user.invite',
	'user.set_password',
	'user.setup_link',
	'user.update',
	'webhook.create',
	'webhook.delete',
	'webhook.redeliver',
	'webhook.rotate_secret',
	'webhook.test',
	'webhook.update');
