package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/store/storetest"
)

// feedPoll is the change feed's poll interval (service.Config.PollInterval's
// default), which docs/operations.md gives as the bound on a replica that
// missed a notification: a change reaches it "at worst on their next poll a
// second later".
const feedPoll = time.Second

// feedSlack is what the bound allows on top of feedPoll for reading the
// feed and for the test's own polling, on a shared two-core machine.
const feedSlack = time.Second

// faultResponse is an HTTP answer with its headers, for the fault tests
// that check the problem+json of a 503.
type faultResponse struct {
	status int
	header http.Header
	body   map[string]any
	err    error
}

// faultCall is process.call that keeps the headers and returns transport
// errors instead of failing, so that it can run on other goroutines.
func faultCall(p *process, method, path, token, body string) faultResponse {
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		return faultResponse{err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return faultResponse{err: err}
	}
	defer res.Body.Close()
	r := faultResponse{status: res.StatusCode, header: res.Header}
	_ = json.NewDecoder(res.Body).Decode(&r.body)
	return r
}

// wantUnavailable fails unless r is a 503 problem+json.
func wantUnavailable(t *testing.T, what string, r faultResponse) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	if r.status != 503 || r.header.Get("Content-Type") != "application/problem+json" ||
		r.body["title"] != "Service Unavailable" || r.body["detail"] == "" {
		t.Errorf("%s: %d %s %v, want a 503 problem+json", what, r.status, r.header.Get("Content-Type"), r.body)
	}
}

// countRows counts the rows of each table.
func countRows(t *testing.T, raw *sql.DB, tables ...string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, table := range tables {
		var c int
		if err := raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		n[table] = c
	}
	return n
}

// newFaultToken creates a system account and a token for it, returning
// the token's value, id and the account's id.
func newFaultToken(t *testing.T, p *process, admin, name string) (spat, tokID, acctID string) {
	t.Helper()
	status, acct := p.call(t, "POST", "/v3/system-accounts", admin, `{"name":"`+name+`","description":""}`)
	if status != 201 {
		t.Fatalf("create account %s: %d %v", name, status, acct)
	}
	acctID = acct["id"].(string)
	expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	status, tok := p.call(t, "POST", "/v3/system-accounts/"+acctID+"/access-tokens", admin, `{"name":"t","expires_at":"`+expires+`"}`)
	if status != 201 {
		t.Fatalf("create token: %d %v", status, tok)
	}
	return tok["token"].(string), tok["id"].(string), acctID
}

// backendsOf returns the client ports and pids of the backends of
// PostgreSQL that match cond (a pg_stat_activity condition) and that come
// through proxy.
func backendsOf(t *testing.T, raw *sql.DB, proxy *tcpProxy, cond string) (ports, pids []int) {
	t.Helper()
	rows, err := raw.Query(`SELECT client_port, pid FROM pg_stat_activity WHERE client_port IS NOT NULL AND ` + cond)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var port, pid int
		if err := rows.Scan(&port, &pid); err != nil {
			t.Fatal(err)
		}
		if proxy.linkTo(port) != nil {
			ports, pids = append(ports, port), append(pids, pid)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ports, pids
}

// waitFor polls cond every 10 ms until it holds, failing after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The connection to PostgreSQL is cut while a write's transaction is open:
// the client gets 503 problem+json, and nothing of the write is in the
// database (no account, no audit event, no change).
func TestPostgresCutMidTransaction(t *testing.T) {
	direct, viaProxy, proxy := proxiedPostgres(t)
	a := startServe(t, "--db", viaProxy.String())
	admin := kpatPattern.FindString(a.out.String())
	raw := storetest.Raw(t, direct)
	tables := []string{"system_accounts", "audit_events", "changes"}
	before := countRows(t, raw, tables...)

	// A direct transaction holds a lock that the write's INSERT waits on,
	// so the cut lands inside the write's transaction, not before or after.
	lock, err := raw.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback() }()
	if _, err := lock.Exec(`LOCK TABLE system_accounts IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan faultResponse, 1)
	go func() {
		done <- faultCall(a, "POST", "/v3/system-accounts", admin, `{"name":"cut-mid-transaction","description":""}`)
	}()
	var pids []int
	waitFor(t, 20*time.Second, "the write waiting on the lock inside its transaction", func() bool {
		_, pids = backendsOf(t, raw, proxy, `wait_event_type = 'Lock' AND xact_start IS NOT NULL`)
		return len(pids) == 1
	})
	proxy.cut()
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		wantUnavailable(t, "write whose connection was cut mid-transaction", r)
	case <-time.After(30 * time.Second):
		t.Fatal("the write did not answer after its connection was cut")
	}
	// The backend ends its transaction without a COMMIT: wait until it is
	// gone, then nothing of the write may be there.
	waitFor(t, 20*time.Second, "the cut backend to exit", func() bool {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1`, pids[0]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	proxy.restore()
	after := countRows(t, raw, tables...)
	for _, table := range tables {
		if after[table] != before[table] {
			t.Errorf("%s: %d rows after the cut write, %d before", table, after[table], before[table])
		}
	}
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM system_accounts WHERE name = 'cut-mid-transaction'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the cut write's account: %d rows (%v)", n, err)
	}
	// The replica goes on writing once the database is back.
	waitFor(t, 20*time.Second, "a write after the database returned", func() bool {
		return faultCall(a, "POST", "/v3/system-accounts", admin, `{"name":"after-cut","description":""}`).status == 201
	})
	if after := countRows(t, raw, "system_accounts"); after["system_accounts"] != before["system_accounts"]+1 {
		t.Errorf("system_accounts: %d rows, want %d", after["system_accounts"], before["system_accounts"]+1)
	}
}

// The LISTEN connection of a replica is lost (cut) or silently stalls
// (frozen, as a network partition would leave it): a revocation made
// meanwhile through another replica is enforced within the feed's
// documented bound, and after a cut the replica listens again.
func TestPostgresListenConnectionLost(t *testing.T) {
	direct, viaProxy, proxy := proxiedPostgres(t)
	a := startServe(t, "--db", viaProxy.String())
	b := startServe(t, "--db", direct)
	admin := kpatPattern.FindString(a.out.String()) // a started first, so a bootstrapped
	raw := storetest.Raw(t, direct)

	// The LISTEN connection is the one whose last statement looked up the
	// changes table (store/watch.go).
	listener := func() *proxyLink {
		ports, _ := backendsOf(t, raw, proxy, `query LIKE '%to_regclass(''changes'')%'`)
		if len(ports) != 1 {
			return nil
		}
		return proxy.linkTo(ports[0])
	}
	var l *proxyLink
	waitFor(t, 20*time.Second, "replica a listening through the proxy", func() bool { l = listener(); return l != nil })

	revoke := func(how string, lose func(*proxyLink)) {
		spat, tokID, acctID := newFaultToken(t, b, admin, "listen-"+how)
		waitStatus(t, a, spat, 200, how+": the new token on replica a")
		lose(l)
		deleted := time.Now()
		if status, _ := b.call(t, "DELETE", "/v3/system-accounts/"+acctID+"/access-tokens/"+tokID, admin, ""); status != 204 {
			t.Fatalf("%s: delete through replica b: %d", how, status)
		}
		waitStatus(t, a, spat, 401, how+": the deleted token on replica a")
		took := time.Since(deleted)
		t.Logf("%s: replica a refused the deleted token after %v", how, took)
		if took > feedPoll+feedSlack {
			t.Errorf("%s: replica a enforced the revocation after %v; the documented bound is the %v poll (+%v slack)", how, took, feedPoll, feedSlack)
		}
	}
	revoke("cut", (*proxyLink).cut)
	// The replica listens again on a new connection.
	waitFor(t, 20*time.Second, "replica a listening again", func() bool {
		l2 := listener()
		if l2 != nil && l2 != l {
			l = l2
			return true
		}
		return false
	})
	revoke("frozen", func(l *proxyLink) { l.frozen.Store(true) })
	// The writes of replica a go on over its other connections.
	if status, _ := a.call(t, "POST", "/v3/system-accounts", admin, `{"name":"after-listen-loss","description":""}`); status != 201 {
		t.Errorf("write on replica a with its LISTEN connection frozen: %d", status)
	}
}

// pgBin is where Debian puts PostgreSQL 15's server programs.
const pgBin = "/usr/lib/postgresql/15/bin"

// privatePostgres is a PostgreSQL cluster of the test's own, which it may
// stop and restart without disturbing the server other packages share.
type privatePostgres struct {
	t         *testing.T
	dir, data string
	port      int
}

// pgCtl runs pg_ctl as the postgres user: "start", "stop" or "restart"
// with its mode. The server's options and its log file are given every
// time: a server started without -l would write to pg_ctl's output, and
// hold it open after pg_ctl has exited.
func (pg *privatePostgres) pgCtl(action string, args ...string) {
	pg.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, pg.dir)
	args = append([]string{"-u", "postgres", "--", pgBin + "/pg_ctl", "-D", pg.data, "-w", "-t", "30",
		"-o", opts, "-l", filepath.Join(pg.dir, "log"), action}, args...)
	cmd := exec.Command("runuser", args...)
	out, err := os.Create(filepath.Join(pg.dir, "pg_ctl.out"))
	if err != nil {
		pg.t.Fatal(err)
	}
	defer func() { _ = out.Close() }()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(out.Name())
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		pg.t.Fatalf("pg_ctl %s %v: %v\n%s\n%s", action, args, err, msg, log)
	}
}

// url is the cluster's postgres database, as its superuser, over TCP.
func (pg *privatePostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// newPrivatePostgres makes a cluster with initdb in a temporary directory
// owned by the postgres user and starts it on a free loopback port with
// trust authentication; cleanup stops it and removes the directory. It
// skips when PostgreSQL 15's programs, runuser or the postgres user are
// missing, and when the test does not run as root.
func newPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	for _, p := range []string{pgBin + "/initdb", pgBin + "/pg_ctl"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no private PostgreSQL cluster: %v", err)
		}
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skipf("no private PostgreSQL cluster: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("no private PostgreSQL cluster: running PostgreSQL's programs as the postgres user needs root")
	}
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no private PostgreSQL cluster: %v", err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	// Not t.TempDir: its parent is private to root, and the postgres user
	// must reach the directory. The path is short, for the unix socket.
	dir, err := os.MkdirTemp("", "kh-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove the private cluster: %v", err)
		}
	})
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg := &privatePostgres{t: t, dir: dir, data: filepath.Join(dir, "data"), port: ln.Addr().(*net.TCPAddr).Port}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command("runuser", "-u", "postgres", "--", pgBin+"/initdb", "-D", pg.data,
		"-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	pg.pgCtl("start")
	t.Cleanup(func() {
		out, err := exec.Command("runuser", "-u", "postgres", "--", pgBin+"/pg_ctl", "-D", pg.data, "-w", "-m", "immediate", "stop").CombinedOutput()
		if err != nil && !strings.Contains(string(out), "not running") {
			t.Errorf("stop the private cluster: %v\n%s", err, out)
		}
	})
	return pg
}

// PostgreSQL restarts (fast, then stopped for a while and started again)
// under a load of decisions and writes: every decision for a valid token
// is 200 throughout, writes answer 201 or 503 problem+json (never 500 or
// another status), and writes succeed again without a restart of keyhold.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := newPrivatePostgres(t)
	a := startServe(t, "--db", pg.url())
	admin := kpatPattern.FindString(a.out.String())
	spat, _, _ := newFaultToken(t, a, admin, "restart")

	stop := make(chan struct{})
	var decisions, badDecisions, created, unavailable atomic.Int64
	var unexpected sync.Map // answers other than 200 decisions and 201 or 503 writes
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := faultCall(a, "GET", "/v1/authorize", spat, "")
				decisions.Add(1)
				if r.err != nil || r.status != 200 {
					badDecisions.Add(1)
					unexpected.Store(fmt.Sprintf("decision %d %v", r.status, r.err), true)
				}
			}
		})
	}
	var n atomic.Int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := faultCall(a, "POST", "/v3/system-accounts", admin, fmt.Sprintf(`{"name":"load-%d","description":""}`, n.Add(1)))
			switch {
			case r.err == nil && r.status == 201:
				created.Add(1)
			case r.err == nil && r.status == 503 && r.header.Get("Content-Type") == "application/problem+json":
				unavailable.Add(1)
			default:
				unexpected.Store(fmt.Sprintf("write %d %v %v", r.status, r.body, r.err), true)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	var once sync.Once
	end := func() { once.Do(func() { close(stop) }); wg.Wait() }
	t.Cleanup(end) // before the server stops, should the test fail early
	time.Sleep(time.Second)
	pg.pgCtl("restart", "-m", "fast")
	time.Sleep(time.Second)
	createdBefore := created.Load()
	// Stopped for a while, every write in the gap is refused with 503.
	pg.pgCtl("stop", "-m", "immediate")
	time.Sleep(1500 * time.Millisecond)
	pg.pgCtl("start")
	waitFor(t, 30*time.Second, "writes to succeed again after the restart", func() bool {
		return created.Load() > createdBefore+3
	})
	end()
	t.Logf("%d decisions, %d writes created, %d answered 503", decisions.Load(), created.Load(), unavailable.Load())
	if badDecisions.Load() > 0 {
		t.Errorf("%d of %d decisions were not 200", badDecisions.Load(), decisions.Load())
	}
	if unavailable.Load() == 0 {
		t.Error("no write answered 503 while PostgreSQL was stopped")
	}
	unexpected.Range(func(k, _ any) bool {
		t.Errorf("unexpected answer: %v", k)
		return true
	})
}

// The disk under a SQLite database fills up (a small tmpfs that the test
// mounts, so it needs root): writes answer 503 problem+json saying the disk
// is full, decisions go on, writes work again once space is freed, and the
// database then passes integrity_check with every acknowledged write in it.
func TestSQLiteDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	// Registered before the server starts, so it runs after the server
	// has stopped.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", disk).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", disk, err, out)
		}
	})
	path := filepath.Join(disk, "keyhold.db")
	a := startServe(t, "--db", "sqlite:"+path)
	admin := kpatPattern.FindString(a.out.String())
	spat, _, _ := newFaultToken(t, a, admin, "disk")
	var acknowledged []string
	for i := range 25 {
		name := fmt.Sprintf("before-%d", i)
		if r := faultCall(a, "POST", "/v3/system-accounts", admin, `{"name":"`+name+`","description":""}`); r.status != 201 {
			t.Fatalf("write %s: %d %v %v", name, r.status, r.body, r.err)
		}
		acknowledged = append(acknowledged, name)
	}

	// The filler takes every free block of the disk.
	fillerPath := filepath.Join(disk, "filler")
	filler, err := os.Create(fillerPath)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	if err := filler.Close(); err != nil {
		t.Logf("close filler: %v", err)
	}

	var full faultResponse
	for i := 0; ; i++ {
		if i == 5000 {
			t.Fatal("5000 writes on a full disk all succeeded")
		}
		name := fmt.Sprintf("full-%d", i)
		r := faultCall(a, "POST", "/v3/system-accounts", admin, `{"name":"`+name+`","description":""}`)
		if r.err == nil && r.status == 201 {
			acknowledged = append(acknowledged, name)
			continue
		}
		full = r
		break
	}
	wantUnavailable(t, "write on a full disk", full)
	if d, _ := full.body["detail"].(string); !strings.Contains(d, "disk is full") {
		t.Errorf("the 503 on a full disk says %q; want it to say the disk is full", d)
	}
	t.Logf("%d writes acknowledged before the disk was full (25 before the filler)", len(acknowledged))
	for i := range 20 {
		if r := faultCall(a, "GET", "/v1/authorize", spat, ""); r.status != 200 {
			t.Fatalf("decision %d on a full disk: %d %v", i, r.status, r.err)
		}
		if i%5 == 0 {
			wantUnavailable(t, "another write on a full disk",
				faultCall(a, "POST", "/v3/system-accounts", admin, fmt.Sprintf(`{"name":"refused-%d","description":""}`, i)))
		}
	}

	if err := os.Remove(fillerPath); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		name := fmt.Sprintf("after-%d", i)
		if r := faultCall(a, "POST", "/v3/system-accounts", admin, `{"name":"`+name+`","description":""}`); r.status != 201 {
			t.Fatalf("write %s once space was freed: %d %v %v", name, r.status, r.body, r.err)
		}
		acknowledged = append(acknowledged, name)
	}
	if r := faultCall(a, "GET", "/v1/authorize", spat, ""); r.status != 200 {
		t.Errorf("decision once space was freed: %d", r.status)
	}
	a.shutdown(t)

	raw := storetest.Raw(t, "sqlite:"+path)
	var check string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q %v", check, err)
	}
	for _, name := range acknowledged {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM system_accounts WHERE name = $1`, name).Scan(&n); err != nil || n != 1 {
			t.Errorf("acknowledged account %s: %d rows (%v)", name, n, err)
		}
	}
	var refused int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM system_accounts WHERE name LIKE 'refused-%'`).Scan(&refused); err != nil || refused != 0 {
		t.Errorf("writes refused on the full disk: %d rows (%v)", refused, err)
	}
}

// Another process holds the SQLite write lock: a write that waits less than
// busy_timeout (10 s) succeeds once the lock is released; one that waits
// longer answers 503 problem+json, never 500; decisions go on meanwhile,
// and writes succeed once the lock is released.
func TestSQLiteBusyFromAnotherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyhold.db")
	a := startServe(t, "--db", "sqlite:"+path)
	admin := kpatPattern.FindString(a.out.String())
	spat, _, _ := newFaultToken(t, a, admin, "busy")

	// The other writer: a connection of its own, as another process would
	// have, on the same file.
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	hold := func(d time.Duration) {
		t.Helper()
		if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(d, func() { _, _ = conn.ExecContext(t.Context(), `ROLLBACK`) })
	}
	write := func(name string) faultResponse {
		return faultCall(a, "POST", "/v3/system-accounts", admin, `{"name":"`+name+`","description":""}`)
	}

	// Held briefly: the write waits and succeeds.
	hold(500 * time.Millisecond)
	if r := write("waited"); r.status != 201 {
		t.Errorf("write behind a short lock: %d %v %v, want 201", r.status, r.body, r.err)
	}

	// Held past busy_timeout: 503 problem+json, decisions unaffected.
	hold(12 * time.Second)
	done := make(chan faultResponse, 1)
	go func() { done <- write("refused") }()
	for i := range 10 {
		if r := faultCall(a, "GET", "/v1/authorize", spat, ""); r.status != 200 {
			t.Errorf("decision %d while another writer holds the lock: %d %v", i, r.status, r.err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case r := <-done:
		wantUnavailable(t, "write behind a lock held past busy_timeout", r)
		if d, _ := r.body["detail"].(string); !strings.Contains(d, "busy") {
			t.Errorf("the 503 says %q; want it to say the database is busy", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the write behind the lock did not answer")
	}
	waitFor(t, 10*time.Second, "a write once the other writer let go", func() bool {
		return write("after-lock").status == 201
	})
	var n int
	if err := storetest.Raw(t, "sqlite:"+path).QueryRow(`SELECT COUNT(*) FROM system_accounts WHERE name = 'refused'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused write: %d rows (%v)", n, err)
	}
}
