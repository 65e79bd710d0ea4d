package store

import (
	"slices"
	"strings"
	"testing"
)

// TestMigrationVersions checks the embedded migrations: they parse, their
// numbers run 1, 2, 3… without gaps, and both dialects have the same ones.
func TestMigrationVersions(t *testing.T) {
	var versions [2][]int
	for i, d := range []string{"sqlite", "postgres"} {
		ms, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		for j, m := range ms {
			if m.version != j+1 {
				t.Fatalf("%s: migration %s has number %d, want %d", d, m.name, m.version, j+1)
			}
			versions[i] = append(versions[i], m.version)
		}
	}
	if len(versions[0]) == 0 || !slices.Equal(versions[0], versions[1]) {
		t.Fatalf("sqlite has %v, postgres %v", versions[0], versions[1])
	}
}

// TestMigrationsAdditive keeps migrations after the first additive, so that
// replicas of the previous release keep serving while a new one migrates:
// nothing is dropped, renamed or retyped. The one exception is replacing a
// unique index (DROP INDEX), allowed only when the same migration creates a
// unique index in its place: an older release cannot notice a looser one,
// since every row it writes satisfies both, and gets a stricter one's
// refusals as the conflicts it already answers (0013: entity ids in any
// case).
func TestMigrationsAdditive(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		ms, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms[1:] {
			var code []string
			for _, line := range strings.Split(m.sql, "\n") {
				line, _, _ = strings.Cut(line, "--")
				code = append(code, line)
			}
			sql := strings.ToUpper(strings.Join(strings.Fields(strings.Join(code, " ")), " "))
			if strings.Contains(sql, "CREATE UNIQUE INDEX") {
				sql = strings.ReplaceAll(sql, "DROP INDEX ", "")
			}
			for _, bad := range []string{"DROP ", "RENAME ", "ALTER COLUMN", "TRUNCATE "} {
				if strings.Contains(sql, bad) {
					t.Errorf("%s/%s contains %q: migrations after the first must only add", d, m.name, bad)
				}
			}
		}
	}
}
