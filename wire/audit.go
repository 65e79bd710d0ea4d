package wire

import (
	"encoding/base64"
	"encoding/json"

	"github.com/keyhold/keyhold"
)

// AuditEventOf is the wire form of e.
func AuditEventOf(e *keyhold.AuditEvent) AuditEvent {
	out := AuditEvent{ID: e.ID, OccurredAt: e.Time, ActorType: string(e.ActorType), ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName, SubjectAccountID: e.SubjectID,
		Outcome: e.Outcome, RequestID: e.RequestID, ClientIP: e.ClientIP, UserAgent: e.UserAgent, Count: e.Count, Reason: e.Reason,
		Seq: e.Seq, LeafHash: base64.StdEncoding.EncodeToString(e.Hash[:])}
	if !e.Credential.IsZero() {
		out.Credential = &AuditCredential{ID: e.Credential.ID, Fingerprint: e.Credential.Fingerprint, Method: e.Credential.Method}
	}
	if len(e.Changes) > 0 {
		out.Changes = make(map[string]AuditChange, len(e.Changes))
		for k, c := range e.Changes {
			out.Changes[k] = AuditChange{Before: c.Before, After: c.After, Changed: c.Changed}
		}
	}
	return out
}

// Domain is the event e describes, as the server holds it: what a verifier
// rebuilds the event's leaf from (keyhold.AuditEvent.LeafData). Hash is
// the leaf hash e states, zero if it does not parse.
func (e *AuditEvent) Domain() *keyhold.AuditEvent {
	out := &keyhold.AuditEvent{ID: e.ID, Time: e.OccurredAt.UTC(), ActorType: keyhold.PrincipalType(e.ActorType), ActorID: e.ActorID,
		ActorName: e.ActorName, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName,
		SubjectID: e.SubjectAccountID, Outcome: e.Outcome, RequestID: e.RequestID, ClientIP: e.ClientIP, UserAgent: e.UserAgent,
		Count: e.Count, Reason: e.Reason, Seq: e.Seq}
	if e.Credential != nil {
		out.Credential = keyhold.AuditCredential{ID: e.Credential.ID, Fingerprint: e.Credential.Fingerprint, Method: e.Credential.Method}
	}
	if len(e.Changes) > 0 {
		out.Changes = make(map[string]keyhold.AuditChange, len(e.Changes))
		for k, c := range e.Changes {
			out.Changes[k] = keyhold.AuditChange{Before: compact(c.Before), After: compact(c.After), Changed: c.Changed}
		}
	}
	if h, err := base64.StdEncoding.DecodeString(e.LeafHash); err == nil && len(h) == len(out.Hash) {
		copy(out.Hash[:], h)
	}
	return out
}

// compact is raw as the audit log encodes it (keyhold.CanonicalJSON), or
// raw itself when it is not JSON: the leaf then does not verify, as it
// should not.
func compact(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	if c, err := keyhold.CanonicalJSON(raw); err == nil {
		return c
	}
	return raw
}
