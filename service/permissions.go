package service

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/keyhold/keyhold"
)

// Access is the kind of caller an operation admits, decided from the
// permission table before the operation reads or writes anything.
type Access string

// Kinds of access.
const (
	// AccessPublic admits anyone: the call's own input is the credential
	// (a token to decide, a setup secret, a password) or it needs none.
	AccessPublic Access = "public"
	// AccessAuthenticated admits any principal.
	AccessAuthenticated Access = "authenticated"
	// AccessSelfOr admits the principal acting on itself, as the row's
	// Self says, or one that holds the row's permission.
	AccessSelfOr Access = "self or permission"
	// AccessPermission admits a principal that holds the row's permission.
	AccessPermission Access = "permission"
	// AccessSystem admits keyhold itself only (AsSystem): the operator's
	// commands on the database, never a request.
	AccessSystem Access = "system"
	// AccessInternal marks the process's own machinery: the index, the
	// change feed and the background jobs. They act for no caller, yield
	// nothing, and no transport's service interfaces expose them.
	AccessInternal Access = "internal"
)

// Rule is one row of the permission table.
type Rule struct {
	Access Access
	// Perm is the permission of AccessPermission and AccessSelfOr rows.
	Perm keyhold.Permission
	// Self says when the caller acts on itself, for AccessSelfOr rows.
	Self string
	// Action is the audit action of an operation that changes state; a
	// refusal of it is audited as denied. Empty for reads.
	Action string
	// Guards are the checks the operation makes beyond the row, once its
	// arguments are known.
	Guards string
}

func read() Rule { return Rule{Access: AccessPermission, Perm: keyhold.PermIdentityRead} }
func write(action, g string) Rule {
	return Rule{Access: AccessPermission, Perm: keyhold.PermIdentityWrite, Action: action, Guards: g}
}

func auditAdmin(action string) Rule {
	return Rule{Access: AccessPermission, Perm: keyhold.PermAuditAdmin, Action: action}
}

const (
	guardManaged = "a managed account only by its manager"
	guardGrant   = "gives only roles the caller holds"
	guardActAs   = "the caller must hold every privilege of the principal whose credential it yields"
	selfPAT      = "the user, with a personal token or console session"
	// guardSuccessors is on destinations of token.auto_rotated, whose
	// deliveries carry new values of the account's tokens.
	guardSuccessors = "never of the caller's own account; " + guardActAs
)

// rules is keyhold's permission policy: every exported operation of the
// service, by method name, with what its caller needs. Each operation
// checks its row first (authorize); docs/security.md prints this table,
// and a test holds both the table and the document to the code.
var rules = map[string]Rule{
	// Authentication and the decision surfaces: the credentials presented
	// are the input.
	"Authenticate":      {Access: AccessPublic},
	"May":               {Access: AccessPublic},
	"Decide":            {Access: AccessPublic},
	"DecideRequest":     {Access: AccessPublic},
	"CheckSubject":      {Access: AccessPermission, Perm: keyhold.PermIntrospect},
	"IntrospectSubject": {Access: AccessPermission, Perm: keyhold.PermIntrospect},
	"ReportLeak":        {Access: AccessPublic, Action: "token.leaked", Guards: "revokes only tokens whose values it is given"},

	// The LDAP directory (docs/ldap.md): a bind's credentials are its
	// input, like Authenticate's; a search needs a bound principal.
	"Bind": {Access: AccessPublic,
		Guards: "an app-password token of the very account the bind DN names, usable from the client's address, whose scope (if any) includes directory:read; every refusal is the same invalidCredentials, audited with its reason, counted in the failed-authentication limit"},
	"BoundDN": {Access: AccessPublic, Guards: "formats the DN of a principal Bind returned; reads and decides nothing"},
	"Search": {Access: AccessAuthenticated,
		Guards: "the whole tree needs directory:read; otherwise the caller's own entry and its teams"},

	"ListSystemAccounts":       read(),
	"ListAccountSummaries":     read(),
	"GetSystemAccount":         read(),
	"CreateSystemAccount":      write("system_account.created", ""),
	"UpdateSystemAccount":      write("system_account.updated", guardManaged),
	"DeleteSystemAccount":      write("system_account.deleted", guardManaged),
	"SetSystemAccountDisabled": write("system_account.disabled, system_account.enabled", guardManaged+"; enabling: "+guardActAs),

	"ListTokens": {Access: AccessSelfOr, Perm: keyhold.PermIdentityRead, Self: selfPAT},
	"GetToken":   {Access: AccessSelfOr, Perm: keyhold.PermIdentityRead, Self: selfPAT},
	"CreateToken": {Access: AccessSelfOr, Perm: keyhold.PermIdentityWrite, Self: selfPAT, Action: "token.created",
		Guards: "personal tokens only by their user; an account never mints for itself; " + guardManaged + "; " + guardActAs},
	"RenameToken": {Access: AccessSelfOr, Perm: keyhold.PermIdentityWrite, Self: selfPAT, Action: "token.updated",
		Guards: "personal tokens only by their user; " + guardManaged},
	"RevokeToken": {Access: AccessSelfOr, Perm: keyhold.PermIdentityWrite, Self: selfPAT, Action: "token.revoked", Guards: guardManaged},
	"DeleteToken": {Access: AccessSelfOr, Perm: keyhold.PermIdentityWrite, Self: selfPAT, Action: "token.deleted",
		Guards: "personal tokens only by their user; " + guardManaged},
	"RotateToken": {Access: AccessSelfOr, Perm: keyhold.PermIdentityWrite, Self: "the token rotating itself", Action: "token.rotated",
		Guards: guardManaged + "; an account never rotates its other tokens; another's token: " + guardActAs},
	"ListExpiringTokens": read(),

	"Catalogue":         {Access: AccessPublic},
	"ListAssignedRoles": read(),
	"GetAssignedRole":   read(),
	"AssignRole":        write("role.assigned", guardGrant+"; system teams' roles are fixed; "+guardManaged),
	"UnassignRole":      write("role.unassigned", "system teams' roles are fixed; "+guardManaged),
	// Whoever may assign roles may see which entity ids assignments already
	// name, to pick one: the ids of every principal's assignments, which a
	// reader of one principal at a time also sees, gathered for a form.
	"SuggestEntityIDs": {Access: AccessPermission, Perm: keyhold.PermIdentityWrite},

	"ListTeams":              read(),
	"GetTeam":                read(),
	"ListTeamSystemAccounts": read(),
	"ListTeamUsers":          read(),
	"ListMemberTeams":        read(),
	"CreateTeam":             write("team.created", ""),
	"UpdateTeam":             write("team.updated", "system teams are fixed"),
	"DeleteTeam":             write("team.deleted", "system teams are fixed"),
	"AddTeamMember":          write("team.member_added", "the caller must hold every role of the team; Organization Admin (Read Only) only by Organization Admin"),
	"RemoveTeamMember":       write("team.member_removed", "never the last active user of Organization Admin"),

	"ListUsers":      read(),
	"GetUser":        read(),
	"CreateUser":     write("user.created", ""),
	"InviteUser":     write("user.invited", ""),
	"UpdateUser":     write("user.updated", ""),
	"DeleteUser":     write("user.deleted", "never the last active user of Organization Admin"),
	"IssueSetupLink": write("user.setup_link_issued", guardActAs),
	"Me":             {Access: AccessAuthenticated, Guards: "users only"},
	"SetUserActive":  write("user.deactivated, user.activated", "never the last active user of Organization Admin; activating: "+guardActAs),

	"Organization":       {Access: AccessAuthenticated},
	"UpdateOrganization": write("organization.updated", "Organization Admin only"),
	"ListAuditEvents":    {Access: AccessPermission, Perm: keyhold.PermAuditRead},

	// The audit log's integrity: checkpoints, proofs and leaves need the
	// audit trail's own permission; the verifier keys are public, since
	// they prove nothing without what they verify.
	"LatestCheckpoint": {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"Checkpoints":      {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"Leaves":           {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"InclusionProof":   {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"ConsistencyProof": {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"ProveEvents":      {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"Status":           {Access: AccessPermission, Perm: keyhold.PermAuditRead},
	"Keys":             {Access: AccessPublic},
	"RotateAuditKey":   write("audit.signing_key_rotated", "Organization Admin only; the retired key stays published"),
	// Export of the audit trail, in Konnect's shape: its audit_logs Admin
	// role. The Authorization value of a destination is write-only.
	"ListAuditDestinations":  auditAdmin(""),
	"GetAuditDestination":    auditAdmin(""),
	"CreateAuditDestination": auditAdmin("audit.destination_created"),
	"UpdateAuditDestination": auditAdmin("audit.destination_updated"),
	"DeleteAuditDestination": auditAdmin("audit.destination_deleted"),
	"AuditLogWebhook":        auditAdmin(""),
	"UpdateAuditLogWebhook":  auditAdmin("audit.webhook_updated"),
	"ReplayAuditLogs":        auditAdmin("audit.replay_requested"),
	"AuditLogReplayJob":      auditAdmin(""),
	// Every principal that mints a token is bound by the policy, so every
	// one may read it: the token forms offer only what it allows.
	"TokenPolicy":    {Access: AccessAuthenticated},
	"SetTokenPolicy": write("token_policy.updated", ""),

	"ListWebhooks":          read(),
	"GetWebhook":            read(),
	"ListWebhookDeliveries": read(),
	"CreateWebhook":         write("webhook.created", "receiving token.auto_rotated: "+guardSuccessors),
	"UpdateWebhook":         write("webhook.updated", "receiving token.auto_rotated: "+guardSuccessors),
	"DeleteWebhook":         write("webhook.deleted", ""),
	"RotateWebhookSecret":   write("webhook.secret_rotated", ""),
	"TestWebhook":           write("webhook.tested", ""),
	"RedeliverWebhook":      write("webhook.redelivered", "a token.auto_rotated delivery: "+guardActAs),

	// The console's sign-in: the password or the one-time secret is the
	// credential.
	"SignIn":               {Access: AccessPublic},
	"Session":              {Access: AccessPublic},
	"SignOut":              {Access: AccessPublic},
	"SetupUser":            {Access: AccessPublic},
	"SetPasswordWithSetup": {Access: AccessPublic, Action: "user.password_set"},
	// A console form's one-time nonce, used by the form that mints.
	"UseFormNonce": {Access: AccessAuthenticated},

	// Operator commands on the database: keyhold init, keyhold users
	// set-password, the first start of keyhold serve.
	"Bootstrap":       {Access: AccessSystem, Action: "organization.bootstrapped"},
	"CreateSetupLink": {Access: AccessSystem, Action: "user.setup_link_issued"},
	"SetPassword":     {Access: AccessSystem, Action: "user.password_set"},
	"RevokeTokensSince": {Access: AccessSystem, Action: "token.revoked",
		Guards: "the operator's command on the database; it can stop every pipeline at once"},

	"LoadIndex":  {Access: AccessInternal},
	"CatchUp":    {Access: AccessInternal},
	"Loaded":     {Access: AccessInternal},
	"Index":      {Access: AccessInternal},
	"IndexStats": {Access: AccessInternal},
	"Resolve":    {Access: AccessPublic},
	"Run":        {Access: AccessInternal},
	// The audit log's machinery: naming the log and making its keys on the
	// first start, signing checkpoints, and the entry key that signs
	// exports. EntrySigner yields a private key: no transport reaches it.
	"Setup":            {Access: AccessInternal},
	"Checkpoint":       {Access: AccessInternal},
	"EntrySigner":      {Access: AccessInternal},
	"RunJobs":          {Access: AccessInternal},
	"Flush":            {Access: AccessInternal},
	"MergeFailures":    {Access: AccessInternal},
	"DeliverWebhooks":  {Access: AccessInternal},
	"DeliverAuditLogs": {Access: AccessInternal},
}

// Rules returns a copy of the permission table, for documentation and
// tests.
func Rules() map[string]Rule { return maps.Clone(rules) }

// Operations lists the operations of the table, sorted.
func Operations() []string { return slices.Sorted(maps.Keys(rules)) }

type systemKey struct{}

// AsSystem returns ctx acting as keyhold itself, which may perform every
// operation: for the operator's commands that run on the database
// directly (keyhold init, keyhold users set-password, the first start of
// serve). No transport can reach it: httpapi and web do not import this
// package, and a context without a principal is no one.
func AsSystem(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

func isSystem(ctx context.Context) bool {
	v, _ := ctx.Value(systemKey{}).(bool)
	return v
}

// authorize checks the caller in ctx against op's row of the table. Every
// exported operation calls it first; self reports whether the caller acts
// on itself, for self-or rows. A context without a principal is nobody,
// never keyhold itself.
func (s *core) authorize(ctx context.Context, op string, self bool) error {
	r, ok := rules[op]
	if !ok {
		return fmt.Errorf("authorize: the operation %q has no row in the permission table", op)
	}
	if isSystem(ctx) || r.Access == AccessPublic {
		return nil
	}
	p := keyhold.PrincipalFromContext(ctx)
	switch {
	case p == nil:
		return errNoToken
	case p.AppPassword && (op != "RotateToken" || !self) && op != "Search":
		// An app password binds to the directory and searches it; on the
		// API it may only rotate itself (self: RotateToken's is the
		// caller's own token).
		return errAppPassword
	case r.Access == AccessAuthenticated:
		return nil
	case r.Access == AccessSelfOr && self:
		return nil
	case r.Access == AccessPermission || r.Access == AccessSelfOr:
		if s.holds(p, r.Perm) {
			return nil
		}
		return keyhold.Errorf(keyhold.EFORBIDDEN, "You do not have permission to perform this action (requires %s)", r.Perm)
	}
	return keyhold.Errorf(keyhold.EFORBIDDEN, "Only keyhold's own operator commands may perform this action")
}

// May implements keyhold.Authenticator: the check of authorize without
// recording anything. With maySelf a self-or row admits any principal,
// since whether it acts on itself is known only to the operation.
func (s *Decider) May(ctx context.Context, op string, maySelf bool) error {
	return s.authorize(ctx, op, maySelf && keyhold.PrincipalFromContext(ctx) != nil)
}

// denied records, when *err refuses the caller (EFORBIDDEN), an audit
// event with outcome denied for action: operations that change state
// defer it, so that the table's refusals and those of every guard after
// it are audited alike. Refusals are aggregated per actor, action, reason
// and minute, so that a flood of them costs no write per request.
func (s *core) denied(ctx context.Context, action string, err *error) {
	if keyhold.ErrorCode(*err) != keyhold.EFORBIDDEN {
		return
	}
	p := keyhold.PrincipalFromContext(ctx)
	if p == nil {
		return
	}
	ri := keyhold.RequestFromContext(ctx)
	s.failures.deny(denial{action: action, actor: p.Ref(), name: p.Name, reason: keyhold.ErrorMessage(*err), cred: credentialOf(p.Auth)},
		ri.ClientIP, ri.UserAgent, s.clock())
}

// isOwner reports whether the caller is the user who owns owner's
// personal tokens, signed in or with a personal token of their own.
func isOwner(ctx context.Context, owner keyhold.Ref) bool {
	p := keyhold.PrincipalFromContext(ctx)
	return p != nil && owner.Type == keyhold.PrincipalUser && p.Type == keyhold.PrincipalUser && p.ID == owner.ID &&
		(p.TokenKind == keyhold.TokenKindPersonal || p.TokenKind == keyhold.TokenKindSession)
}

// isToken reports whether the caller is the token id of owner itself.
func isToken(ctx context.Context, owner keyhold.Ref, id string) bool {
	p := keyhold.PrincipalFromContext(ctx)
	return p != nil && p.TokenID != "" && p.TokenID == id && p.Ref() == owner
}

func disabledAction(disabled bool) string {
	if disabled {
		return "system_account.disabled"
	}
	return "system_account.enabled"
}

func activeAction(active bool) string {
	if active {
		return "user.activated"
	}
	return "user.deactivated"
}
