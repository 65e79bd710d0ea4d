// Package auditverify verifies keyhold's audit log from outside, trusting
// neither the server nor its database: it rebuilds every event's leaf from
// the event itself, the tree from the leaves, and checks each signed
// checkpoint against the tree it rebuilt. `keyhold audit verify` is its
// command line.
//
// What it can prove has one limit, which it states: whoever holds
// keyhold's secret key file can re-sign a rewritten log. Only a checkpoint
// kept outside keyhold (a witness: see the audit.checkpoint webhook), or a
// verifier key pinned from before the rewrite, shows that.
package auditverify

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold/checkpoint"
	"github.com/keyhold/keyhold/client"
	"github.com/keyhold/keyhold/wire"
)

// BundleVersion is the version of the bundle format Export writes.
const BundleVersion = 1

// Bundle is a whole audit log as `keyhold audit export` writes it: the
// public keys, every checkpoint and every leaf with its event.
type Bundle struct {
	Version     int                    `json:"version"`
	Server      string                 `json:"server,omitempty"`
	ExportedAt  time.Time              `json:"exported_at"`
	Keys        []wire.AuditKey        `json:"keys"`
	Checkpoints []wire.AuditCheckpoint `json:"checkpoints"`
	Size        int64                  `json:"size"`
	Leaves      []wire.AuditLeaf       `json:"leaves"`
	// Filter and Pages make a filtered bundle instead: the events a
	// filter selected, page by page, each page with the checkpoint and the
	// inclusion proofs of its events. Leaves is then empty.
	Filter string                `json:"filter,omitempty"`
	Pages  []wire.AuditEventPage `json:"pages,omitempty"`
}

// QuietInterval is how often keyhold signs a checkpoint of an unchanged
// log (service.AuditLogConfig's default).
const QuietInterval = time.Hour

// page is how many leaves or checkpoints one request asks for.
const page = 1000

// Fetch reads the whole log from a server: keys, checkpoints, leaves.
func Fetch(ctx context.Context, c *client.Client, now time.Time) (*Bundle, error) {
	b := &Bundle{Version: BundleVersion, Server: c.BaseURL, ExportedAt: now.UTC()}
	var err error
	if b.Keys, err = c.AuditKeys(ctx); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	for after := int64(0); ; {
		cps, err := c.AuditCheckpoints(ctx, after, page)
		if err != nil {
			return nil, fmt.Errorf("checkpoints: %w", err)
		}
		b.Checkpoints = append(b.Checkpoints, cps...)
		if len(cps) < page {
			break
		}
		after = cps[len(cps)-1].Seq
	}
	for from := int64(0); ; {
		leaves, size, err := c.AuditLeaves(ctx, from, page)
		if err != nil {
			return nil, fmt.Errorf("leaves: %w", err)
		}
		b.Leaves = append(b.Leaves, leaves...)
		b.Size = max(b.Size, size)
		from += int64(len(leaves))
		if len(leaves) == 0 || from >= size {
			break
		}
	}
	return b, nil
}

// ReadBundle reads a bundle that Export or `keyhold audit export` wrote.
func ReadBundle(r io.Reader) (*Bundle, error) {
	var b Bundle
	dec := json.NewDecoder(r)
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("audit bundle: %w", err)
	}
	if b.Version != BundleVersion {
		return nil, fmt.Errorf("audit bundle: version %d, want %d", b.Version, BundleVersion)
	}
	return &b, nil
}

// Options adjust a verification.
type Options struct {
	// Trusted is a checkpoint kept outside keyhold (a signed note), which
	// the log must extend.
	Trusted []byte
	// Keys are pinned checkpoint verifier keys (note format). Without them
	// the bundle's own keys are used, and the report warns.
	Keys []string
}

// Problem kinds.
const (
	Modified   = "modified"   // the event does not hash to the leaf the log stores
	Missing    = "missing"    // the log has the leaf, but not its event
	Reordered  = "reordered"  // the event is the leaf of another position
	Extra      = "extra"      // an event that is no leaf of the log
	Truncated  = "truncated"  // a checkpoint or the trusted checkpoint has leaves the log lacks
	Checkpoint = "checkpoint" // a checkpoint that does not verify or does not match the log
)

// Problem is one thing that does not verify.
type Problem struct {
	Kind   string `json:"kind"`
	Seq    int64  `json:"seq"` // the leaf, or the checkpoint's size for checkpoint problems
	Detail string `json:"detail"`
}

// Report is what a verification found.
type Report struct {
	Origin                string    `json:"origin"`
	Size                  int64     `json:"size"`
	Events                int       `json:"events_checked"`
	ValidEvents           int       `json:"events_valid"`
	Pruned                int       `json:"events_pruned"`
	PrunedBelow           int64     `json:"pruned_below"`
	Checkpoints           int       `json:"checkpoints"`
	ValidCheckpoints      int       `json:"checkpoints_valid"`
	Covered               int64     `json:"covered"` // leaves under the largest valid checkpoint
	TrustedSize           int64     `json:"trusted_size,omitempty"`
	TrustedConsistent     bool      `json:"trusted_consistent"`
	Problems              []Problem `json:"problems"`
	Warnings              []string  `json:"warnings"`
	FirstTime, LatestTime time.Time `json:"-"`
	// FirstSigned and LastSigned are the times the valid checkpoints'
	// cosignatures state; LongestGap the longest time between two of them
	// (one is signed at least hourly, so a gap over an hour is a period
	// nobody can show was quiet).
	FirstSigned time.Time     `json:"first_checkpoint_at"`
	LastSigned  time.Time     `json:"last_checkpoint_at"`
	LongestGap  time.Duration `json:"longest_gap_ns"`

	keys map[uint32]ed25519.PublicKey
}

// signedAt checks the time cosignature of a checkpoint that n's
// signature verified, and records its time.
func (r *Report) signedAt(n *note.Note, msg []byte, size int64) bool {
	pub, ok := r.keys[n.Sigs[0].Hash]
	if !ok {
		r.problem(Checkpoint, size, "no key for the checkpoint's signature")
		return false
	}
	t, err := checkpoint.CosignedAt(msg, n.Sigs[0].Name, pub)
	if err != nil {
		r.problem(Checkpoint, size, "the checkpoint's time: %v", err)
		return false
	}
	if !r.LastSigned.IsZero() && t.Sub(r.LastSigned) > r.LongestGap {
		r.LongestGap = t.Sub(r.LastSigned)
	}
	if r.FirstSigned.IsZero() || t.Before(r.FirstSigned) {
		r.FirstSigned = t
	}
	if t.After(r.LastSigned) {
		r.LastSigned = t
	}
	return true
}

// OK reports whether everything verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 && r.ValidCheckpoints > 0 }

func (r *Report) problem(kind string, seq int64, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Seq: seq, Detail: fmt.Sprintf(format, args...)})
}

// memHashes is a tlog.HashReader over hashes held in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

// Verify checks a bundle.
func Verify(b *Bundle, o Options) *Report {
	r := &Report{Size: b.Size, Problems: []Problem{}, Warnings: []string{}}
	if len(b.Pages) > 0 || b.Filter != "" {
		verifyFiltered(b, o, r)
		return r
	}

	vl := verifiers(b, o, r)

	// The leaves: every event must hash to the leaf stored at its index.
	// A log claims its size; what is held for it bounds what is allocated.
	if b.Size < 0 {
		r.problem(Truncated, 0, "the log claims %d leaves", b.Size)
		return r
	}
	if held := int64(len(b.Leaves)); b.Size > held {
		r.problem(Missing, held, "the log claims %d leaves but holds %d: leaves %d to %d are missing", b.Size, held, held, b.Size-1)
		b.Size = held
	}
	stored := make([]tlog.Hash, b.Size)
	have := make([]bool, b.Size)
	where := map[tlog.Hash]int64{}
	for _, l := range b.Leaves {
		if l.Seq < 0 || l.Seq >= b.Size {
			r.problem(Extra, l.Seq, "a leaf outside the log's %d leaves", b.Size)
			continue
		}
		h, err := parseHash(l.LeafHash)
		if err != nil {
			continue // reported below, as a leaf the log lacks
		}
		stored[l.Seq], have[l.Seq] = h, true
		where[h] = l.Seq
	}
	// The tree, from the stored leaf hashes.
	var tree memHashes
	complete := true
	for i := int64(0); i < b.Size; i++ {
		if !have[i] {
			complete = false
			r.problem(Missing, i, "the log has no leaf hash %d", i)
			continue
		}
		if !complete {
			continue
		}
		// The stored leaf hash, whatever its event: the events are
		// checked against it below, the checkpoints against the tree.
		hs, err := tlog.StoredHashesForRecordHash(i, stored[i], tree)
		if err != nil {
			complete = false
			continue
		}
		tree = append(tree, hs...)
	}
	for _, l := range b.Leaves {
		if l.Seq < 0 || l.Seq >= b.Size || !have[l.Seq] {
			continue
		}
		switch {
		case l.Event != nil:
			r.Events++
			e := l.Event.Domain()
			got := tlog.Hash(e.LeafHash())
			switch {
			case e.Seq != l.Seq:
				r.problem(Reordered, l.Seq, "event %s says it is leaf %d", e.ID, e.Seq)
			case got == stored[l.Seq]:
				r.ValidEvents++
				if r.FirstTime.IsZero() || e.Time.Before(r.FirstTime) {
					r.FirstTime = e.Time
				}
				if e.Time.After(r.LatestTime) {
					r.LatestTime = e.Time
				}
			default:
				if j, ok := where[got]; ok && j != l.Seq {
					r.problem(Reordered, l.Seq, "event %s (%s) is leaf %d of the log, not leaf %d", e.ID, e.Action, j, l.Seq)
				} else {
					r.problem(Modified, l.Seq, "event %s (%s) does not hash to the leaf the log stores", e.ID, e.Action)
				}
			}
		case l.Pruned:
			r.Pruned++
			r.PrunedBelow = max(r.PrunedBelow, l.Seq+1)
		default:
			r.problem(Missing, l.Seq, "the log has leaf %d but not its event", l.Seq)
		}
	}
	if r.Pruned > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d events below leaf %d were pruned by retention: their leaves verify, their bodies are gone; compare with the retention period", r.Pruned, r.PrunedBelow))
	}

	root := func(size int64) (tlog.Hash, error) {
		if !complete {
			return tlog.Hash{}, errors.New("the log has missing leaves")
		}
		if size > b.Size {
			return tlog.Hash{}, fmt.Errorf("the log has %d leaves", b.Size)
		}
		return tlog.TreeHash(size, tree)
	}

	// Every checkpoint: signed by a verifier key, of this log, and of the
	// tree the leaves make.
	for _, cp := range b.Checkpoints {
		r.Checkpoints++
		n, err := note.Open([]byte(cp.Checkpoint), vl)
		if err != nil {
			r.problem(Checkpoint, cp.Size, "the checkpoint signed %s does not verify: %v", cp.SignedAt.Format(time.RFC3339), err)
			continue
		}
		origin, size, croot, err := checkpoint.Parse([]byte(n.Text))
		if err != nil {
			r.problem(Checkpoint, cp.Size, "checkpoint: %v", err)
			continue
		}
		if r.Origin == "" {
			r.Origin = origin
		} else if origin != r.Origin {
			r.problem(Checkpoint, size, "a checkpoint of another log, %q", origin)
			continue
		}
		if size > b.Size {
			r.problem(Truncated, b.Size, "a checkpoint signed %s covers %d leaves, the log has %d: leaves %d to %d are gone", cp.SignedAt.Format(time.RFC3339), size, b.Size, b.Size, size-1)
			continue
		}
		have, err := root(size)
		if err != nil {
			r.problem(Checkpoint, size, "cannot rebuild the tree of the checkpoint signed %s: %v", cp.SignedAt.Format(time.RFC3339), err)
			continue
		}
		if have != croot {
			r.problem(Checkpoint, size, "the log's first %d leaves do not make the tree the checkpoint signed %s signed: the log was rewritten", size, cp.SignedAt.Format(time.RFC3339))
			continue
		}
		if !r.signedAt(n, []byte(cp.Checkpoint), size) {
			continue
		}
		r.ValidCheckpoints++
		r.Covered = max(r.Covered, size)
	}
	if r.Checkpoints == 0 {
		r.problem(Checkpoint, 0, "the log has no checkpoint")
	}
	if r.LongestGap > QuietInterval+5*time.Minute {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s passed between two checkpoints: keyhold signs one at least hourly, so that period is not shown to have been quiet (was keyhold stopped?)", r.LongestGap))
	}
	if r.Covered < b.Size {
		r.Warnings = append(r.Warnings, fmt.Sprintf("leaves %d to %d are not yet under a checkpoint (one is signed each minute while events arrive)", r.Covered, b.Size-1))
	}

	// The trusted checkpoint, kept outside keyhold.
	if len(o.Trusted) == 0 {
		r.Warnings = append(r.Warnings, "no trusted checkpoint: whoever holds keyhold's secret key file can re-sign a rewritten log; keep checkpoints outside keyhold (audit.checkpoint webhooks) and pass one with --trusted")
		return r
	}
	n, err := note.Open(o.Trusted, vl)
	if err != nil {
		r.problem(Checkpoint, 0, "the trusted checkpoint does not verify with the keys: %v", err)
		return r
	}
	origin, size, troot, err := checkpoint.Parse([]byte(n.Text))
	if err != nil {
		r.problem(Checkpoint, 0, "the trusted checkpoint: %v", err)
		return r
	}
	r.TrustedSize = size
	switch have, err := root(size); {
	case r.Origin != "" && origin != r.Origin:
		r.problem(Checkpoint, size, "the trusted checkpoint is of another log, %q", origin)
	case size > b.Size:
		r.problem(Truncated, b.Size, "the trusted checkpoint covers %d leaves, the log has %d: leaves %d to %d are gone", size, b.Size, b.Size, size-1)
	case err != nil:
		r.problem(Checkpoint, size, "cannot rebuild the tree of the trusted checkpoint: %v", err)
	case have != troot:
		r.problem(Checkpoint, size, "the log's first %d leaves do not make the tree of the trusted checkpoint: the log was rewritten since", size)
	default:
		r.TrustedConsistent = true
	}
	return r
}

// verifiers are the pinned keys, or the bundle's own with a warning.
func verifiers(b *Bundle, o Options, r *Report) note.Verifiers {
	r.keys = map[uint32]ed25519.PublicKey{}
	var vs []note.Verifier
	keys := o.Keys
	if len(keys) == 0 {
		r.Warnings = append(r.Warnings, "the checkpoint keys were taken from the log being verified; pin them with --key to detect a log re-signed with another key")
		for _, k := range b.Keys {
			if k.VerifierKey != "" {
				keys = append(keys, k.VerifierKey)
			}
		}
	}
	for _, k := range keys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			r.problem(Checkpoint, 0, "verifier key %q: %v", k, err)
			continue
		}
		vs = append(vs, v)
		if _, pub, err := checkpoint.PublicKey(strings.TrimSpace(k)); err == nil {
			r.keys[v.KeyHash()] = pub
		}
	}
	return note.VerifierList(vs...)
}

// verifyFiltered checks a filtered bundle: each page's checkpoint, and
// that each event is the leaf its inclusion proof puts in that
// checkpoint's tree. It proves that every event is in the log, not that
// the filter selected every event it should: that needs the whole log.
func verifyFiltered(b *Bundle, o Options, r *Report) {
	vl := verifiers(b, o, r)
	r.Warnings = append(r.Warnings, fmt.Sprintf("a filtered export (%s): each event is checked to be in the log; only the whole log shows events left out", b.Filter))
	for _, p := range b.Pages {
		if p.AuditLog == nil {
			r.problem(Checkpoint, 0, "a page without its proofs")
			continue
		}
		r.Checkpoints++
		n, err := note.Open([]byte(p.AuditLog.Checkpoint), vl)
		if err != nil {
			r.problem(Checkpoint, p.AuditLog.Size, "the page's checkpoint does not verify: %v", err)
			continue
		}
		origin, size, root, err := checkpoint.Parse([]byte(n.Text))
		if err != nil {
			r.problem(Checkpoint, p.AuditLog.Size, "checkpoint: %v", err)
			continue
		}
		if r.Origin == "" {
			r.Origin = origin
		}
		if !r.signedAt(n, []byte(p.AuditLog.Checkpoint), size) {
			continue
		}
		r.ValidCheckpoints++
		r.Size, r.Covered = max(r.Size, size), max(r.Covered, size)
		proofs := map[int64]wire.InclusionProof{}
		for _, ip := range p.AuditLog.Inclusion {
			proofs[ip.Seq] = ip
		}
		for _, ev := range p.Data {
			r.Events++
			e := ev.Domain()
			ip, ok := proofs[e.Seq]
			if !ok {
				if e.Seq < size {
					r.problem(Extra, e.Seq, "event %s (%s) has no proof of being leaf %d", e.ID, e.Action, e.Seq)
				} else {
					r.Warnings = append(r.Warnings, fmt.Sprintf("event %s (seq %d) is newer than the page's checkpoint", e.ID, e.Seq))
				}
				continue
			}
			var hs []tlog.Hash
			for _, s := range ip.Proof {
				h, err := parseHash(s)
				if err != nil {
					hs = nil
					break
				}
				hs = append(hs, h)
			}
			if err := tlog.CheckRecord(hs, size, root, e.Seq, tlog.Hash(e.LeafHash())); err != nil {
				r.problem(Extra, e.Seq, "event %s (%s) is not leaf %d of the log the checkpoint signed: modified, or never in it", e.ID, e.Action, e.Seq)
				continue
			}
			r.ValidEvents++
		}
	}
	if len(o.Trusted) > 0 {
		r.Warnings = append(r.Warnings, "a filtered export is not checked against --trusted: verify the whole log for that")
	}
}

// Write prints r as `aws cloudtrail validate-logs` would: each problem
// with its leaf, then the counts and the warnings.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Validating the audit log %s: %d leaves\n", r.Origin, r.Size)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "INVALID: %s: seq %d: %s\n", p.Kind, p.Seq, p.Detail)
	}
	fmt.Fprintf(&b, "\nResults:\n")
	fmt.Fprintf(&b, "%d/%d events valid", r.ValidEvents, r.Events)
	if r.Pruned > 0 {
		fmt.Fprintf(&b, ", %d pruned", r.Pruned)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%d/%d checkpoints valid, covering %d of %d leaves\n", r.ValidCheckpoints, r.Checkpoints, r.Covered, r.Size)
	if !r.FirstSigned.IsZero() {
		fmt.Fprintf(&b, "checkpoints signed from %s to %s; the longest time between two: %s\n",
			r.FirstSigned.Format(time.RFC3339), r.LastSigned.Format(time.RFC3339), r.LongestGap)
	}
	switch {
	case r.TrustedSize > 0 && r.TrustedConsistent:
		fmt.Fprintf(&b, "consistent with the trusted checkpoint of %d leaves\n", r.TrustedSize)
	case r.TrustedSize > 0:
		fmt.Fprintf(&b, "NOT consistent with the trusted checkpoint of %d leaves\n", r.TrustedSize)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "WARNING: %s\n", w)
	}
	if r.OK() {
		b.WriteString("The audit log verifies.\n")
	} else {
		fmt.Fprintf(&b, "The audit log does NOT verify: %d problems.\n", len(r.Problems))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
