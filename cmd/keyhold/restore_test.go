package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

// written is one account and its token, acknowledged at ackedAt.
type written struct {
	accountID, token string
	ackedAt          time.Time
}

// writeLoad creates accounts with a token each through p until ctx ends,
// and returns every pair whose both writes were acknowledged.
func writeLoad(ctx context.Context, t *testing.T, p *process, admin string) func() []written {
	var mu sync.Mutex
	var out []written
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				status, acct := p.call(t, "POST", "/v3/system-accounts", admin, fmt.Sprintf(`{"name":"load-%d-%d","description":""}`, w, i))
				if status != 201 {
					t.Errorf("create account under load: %d %v", status, acct)
					return
				}
				status, tok := p.call(t, "POST", "/v3/system-accounts/"+acct["id"].(string)+"/access-tokens", admin, `{"name":"t"}`)
				if status != 201 {
					t.Errorf("mint under load: %d %v", status, tok)
					return
				}
				mu.Lock()
				out = append(out, written{acct["id"].(string), tok["token"].(string), time.Now()})
				mu.Unlock()
			}
		})
	}
	return func() []written { wg.Wait(); mu.Lock(); defer mu.Unlock(); return out }
}

// checkRestored starts keyhold on the restored database and checks that
// every write acknowledged before the backup started is there, and that
// its token authenticates unless revoke-since revoked it.
func checkRestored(t *testing.T, dbURL string, before []written, backupStart time.Time, admin string) {
	t.Helper()
	var out, errb apitest.Buffer
	since := backupStart.UTC().Format(time.RFC3339Nano)
	if code := run(t.Context(), []string{"tokens", "revoke-since", "--db", dbURL, "--since", since}, stdio{out: &out, err: &errb}, noEnv, nil); code != 0 {
		t.Fatalf("revoke-since: %d %s", code, errb.String())
	}
	t.Logf("revoke-since %s: %s", since, out.String())
	p := startServe(t, "--db", dbURL)
	if status, _ := p.call(t, "GET", "/v3/users/me", admin, ""); status != 200 {
		t.Fatalf("the admin's token after the restore: %d", status)
	}
	kept := 0
	for _, w := range before {
		if status, _ := p.call(t, "GET", "/v3/system-accounts/"+w.accountID, admin, ""); status != 200 {
			t.Errorf("account %s, acknowledged before the backup, after the restore: %d", w.accountID, status)
		}
		status, _ := p.call(t, "GET", "/v1/authorize", w.token, "")
		switch {
		case status != 200:
			t.Errorf("a token acknowledged at %v, before the backup at %v, after the restore: %d", w.ackedAt, backupStart, status)
		default:
			kept++
		}
	}
	if len(before) == 0 {
		t.Fatal("no write was acknowledged before the backup started")
	}
	t.Logf("%d accounts acknowledged before the backup were restored, %d of their tokens authenticate", len(before), kept)
}

func acknowledgedBefore(all []written, at time.Time) []written {
	var out []written
	for _, w := range all {
		if w.ackedAt.Before(at) {
			out = append(out, w)
		}
	}
	return out
}

// TestBackupRestoreSQLite takes `keyhold backup` of a server's SQLite
// database under write load, restores the snapshot into a fresh directory
// and serves it: what was acknowledged before the backup started is there
// and its tokens authenticate; tokens minted since are revoked by
// revoke-since.
func TestBackupRestoreSQLite(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "keyhold.db")
	p := startServe(t, "--db", db)
	admin := kpatPattern.FindString(p.out.String())
	ctx, stop := context.WithCancel(t.Context())
	done := writeLoad(ctx, t, p, admin)
	time.Sleep(700 * time.Millisecond)
	start := time.Now()
	snap := filepath.Join(t.TempDir(), "snap.db")
	var out, errb apitest.Buffer
	if code := run(t.Context(), []string{"backup", "--db", db, "--out", snap}, stdio{out: &out, err: &errb}, noEnv, nil); code != 0 {
		t.Fatalf("backup: %d %s", code, errb.String())
	}
	time.Sleep(300 * time.Millisecond) // writes go on after the backup
	stop()
	all := done()
	p.shutdown(t)

	restored := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "keyhold.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The secret key serve created goes with the database, as the
	// procedure says: without it the audit log's keys do not open.
	key, err := os.ReadFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	before := acknowledgedBefore(all, start)
	t.Logf("%d writes acknowledged in all, %d before the backup started", len(all), len(before))
	checkRestored(t, "sqlite:"+filepath.Join(restored, "keyhold.db"), before, start, admin)
}

// TestBackupRestorePostgres follows docs/operations.md: pg_dump of a
// database keyhold serves, under write load, restored with pg_restore into
// a new database that keyhold then serves.
func TestBackupRestorePostgres(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skipf("%s is not set", storetest.EnvPostgres)
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (Debian: apt-get install postgresql-client): %v", tool, err)
		}
	}
	src, dst := newDatabase(t), newDatabase(t)
	p := startServe(t, "--db", src)
	admin := kpatPattern.FindString(p.out.String())
	ctx, stop := context.WithCancel(t.Context())
	done := writeLoad(ctx, t, p, admin)
	time.Sleep(700 * time.Millisecond)
	start := time.Now()
	dump := filepath.Join(t.TempDir(), "keyhold.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, "--dbname="+src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	all := done()
	p.shutdown(t)
	if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	before := acknowledgedBefore(all, start)
	t.Logf("%d writes acknowledged in all, %d before pg_dump started", len(all), len(before))
	checkRestored(t, dst, before, start, admin)
}

// newDatabase creates a database of its own on the test server, as an
// operator's would be, and drops it after the test.
func newDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv(storetest.EnvPostgres)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "keyhold_restore_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = admin.Close() }()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
