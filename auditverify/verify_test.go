package auditverify_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold/auditverify"
	"github.com/keyhold/keyhold/checkpoint"
	"github.com/keyhold/keyhold/client"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store/storetest"
)

// logged is a server whose audit log has some history and a checkpoint
// of all of it, with what an auditor kept outside: the checkpoint and the
// verifier keys.
type logged struct {
	e       *apitest.Env
	c       *client.Client
	raw     *sql.DB
	size    int64
	trusted []byte
	keys    []string
}

func newLogged(t *testing.T, backend string) *logged {
	t.Helper()
	e := apitest.New(t, backend, apitest.Options{SecretKey: bytes.Repeat([]byte{7}, service.SecretKeySize)})
	for i := range 6 {
		a := e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": fmt.Sprintf("ci-%d", i), "description": "ci"}).Want(t, 201).Map(t)
		e.Do("POST", "/v3/system-accounts/"+a["id"].(string)+"/access-tokens", e.Admin, map[string]any{"name": "deploy", "expires_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}).Want(t, 201)
	}
	ctx := context.Background()
	if _, err := e.Service.AuditLog.Checkpoint(service.AsSystem(ctx), true); err != nil {
		t.Fatal(err)
	}
	c := client.New(e.Server.URL, e.Admin)
	cp, err := c.LatestAuditCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.AuditKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := &logged{e: e, c: c, raw: storetest.Raw(t, e.DBURL), size: cp.Size, trusted: []byte(cp.Checkpoint)}
	for _, k := range keys {
		if k.VerifierKey != "" {
			l.keys = append(l.keys, k.VerifierKey)
		}
	}
	if l.size < 12 {
		t.Fatalf("only %d leaves", l.size)
	}
	return l
}

func (l *logged) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := l.raw.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (l *logged) verify(t *testing.T, o auditverify.Options) *auditverify.Report {
	t.Helper()
	b, err := auditverify.Fetch(context.Background(), l.c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := auditverify.Verify(b, o)
	var out strings.Builder
	_ = r.Write(&out)
	t.Logf("verify:\n%s", out.String())
	return r
}

// has reports whether r names a problem of kind at seq.
func has(r *auditverify.Report, kind string, seq int64) bool {
	for _, p := range r.Problems {
		if p.Kind == kind && p.Seq == seq {
			return true
		}
	}
	return false
}

// TestVerifyDetectsTampering rewrites the database under a running
// server, as someone with write access to it would, one way per case,
// and checks that the verifier names each: on SQLite and PostgreSQL.
func TestVerifyDetectsTampering(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			t.Run("clean", func(t *testing.T) {
				l := newLogged(t, backend)
				r := l.verify(t, auditverify.Options{Trusted: l.trusted, Keys: l.keys})
				if !r.OK() || !r.TrustedConsistent || r.ValidEvents != int(l.size) || r.Events != int(l.size) {
					t.Fatalf("a clean log does not verify: %+v", r)
				}
				// Without what was kept outside, it still verifies, and says
				// what it cannot prove.
				r = l.verify(t, auditverify.Options{})
				if !r.OK() || !strings.Contains(strings.Join(r.Warnings, "\n"), "no trusted checkpoint") ||
					!strings.Contains(strings.Join(r.Warnings, "\n"), "pin them with --key") {
					t.Fatalf("a clean log without trust: %+v", r)
				}
			})
			t.Run("edit an event's body", func(t *testing.T) {
				l := newLogged(t, backend)
				l.exec(t, `UPDATE audit_events SET target_name = 'forged' WHERE leaf_index = 3`)
				r := l.verify(t, auditverify.Options{Trusted: l.trusted, Keys: l.keys})
				if r.OK() || !has(r, auditverify.Modified, 3) || len(r.Problems) != 1 {
					t.Fatalf("an edited body: %+v", r.Problems)
				}
			})
			t.Run("delete an event", func(t *testing.T) {
				l := newLogged(t, backend)
				l.exec(t, `DELETE FROM audit_events WHERE leaf_index = 4`)
				r := l.verify(t, auditverify.Options{Trusted: l.trusted, Keys: l.keys})
				if r.OK() || !has(r, auditverify.Missing, 4) || len(r.Problems) != 1 {
					t.Fatalf("a deleted event: %+v", r.Problems)
				}
			})
			t.Run("delete a leaf hash", func(t *testing.T) {
				l := newLogged(t, backend)
				l.exec(t, `DELETE FROM audit_hashes WHERE idx = $1`, tlog.StoredHashIndex(0, 6))
				r := l.verify(t, auditverify.Options{Trusted: l.trusted, Keys: l.keys})
				if r.OK() || !has(r, auditverify.Missing, 6) {
					t.Fatalf("a deleted leaf hash: %+v", r.Problems)
				}
			})
			t.Run("swap two events", func(t *testing.T) {
				l := newLogged(t, backend)
				l.exec(t, `UPDATE audit_events SET leaf_index = -1 WHERE leaf_index = 2`)
				l.exec(t, `UPDATE audit_events SET leaf_index = 2 WHERE leaf_index = 5`)
				l.exec(t, `UPDATE audit_events SET leaf_index = 5 WHERE leaf_index = -1`)
				r := l.verify(t, auditverify.Options{Trusted: l.trusted, Keys: l.keys})
				if r.OK() || !has(r, auditverify.Reordered, 2) || !has(r, auditverify.Reordered, 5) || len(r.Problems) != 2 {
					t.Fatalf("swapped events: %+v", r.Problems)
				}
			})
			t.Run("truncate the tail", func(t *testing.T) {
				l := newLogged(t, backend)
				cut := l.size - 3
				l.exec(t, `DELETE FROM audit_events WHERE leaf_index >= $1`, cut)
				l.exec(t, `DELETE FROM audit_hashes WHERE idx >= $1`, tlog.StoredHashIndex(0, cut))
				l.exec(t, `DELETE FROM audit_checkpoints WHERE size > $1`, cut)
				l.exec(t, `UPDATE audit_log SET size = $1`, cut)
				// Cut cleanly, checkpoints and all: only the checkpoint kept
				// outside shows it.
				r := l.verify(t, auditverify.Options{Trusted: l.trusted, Keys: l.keys})
				if r.OK() || !has(r, auditverify.Truncated, cut) || r.TrustedConsistent {
					t.Fatalf("a cut tail: %+v", r.Problems)
				}
				if r := l.verify(t, auditverify.Options{Keys: l.keys}); !r.OK() || !strings.Contains(strings.Join(r.Warnings, "\n"), "no trusted checkpoint") {
					t.Fatalf("without a trusted checkpoint the cut log should verify, with the warning: %+v", r)
				}
			})
			t.Run("truncate the tail, leaving its checkpoint", func(t *testing.T) {
				l := newLogged(t, backend)
				cut := l.size - 2
				l.exec(t, `DELETE FROM audit_events WHERE leaf_index >= $1`, cut)
				l.exec(t, `DELETE FROM audit_hashes WHERE idx >= $1`, tlog.StoredHashIndex(0, cut))
				l.exec(t, `UPDATE audit_log SET size = $1`, cut)
				r := l.verify(t, auditverify.Options{Keys: l.keys})
				if r.OK() || !has(r, auditverify.Truncated, cut) {
					t.Fatalf("a cut tail under its checkpoint: %+v", r.Problems)
				}
			})
			t.Run("replace a checkpoint", func(t *testing.T) {
				l := newLogged(t, backend)
				// Claim a smaller tree under the same signature.
				forged := strings.Replace(string(l.trusted), fmt.Sprintf("\n%d\n", l.size), fmt.Sprintf("\n%d\n", l.size-1), 1)
				l.exec(t, `UPDATE audit_checkpoints SET note = $1, size = $2 WHERE size = $3`, forged, l.size-1, l.size)
				r := l.verify(t, auditverify.Options{Keys: l.keys})
				if r.OK() || !has(r, auditverify.Checkpoint, l.size-1) {
					t.Fatalf("a replaced checkpoint: %+v", r.Problems)
				}
			})
			t.Run("re-sign with another key", func(t *testing.T) {
				l := newLogged(t, backend)
				l.resign(t)
				// The pinned keys and the kept checkpoint both see it.
				r := l.verify(t, auditverify.Options{Keys: l.keys})
				if r.OK() || r.ValidCheckpoints != 0 || !has(r, auditverify.Checkpoint, l.size) {
					t.Fatalf("re-signed with pinned keys: %+v", r.Problems)
				}
				b, err := auditverify.Fetch(context.Background(), l.c, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				var attacker []string
				for _, k := range b.Keys {
					if k.VerifierKey != "" && k.RetiredAt == nil {
						attacker = append(attacker, k.VerifierKey)
					}
				}
				r = auditverify.Verify(b, auditverify.Options{Keys: attacker, Trusted: l.trusted})
				if r.OK() || r.TrustedConsistent {
					t.Fatalf("re-signed, with the trusted checkpoint: %+v", r.Problems)
				}
				// With neither, the rewrite is invisible: the stated limit.
				if r := auditverify.Verify(b, auditverify.Options{}); !r.OK() || len(r.Warnings) < 2 {
					t.Fatalf("re-signed, trusting the server: %+v", r)
				}
			})
		})
	}
}

// resign rewrites event 3, rebuilds every hash of the tree, and replaces
// every checkpoint with one of the new tree signed by a key of the
// attacker's, published as the current checkpoint key.
func (l *logged) resign(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	l.exec(t, `UPDATE audit_events SET target_name = 'forged' WHERE leaf_index = 3`)
	b, err := auditverify.Fetch(ctx, l.c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var tree memHashes
	for i, leaf := range b.Leaves {
		hs, err := tlog.StoredHashes(int64(i), leaf.Event.Domain().LeafData(), tree)
		if err != nil {
			t.Fatal(err)
		}
		tree = append(tree, hs...)
	}
	l.exec(t, `DELETE FROM audit_hashes`)
	for i, h := range tree {
		l.exec(t, `INSERT INTO audit_hashes (idx, hash) VALUES ($1, $2)`, int64(i), h[:])
	}
	root, err := tlog.TreeHash(l.size, tree)
	if err != nil {
		t.Fatal(err)
	}
	var origin string
	for _, k := range b.Keys {
		if k.Purpose == "checkpoint" {
			origin = k.Name
		}
	}
	// The attacker signs as keyhold does, time cosignature and all.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := checkpoint.Sign(origin, priv, origin, l.size, root, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l.exec(t, `DELETE FROM audit_checkpoints`)
	l.exec(t, `INSERT INTO audit_checkpoints (size, signed_at, note) VALUES ($1, $2, $3)`, l.size, time.Now().UTC(), string(msg))
	l.exec(t, `UPDATE audit_keys SET retired_at = $1 WHERE purpose = 'checkpoint'`, time.Now().UTC())
	l.exec(t, `INSERT INTO audit_keys (id, purpose, name, public_key, sealed, created_at) VALUES ('attacker', 'checkpoint', $1, $2, $3, $4)`,
		origin, pub, []byte("x"), time.Now().UTC())
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}
