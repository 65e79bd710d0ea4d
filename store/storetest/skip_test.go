package storetest_test

import (
	"os"
	"testing"

	"github.com/keyhold/keyhold/store/storetest"
)

// TestPostgresConfigured says plainly, under go test -v, whether the
// PostgreSQL half of the suite ran.
func TestPostgresConfigured(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("KEYHOLD_TEST_POSTGRES is not set: every PostgreSQL test is skipped; only SQLite ran")
	}
	if got := storetest.Backends(t); len(got) != 2 {
		t.Errorf("backends = %v, want sqlite and postgres", got)
	}
}
