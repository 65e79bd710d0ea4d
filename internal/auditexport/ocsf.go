package auditexport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/keyhold/keyhold"
)

// FormatOCSF is the OCSF 1.8.0 format: one event object per line, signed
// as the JSON entries are.
const FormatOCSF = keyhold.AuditFormatOCSF

// OCSFVersion is the schema version entries claim.
const OCSFVersion = "1.8.0"

// OCSF classes keyhold's events map to (OCSF 1.8.0).
const (
	ClassAccountChange    = 3001
	ClassAuthentication   = 3002
	ClassEntityManagement = 3004
	ClassUserAccess       = 3005 // User Access Management: Assign/Revoke Privileges
	ClassGroupManagement  = 3006
)

// OCSFClass returns the OCSF class and activity of an event: accounts and
// users created or deleted are Account Change; credentials' use and
// sign-ins are Authentication; roles are User Access Management; teams
// and their members Group Management; every other change (tokens,
// updates, webhooks, settings) Entity Management by its verb.
func OCSFClass(action string) (class, activity int) {
	_, verb, _ := strings.Cut(action, ".")
	switch action {
	case "system_account.created", "user.created":
		return ClassAccountChange, 1 // Create
	case "system_account.deleted", "user.deleted":
		return ClassAccountChange, 6 // Delete
	case "auth.failed", "ldap.bind", "console.signed_in", "token.use_refused_network", "token.use_refused_scope":
		return ClassAuthentication, 1 // Logon
	case "role.assigned":
		return ClassUserAccess, 1 // Assign Privileges
	case "role.unassigned":
		return ClassUserAccess, 2 // Revoke Privileges
	case "team.member_added":
		return ClassGroupManagement, 3 // Add User
	case "team.member_removed":
		return ClassGroupManagement, 4 // Remove User
	case "team.created":
		return ClassGroupManagement, 6 // Create
	case "team.deleted":
		return ClassGroupManagement, 5 // Delete
	case "token.expired":
		return ClassEntityManagement, 11 // Deactivate
	}
	switch verb {
	case "created", "invited":
		return ClassEntityManagement, 1 // Create
	case "deleted", "revoked", "leaked":
		return ClassEntityManagement, 4 // Delete
	case "enabled", "activated":
		return ClassEntityManagement, 10 // Activate
	case "disabled", "deactivated":
		return ClassEntityManagement, 11 // Deactivate
	case "updated", "rotated", "auto_rotated", "scope_narrowed", "secret_rotated", "signing_key_rotated",
		"webhook_updated", "destination_updated", "password_set", "invite_accepted":
		return ClassEntityManagement, 3 // Update
	}
	if strings.HasSuffix(verb, "_created") {
		return ClassEntityManagement, 1
	}
	if strings.HasSuffix(verb, "_deleted") {
		return ClassEntityManagement, 4
	}
	return ClassEntityManagement, 99 // Other
}

// ocsfSeverity is OCSF's severity_id: 1 Informational for a success, 3
// Medium for a refusal or a failure.
func ocsfSeverity(e *keyhold.AuditEvent) int {
	if e.Outcome == keyhold.OutcomeSuccess {
		return 1
	}
	return 3
}

// OCSF returns e as an OCSF 1.8.0 event: the required fields (activity_id,
// category_uid, class_uid, type_uid = class_uid×100 + activity_id,
// severity_id, time, metadata), the actor, the source address, and
// keyhold's own fields in unmapped; compact, keys sorted, then sig_kid and
// sig as in JSON entries.
func (f *Formatter) OCSF(e *keyhold.AuditEvent) ([]byte, error) {
	class, activity := OCSFClass(e.Action)
	status, statusID := "Success", 1
	if e.Outcome != keyhold.OutcomeSuccess {
		status, statusID = "Failure", 2
	}
	meta := map[string]any{"version": OCSFVersion, "uid": e.ID, "sequence": e.Seq,
		"product": map[string]any{"name": Product, "vendor_name": Vendor}}
	if e.RequestID != "" {
		meta["correlation_uid"] = e.RequestID
	}
	if f.OrgID != "" {
		meta["tenant_uid"] = f.OrgID
	}
	m := map[string]any{
		"activity_id": activity, "category_uid": class / 1000, "class_uid": class, "type_uid": class*100 + activity,
		"severity_id": ocsfSeverity(e), "time": e.Time.UnixMilli(), "metadata": meta, "message": e.Action,
		"status": status, "status_id": statusID, "count": e.Count,
	}
	if e.ActorID != "" || e.ActorName != "" {
		user := map[string]any{"type": string(e.ActorType)}
		if e.ActorID != "" {
			user["uid"] = e.ActorID
		}
		if e.ActorName != "" {
			user["name"] = e.ActorName
		}
		if e.Credential.ID != "" {
			user["credential_uid"] = e.Credential.ID
		}
		m["actor"] = map[string]any{"user": user}
	}
	if e.ClientIP != "" {
		m["src_endpoint"] = map[string]any{"ip": e.ClientIP}
	}
	if e.UserAgent != "" {
		m["http_request"] = map[string]any{"user_agent": e.UserAgent}
	}
	if e.Reason != "" {
		m["status_detail"] = e.Reason
	}
	unmapped := f.fields(e)
	for _, k := range []string{"rt", "count", "src", "org_id", "user_agent", "reason", "principal_id", "principal_name"} {
		delete(unmapped, k)
	}
	m["unmapped"] = unmapped
	return f.signJSON(m)
}

// signJSON encodes m compact with its keys sorted, then appends sig_kid
// and sig: Konnect's JSON rule.
func (f *Formatter) signJSON(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil { // maps encode with their keys sorted
		return nil, fmt.Errorf("audit export: %w", err)
	}
	signed := bytes.TrimSuffix(buf.Bytes(), []byte("}\n"))
	kid, _ := json.Marshal(f.KeyID)
	signed = append(append(append(signed, `,"sig_kid":`...), kid...), '}')
	sig := f.sign(signed)
	out := make([]byte, 0, len(signed)+len(sig)+16)
	out = append(out, signed[:len(signed)-1]...)
	out = append(append(append(out, `,"sig":"`...), sig...), `"}`...)
	return out, nil
}
