package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

// TestCLIAuditVerify runs keyhold audit verify as an auditor would: on the
// server, on an exported bundle, with a checkpoint and keys kept outside;
// exit 0 while the log is intact, 6 once an event was edited under the
// server, naming its seq.
func TestCLIAuditVerify(t *testing.T) {
	key := make([]byte, 32)
	apitest.EachWith(t, apitest.Options{SecretKey: key}, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.run("sa", "create", "ci-bot")
		k.run("tokens", "create", "ci-bot", "--name", "deploy", "-q")
		if _, err := e.Service.AuditLog.Checkpoint(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		trusted := filepath.Join(dir, "trusted.txt")
		if err := os.WriteFile(trusted, []byte(k.run("audit", "checkpoint")), 0o600); err != nil {
			t.Fatal(err)
		}
		keys := filepath.Join(dir, "keys.txt")
		res := e.Do("GET", "/v1/audit/keys", "", nil).Want(t, 200)
		if err := os.WriteFile(keys, res.Body, 0o600); err != nil {
			t.Fatal(err)
		}
		out := k.run("audit", "verify", "--trusted", trusted, "--key", keys)
		if !strings.Contains(out, "The audit log verifies.") || !strings.Contains(out, "consistent with the trusted checkpoint") {
			t.Fatalf("verify of an intact log:\n%s", out)
		}
		bundle := filepath.Join(dir, "audit.json")
		if err := os.WriteFile(bundle, []byte(k.run("audit", "export")), 0o600); err != nil {
			t.Fatal(err)
		}
		if out := k.run("audit", "verify", "--bundle", bundle, "--trusted", trusted, "--key", keys); !strings.Contains(out, "The audit log verifies.") {
			t.Fatalf("verify of the bundle:\n%s", out)
		}

		// A filtered export proves each of its events is in the log.
		filtered := filepath.Join(dir, "tokens.json")
		if err := os.WriteFile(filtered, []byte(k.run("audit", "export", "--action", "token.created")), 0o600); err != nil {
			t.Fatal(err)
		}
		if out := k.run("audit", "verify", "--bundle", filtered, "--key", keys); !strings.Contains(out, "1/1 events valid") || !strings.Contains(out, "The audit log verifies.") {
			t.Fatalf("verify of a filtered bundle:\n%s", out)
		}
		forged := strings.Replace(string(mustRead(t, filtered)), `"target_name":"deploy"`, `"target_name":"forged"`, 1)
		if err := os.WriteFile(filtered, []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, _, code := k.exec(t.Context(), "", nil, "audit", "verify", "--bundle", filtered, "--key", keys); code != 6 || !strings.Contains(out, "INVALID: extra") {
			t.Fatalf("verify of a forged filtered bundle: exit %d\n%s", code, out)
		}

		if _, err := storetest.Raw(t, e.DBURL).Exec(`UPDATE audit_events SET actor_name = 'someone else' WHERE leaf_index = 1`); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := k.exec(t.Context(), "", nil, "audit", "verify", "--trusted", trusted, "--key", keys)
		if code != 6 || !strings.Contains(out, "INVALID: modified: seq 1:") || !strings.Contains(out, "does NOT verify") {
			t.Fatalf("verify of an edited log: exit %d\n%s\n%s", code, out, errOut)
		}
		// The bundle exported before the edit still verifies: it is the
		// evidence.
		k.run("audit", "verify", "--bundle", bundle, "--key", keys)
		k.fail(2, "audit", "verify", "--bundle", filepath.Join(dir, "nope.json"))
		k.fail(2, "audit", "verify", "--key", filepath.Join(dir, "nope.txt"))
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
