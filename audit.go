package keyhold

import "slices"

// auditActions is every action the service writes to the audit trail,
// sorted. A test of the service checks that each action it writes is here
// and that each one here is written, so a rename changes both.
var auditActions = []string{
	"auth.failed",
	"console.sign_in",
	"ldap.bind",
	"organization.bootstrap",
	"role.assign",
	"role.unassign",
	"system_account.create",
	"system_account.delete",
	"system_account.disable",
	"system_account.enable",
	"system_account.update",
	"team.create",
	"team.delete",
	"team.member.add",
	"team.member.remove",
	"team.update",
	"token.auto_rotate",
	"token.create",
	"token.delete",
	"token.expire",
	"token.leak",
	"token.revoke",
	"token.rotate",
	"token.scope.narrow",
	"token.update",
	"token.use.refused_network",
	"token.use.refused_scope",
	"token_policy.update",
	"user.accept_invite",
	"user.activate",
	"user.create",
	"user.deactivate",
	"user.delete",
	"user.invite",
	"user.set_password",
	"user.setup_link",
	"user.update",
	"webhook.create",
	"webhook.delete",
	"webhook.redeliver",
	"webhook.rotate_secret",
	"webhook.test",
	"webhook.update",
}

// AuditActions returns every action of the audit trail, sorted.
func AuditActions() []string { return slices.Clone(auditActions) }
