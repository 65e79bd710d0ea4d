package cli

import (
	"encoding/json"
	"testing"

	"github.com/keyhold/keyhold/client"
)

func TestAuditTableCells(t *testing.T) {
	changes := map[string]client.AuditChange{
		"name":           {Before: json.RawMessage(`"old"`), After: json.RawMessage(`"new"`)},
		"description":    {Before: json.RawMessage(`null`), After: json.RawMessage(`"x"`)},
		"signing_secret": {Changed: true},
	}
	if got, want := changesText(changes), `description: null → "x"; name: "old" → "new"; signing_secret: changed`; got != want {
		t.Errorf("changes cell = %q, want %q", got, want)
	}
	if got := changesText(nil); got != "" {
		t.Errorf("no changes = %q", got)
	}
	c := &client.AuditCredential{ID: "t", Fingerprint: "0123456789abcdef", Method: "basic"}
	if got := credentialText(c); got != "basic 01234567" {
		t.Errorf("credential cell = %q", got)
	}
	if got := credentialText(nil); got != "" {
		t.Errorf("no credential = %q", got)
	}
}
