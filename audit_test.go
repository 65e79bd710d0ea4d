package keyhold_test

import (
	"slices"
	"testing"

	"github.com/keyhold/keyhold"
)

// TestRenamedAuditActions checks the table of renames against the
// registry: every new name is a current action, no old name is one, and no
// two old names became the same new one.
func TestRenamedAuditActions(t *testing.T) {
	actions := keyhold.AuditActions()
	renamedTo := map[string]string{}
	for old, renamed := range keyhold.RenamedAuditActions {
		if slices.Contains(actions, old) {
			t.Errorf("old name %q is still a current action", old)
		}
		if !slices.Contains(actions, renamed) {
			t.Errorf("%q became %q, which keyhold.AuditActions lacks", old, renamed)
		}
		if prev, dup := renamedTo[renamed]; dup {
			t.Errorf("%q and %q both became %q", prev, old, renamed)
		}
		renamedTo[renamed] = old
	}
}
