package store

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/keyhold/keyhold"
)

// TestRenameMigrationCoversRegistry checks that migration 0018's SQL, in
// both dialects, renames exactly the pairs of keyhold.RenamedAuditActions:
// one WHEN for each pair, and each old name in its WHERE list, and nothing
// else.
func TestRenameMigrationCoversRegistry(t *testing.T) {
	var wantWhen, wantIn []string
	for old, renamed := range keyhold.RenamedAuditActions {
		wantWhen = append(wantWhen, fmt.Sprintf("%s→%s", old, renamed))
		wantIn = append(wantIn, old)
	}
	slices.Sort(wantWhen)
	slices.Sort(wantIn)
	when := regexp.MustCompile(`WHEN '([^']*)' THEN '([^']*)'`)
	in := regexp.MustCompile(`(?s)WHERE action IN \(([^)]*)\)`)
	quoted := regexp.MustCompile(`'([^']*)'`)
	for _, d := range []string{"sqlite", "postgres"} {
		ms, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ms, func(m migration) bool { return m.version == 18 })
		if i < 0 || ms[i].name != "0018_audit_action_names.sql" {
			t.Fatalf("%s: no migration 0018_audit_action_names", d)
		}
		sql := ms[i].sql
		var gotWhen, gotIn []string
		for _, m := range when.FindAllStringSubmatch(sql, -1) {
			gotWhen = append(gotWhen, m[1]+"→"+m[2])
		}
		list := in.FindStringSubmatch(sql)
		if list == nil {
			t.Fatalf("%s: 0018 has no WHERE action IN (…)", d)
		}
		for _, m := range quoted.FindAllStringSubmatch(list[1], -1) {
			gotIn = append(gotIn, m[1])
		}
		slices.Sort(gotWhen)
		slices.Sort(gotIn)
		if !slices.Equal(gotWhen, wantWhen) {
			t.Errorf("%s: 0018 renames %v, want %v", d, gotWhen, wantWhen)
		}
		if !slices.Equal(gotIn, wantIn) {
			t.Errorf("%s: 0018 selects %v, want %v", d, gotIn, wantIn)
		}
	}
}
