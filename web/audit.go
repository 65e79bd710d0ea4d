package web

import (
	"maps"
	"slices"

	"github.com/keyhold/keyhold"
)

// eventCredential is an audit event's credential as the console shows it:
// its method, the start of its fingerprint, and a link to the token on
// its owner's page when the credential is a token.
type eventCredential struct {
	Method      string
	Fingerprint string
	Short       string
	TokenShort  string
	Link        string
}

// credentialOf returns the credential an event names, or nil for none.
func credentialOf(e *keyhold.AuditEvent) *eventCredential {
	c := e.Credential
	if c.IsZero() {
		return nil
	}
	out := &eventCredential{Method: c.Method, Fingerprint: c.Fingerprint, Short: shortID(c.Fingerprint)}
	// A session's id names no page; a token's is on its owner's, the actor.
	if c.ID != "" && c.Method != keyhold.AuthSession {
		out.TokenShort = shortID(c.ID)
		switch e.ActorType {
		case keyhold.PrincipalSystemAccount:
			out.Link = "/ui/accounts/" + e.ActorID + "#token-" + c.ID
		case keyhold.PrincipalUser:
			out.Link = "/ui/users/" + e.ActorID + "#token-" + c.ID
		}
	}
	return out
}

// eventChange is one field's change as the console shows it: the JSON
// values, or Secret for a secret field, which has none.
type eventChange struct {
	Field, Before, After string
	Secret               bool
}

// changesOf returns an event's changes, by field name.
func changesOf(e *keyhold.AuditEvent) []eventChange {
	var out []eventChange
	for _, field := range slices.Sorted(maps.Keys(e.Changes)) {
		c := e.Changes[field]
		if c.Changed && c.Before == nil && c.After == nil {
			out = append(out, eventChange{Field: field, Secret: true})
			continue
		}
		out = append(out, eventChange{Field: field, Before: jsonText(c.Before), After: jsonText(c.After)})
	}
	return out
}

func jsonText(v []byte) string {
	if len(v) == 0 {
		return "null"
	}
	return string(v)
}
