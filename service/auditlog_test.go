package service_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/checkpoint"
	"github.com/keyhold/keyhold/service"
)

// TestAuditLog drives the log through the service: every event is a
// leaf, gap-free; checkpoints are signed notes that note.Open and the
// cosignature check accept; inclusion and consistency proofs check both
// with tlog and with transparency-dev/merkle, an independent RFC 6962
// implementation; a quiet hour gets a checkpoint of its own; a rotated
// key signs from then on and the old one keeps verifying.
func TestAuditLog(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		log := e.svc.AuditLog
		if err := log.Setup(e.sys); err != nil {
			t.Fatalf("setup: %v", err)
		}
		first, err := log.LatestCheckpoint(e.admin)
		if err != nil {
			t.Fatalf("first checkpoint: %v", err)
		}
		for i := range 9 {
			e.account(fmt.Sprintf("bot-%d", i))
		}
		leaves, size, err := log.Leaves(e.admin, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(leaves)) != size || size < 10 {
			t.Fatalf("%d leaves of a log of size %d", len(leaves), size)
		}
		for i, l := range leaves {
			if l.Index != int64(i) || l.Event == nil || l.Event.Seq != int64(i) {
				t.Fatalf("leaf %d: %+v", i, l)
			}
			if got := l.Event.LeafHash(); got != l.Hash {
				t.Fatalf("leaf %d: stored hash %x, the event hashes to %x", i, l.Hash, got)
			}
		}

		// Not yet due: the last checkpoint is younger than half an interval.
		if cp, err := log.Checkpoint(e.sys, false); err != nil || cp != nil {
			t.Fatalf("checkpoint before it is due: %v, %v", cp, err)
		}
		e.clock.Advance(time.Minute)
		cp, err := log.Checkpoint(e.sys, false)
		if err != nil || cp == nil || cp.Size != size {
			t.Fatalf("checkpoint of the grown log: %+v, %v", cp, err)
		}
		keys, err := log.Keys(e.ctx) // public
		if err != nil {
			t.Fatal(err)
		}
		var ck *keyhold.AuditKey
		for _, k := range keys {
			if k.Purpose == keyhold.AuditKeyCheckpoint && k.RetiredAt == nil {
				ck = k
			}
			if k.Sealed != nil {
				t.Fatalf("Keys returned a sealed private key")
			}
		}
		vkey, err := service.CheckpointVerifierKey(ck)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(cp.Note, note.VerifierList(v))
		if err != nil {
			t.Fatalf("open checkpoint: %v\n%s", err, cp.Note)
		}
		origin, csize, root, err := checkpoint.Parse(cp.Note)
		if err != nil || csize != size || root != cp.Root || n.Text != checkpoint.Text(origin, size, root) {
			t.Fatalf("checkpoint text %q: %v", n.Text, err)
		}
		at, err := checkpoint.CosignedAt(cp.Note, ck.Name, ed25519.PublicKey(ck.PublicKey))
		if err != nil || !at.Equal(e.clock.Now().Truncate(time.Second)) {
			t.Fatalf("cosignature time %v, %v; want %v", at, err, e.clock.Now())
		}

		// The root is RFC 6962's, by an independent implementation.
		hashes := make([][]byte, size)
		for i, l := range leaves {
			hashes[i] = append([]byte(nil), l.Hash[:]...)
		}
		if got := rfc6962Root(hashes); string(got) != string(root[:]) {
			t.Fatalf("root %x, RFC 6962 says %x", root, got)
		}
		for _, i := range []int64{0, 1, size / 2, size - 1} {
			p, leaf, err := log.InclusionProof(e.admin, i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, size, root, i, leaf); err != nil {
				t.Fatalf("tlog: inclusion of %d: %v", i, err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(size), leaf[:], bytesOf(p), root[:]); err != nil {
				t.Fatalf("merkle: inclusion of %d: %v", i, err)
			}
		}
		_, fsize, froot, _ := checkpoint.Parse(first.Note)
		cproof, err := log.ConsistencyProof(e.admin, fsize, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(cproof, size, root, fsize, froot); err != nil {
			t.Fatalf("tlog: consistency %d→%d: %v", fsize, size, err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(fsize), uint64(size), bytesOf(cproof), froot[:], root[:]); err != nil {
			t.Fatalf("merkle: consistency: %v", err)
		}

		// A quiet hour: nothing new, and yet a checkpoint that says so.
		e.clock.Advance(30 * time.Minute)
		if cp, err := log.Checkpoint(e.sys, false); err != nil || cp != nil {
			t.Fatalf("checkpoint of an unchanged log within the hour: %v, %v", cp, err)
		}
		e.clock.Advance(30 * time.Minute)
		quiet, err := log.Checkpoint(e.sys, false)
		if err != nil || quiet == nil || quiet.Size != size || quiet.Root != root {
			t.Fatalf("quiet-hour checkpoint: %+v, %v", quiet, err)
		}
		if at2, _ := checkpoint.CosignedAt(quiet.Note, ck.Name, ed25519.PublicKey(ck.PublicKey)); !at2.After(at) {
			t.Fatalf("the quiet checkpoint is stamped %v, not after %v", at2, at)
		}

		// Rotation: only Organization Admin; the new key signs at once and
		// the old one still verifies what it signed.
		if _, err := log.RotateAuditKey(e.ctx, keyhold.AuditKeyCheckpoint); keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
			t.Fatalf("rotate without a principal: %v", err)
		}
		if _, err := log.RotateAuditKey(e.admin, "bogus"); keyhold.ErrorCode(err) != keyhold.EINVALID {
			t.Fatalf("rotate a bogus purpose: %v", err)
		}
		nk, err := log.RotateAuditKey(e.admin, keyhold.AuditKeyCheckpoint)
		if err != nil {
			t.Fatal(err)
		}
		latest, err := log.LatestCheckpoint(e.admin)
		if err != nil {
			t.Fatal(err)
		}
		nvkey, _ := service.CheckpointVerifierKey(nk)
		nv, _ := note.NewVerifier(nvkey)
		if _, err := note.Open(latest.Note, note.VerifierList(nv)); err != nil || latest.Size != size+1 {
			t.Fatalf("checkpoint after rotation (size %d): %v", latest.Size, err)
		}
		if _, err := note.Open(cp.Note, note.VerifierList(v, nv)); err != nil {
			t.Fatalf("the retired key's checkpoint no longer verifies: %v", err)
		}
		if _, err := note.Open(latest.Note, note.VerifierList(v)); err == nil {
			t.Fatalf("the retired key verifies a checkpoint signed after rotation")
		}

		// Bad input to the proofs is a 4xx with the field named.
		for _, c := range [][2]int64{{-1, size}, {size, size}, {0, 0}, {0, size + 5}} {
			if _, _, err := log.InclusionProof(e.admin, c[0], c[1]); keyhold.ErrorCode(err) != keyhold.EINVALID {
				t.Fatalf("inclusion %v: %v", c, err)
			}
		}
		for _, c := range [][2]int64{{0, size}, {size, 1}, {1, size + 5}} {
			if _, err := log.ConsistencyProof(e.admin, c[0], c[1]); keyhold.ErrorCode(err) != keyhold.EINVALID {
				t.Fatalf("consistency %v: %v", c, err)
			}
		}
	})
}

func bytesOf(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = append([]byte(nil), h[:]...)
	}
	return out
}

// rfc6962Root is the Merkle tree hash of RFC 6962 §2.1 over leaf hashes,
// written from the RFC: split at the largest power of two below n.
func rfc6962Root(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return rfc6962.DefaultHasher.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return rfc6962.DefaultHasher.HashChildren(rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:]))
}
