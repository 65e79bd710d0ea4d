package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/checkpoint"
	"github.com/keyhold/keyhold/storage"
)

// AuditLogConfig configures the audit log's checkpoints.
type AuditLogConfig struct {
	// Origin names the log in its checkpoints and its checkpoint keys, the
	// first time keyhold starts on a database (it is kept there after):
	// no spaces and no "+". Default "keyhold/<organization id>".
	Origin string
	// Interval is how often, at least, a growing log gets a new checkpoint;
	// default a minute. Quiet is how often an unchanged one does, so that
	// a quiet period is provably quiet; default an hour.
	Interval, Quiet time.Duration
	// ExportHost is the host name in the prefix of exported CEF entries;
	// default "keyhold".
	ExportHost string
}

// AuditLog signs the audit log's checkpoints, serves its proofs and keys,
// and rotates its signing keys. Its keys are Ed25519: the checkpoint key
// signs checkpoints as C2SP signed notes, the entry key signs exported
// entries by Konnect's rule; both are sealed under the secret key.
type AuditLog struct {
	*core
	interval, quiet time.Duration
	origin          string
}

func newAuditLog(k *core, c AuditLogConfig) *AuditLog {
	l := &AuditLog{core: k, interval: c.Interval, quiet: c.Quiet, origin: c.Origin}
	if l.interval <= 0 {
		l.interval = time.Minute
	}
	if l.quiet <= 0 {
		l.quiet = time.Hour
	}
	return l
}

// errNoAuditKeys answers what needs a signing key on a server started
// without a secret key (cmd/keyhold always has one).
var errNoAuditKeys = keyhold.Errorf(keyhold.ECONFLICT,
	"The audit log's signing keys need a secret key: start keyhold with --secret-key-file")

// Setup names the log and creates its missing signing keys, then signs
// the first checkpoint if there is none: what the first start after
// migration 0019 does. Without a secret key it does nothing.
func (l *AuditLog) Setup(ctx context.Context) error {
	if l.sealer == nil {
		return nil
	}
	err := l.store.Write(ctx, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		if st.Origin == "" {
			origin := l.origin
			if origin == "" {
				org, err := tx.Org().GetOrganization(ctx)
				if err != nil {
					return err
				}
				origin = "keyhold/" + org.ID
			}
			if !checkpoint.ValidOrigin(origin) {
				return fmt.Errorf("audit log origin %q: printable ASCII without spaces or +", origin)
			}
			if err := tx.Audit().SetAuditLogOrigin(ctx, origin); err != nil {
				return err
			}
			st.Origin = origin
		}
		keys, err := tx.Audit().ListAuditKeys(ctx)
		if err != nil {
			return err
		}
		for _, purpose := range []string{keyhold.AuditKeyCheckpoint, keyhold.AuditKeyEntry} {
			if current(keys, purpose) == nil {
				if _, err := l.createKey(ctx, tx, purpose, st.Origin); err != nil {
					return err
				}
			}
		}
		return nil
	})
	// Another replica's first start may have made the keys at the same
	// moment; theirs serve.
	if err != nil && keyhold.ErrorCode(err) != keyhold.ECONFLICT {
		return err
	}
	if err := l.openCurrentKeys(ctx); err != nil {
		return err
	}
	_, err = l.Checkpoint(ctx, false)
	return err
}

// openCurrentKeys opens the current signing keys, so that a replica
// started with another secret key stops before it serves, not at its
// first checkpoint or export, which may be an hour away.
func (l *AuditLog) openCurrentKeys(ctx context.Context) error {
	return l.store.Read(ctx, func(tx storage.Tx) error {
		keys, err := tx.Audit().ListAuditKeys(ctx)
		if err != nil {
			return err
		}
		for _, purpose := range []string{keyhold.AuditKeyCheckpoint, keyhold.AuditKeyEntry} {
			if k := current(keys, purpose); k != nil {
				if _, err := l.privateKey(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func current(keys []*keyhold.AuditKey, purpose string) *keyhold.AuditKey {
	for _, k := range keys {
		if k.Purpose == purpose && k.RetiredAt == nil {
			return k
		}
	}
	return nil
}

// createKey makes and stores a new current key of purpose, whose note
// name (for checkpoint keys) is origin.
func (l *AuditLog) createKey(ctx context.Context, tx storage.Tx, purpose, origin string) (*keyhold.AuditKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &keyhold.AuditKey{ID: newID(), Purpose: purpose, PublicKey: pub, CreatedAt: l.clock()}
	switch purpose {
	case keyhold.AuditKeyCheckpoint:
		k.Name = origin
	default:
		k.Name = EntryKeyID(pub)
	}
	if k.Sealed, err = l.sealer.seal(priv.Seed(), k.ID); err != nil {
		return nil, err
	}
	return k, tx.Audit().CreateAuditKey(ctx, k)
}

// CheckpointVerifierKey is the note verifier key of a checkpoint key.
func CheckpointVerifierKey(k *keyhold.AuditKey) (string, error) {
	return checkpoint.VerifierKey(k.Name, k.PublicKey)
}

// EntryKeyID is the JWK kid of an entry key: the first 20 bytes of the
// SHA-256 of the public key, in hex (40 characters, as Konnect's are).
func EntryKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:20])
}

// privateKey opens a key's sealed seed.
func (l *AuditLog) privateKey(k *keyhold.AuditKey) (ed25519.PrivateKey, error) {
	seed, err := l.sealer.open(k.Sealed, k.ID)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("audit %s key %s: cannot decrypt it with this secret key: every replica needs the same --secret-key-file", k.Purpose, k.ID)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// hashReader reads the log's stored hashes in tx.
func hashReader(ctx context.Context, tx storage.Tx) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return tx.Audit().ReadAuditHashes(ctx, idx)
	})
}

// Checkpoint signs a checkpoint of the log as it is, when it is due: the
// log has none yet, it grew and the last is at least half an interval
// old, or the last is a quiet period old; force signs one regardless. It
// holds the log's lock meanwhile, so the tree cannot grow under it, and
// refuses to sign a tree inconsistent with the last checkpoint, which
// only a rewrite of the database makes. The checkpoint goes to the
// webhook destinations subscribed to audit.checkpoint in the same
// transaction. It returns the checkpoint it signed, or nil.
func (l *AuditLog) Checkpoint(ctx context.Context, force bool) (*keyhold.AuditCheckpoint, error) {
	if l.sealer == nil {
		return nil, nil
	}
	var signed *keyhold.AuditCheckpoint
	err := l.store.Write(ctx, func(tx storage.Tx) error {
		st, err := tx.Audit().LockAuditLog(ctx)
		if err != nil {
			return err
		}
		last, err := tx.Audit().LatestAuditCheckpoint(ctx)
		if err != nil && keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
			return err
		}
		now := l.clock()
		if last != nil {
			age := now.Sub(last.SignedAt)
			grown := st.Size > last.Size && age >= l.interval/2
			if !force && !grown && age < l.quiet {
				return nil
			}
			if err := l.consistentWith(ctx, tx, st, last); err != nil {
				return err
			}
		}
		keys, err := tx.Audit().ListAuditKeys(ctx)
		if err != nil {
			return err
		}
		k := current(keys, keyhold.AuditKeyCheckpoint)
		if k == nil {
			return errNoAuditKeys
		}
		priv, err := l.privateKey(k)
		if err != nil {
			return err
		}
		root, err := tlog.TreeHash(st.Size, hashReader(ctx, tx))
		if err != nil {
			return err
		}
		msg, err := checkpoint.Sign(k.Name, priv, st.Origin, st.Size, root, now)
		if err != nil {
			return err
		}
		cp := &keyhold.AuditCheckpoint{Size: st.Size, Root: root, SignedAt: now, Note: msg}
		if err := tx.Audit().AppendAuditCheckpoint(ctx, cp); err != nil {
			return err
		}
		signed = cp
		return l.emit(ctx, tx, keyhold.EventAuditCheckpoint, "", func() (map[string]any, error) {
			return map[string]any{"origin": st.Origin, "size": cp.Size, "root": root.String(),
				"signed_at": now.Format(time.RFC3339), "checkpoint": string(msg)}, nil
		})
	})
	return signed, err
}

// consistentWith checks that the log still holds the tree the last
// checkpoint signed: as many leaves at least, and the same root at its
// size.
func (l *AuditLog) consistentWith(ctx context.Context, tx storage.Tx, st storage.AuditLogState, last *keyhold.AuditCheckpoint) error {
	if st.Size < last.Size {
		return fmt.Errorf("audit log: %d leaves, but the last checkpoint signed %d: the log was cut; not signing", st.Size, last.Size)
	}
	_, size, root, err := checkpoint.Parse(last.Note)
	if err != nil {
		return fmt.Errorf("audit log: the last checkpoint: %w", err)
	}
	have, err := tlog.TreeHash(size, hashReader(ctx, tx))
	if err != nil {
		return err
	}
	if have != root {
		return fmt.Errorf("audit log: the tree of size %d no longer has the root the last checkpoint signed: the log was rewritten; not signing", size)
	}
	return nil
}

// auditCheckpoint signs a checkpoint when one is due; run as a job.
func (s *core) auditCheckpoint(ctx context.Context) error {
	_, err := s.auditLog.Checkpoint(ctx, false)
	return err
}

// LatestCheckpoint returns the newest signed checkpoint.
func (l *AuditLog) LatestCheckpoint(ctx context.Context) (*keyhold.AuditCheckpoint, error) {
	if err := l.authorize(ctx, "LatestCheckpoint", false); err != nil {
		return nil, err
	}
	var cp *keyhold.AuditCheckpoint
	err := l.read(ctx, func(tx storage.Tx) (err error) { cp, err = tx.Audit().LatestAuditCheckpoint(ctx); return err })
	if err != nil {
		return nil, err
	}
	_, _, cp.Root, err = checkpoint.Parse(cp.Note)
	return cp, err
}

// Status checks the latest checkpoint against the published keys and the
// stored tree. It is the server checking itself, which an attacker who
// holds the database and the secret key can fool; `keyhold audit verify`
// with a trusted checkpoint cannot be.
func (l *AuditLog) Status(ctx context.Context) (*keyhold.AuditLogStatus, error) {
	if err := l.authorize(ctx, "Status", false); err != nil {
		return nil, err
	}
	st := &keyhold.AuditLogStatus{}
	err := l.read(ctx, func(tx storage.Tx) error {
		s, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		st.Size, st.Origin = s.Size, s.Origin
		cp, err := tx.Audit().LatestAuditCheckpoint(ctx)
		if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			st.Problem = "The log has no checkpoint yet."
			return nil
		}
		if err != nil {
			return err
		}
		st.Checkpoint = cp
		keys, err := tx.Audit().ListAuditKeys(ctx)
		if err != nil {
			return err
		}
		var vs []note.Verifier
		byName := map[uint32]*keyhold.AuditKey{}
		for _, k := range keys {
			if k.Purpose != keyhold.AuditKeyCheckpoint {
				continue
			}
			vk, err := checkpoint.VerifierKey(k.Name, k.PublicKey)
			if err != nil {
				continue
			}
			v, err := note.NewVerifier(vk)
			if err != nil {
				continue
			}
			vs = append(vs, v)
			byName[v.KeyHash()] = k
		}
		n, err := note.Open(cp.Note, note.VerifierList(vs...))
		if err != nil {
			st.Problem = "The signature does not verify with the published keys: " + err.Error()
			return nil
		}
		k := byName[n.Sigs[0].Hash]
		st.KeyName = k.Name
		if st.SignedAt, err = checkpoint.CosignedAt(cp.Note, k.Name, ed25519.PublicKey(k.PublicKey)); err != nil {
			st.Problem = "The time cosignature does not verify: " + err.Error()
			return nil
		}
		if _, _, cp.Root, err = checkpoint.Parse(cp.Note); err != nil {
			st.Problem = err.Error()
			return nil
		}
		if err := l.consistentWith(ctx, tx, s, cp); err != nil {
			st.Problem = err.Error()
			return nil
		}
		st.Verified = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// MaxAuditPage bounds the leaves and checkpoints one call returns.
const MaxAuditPage = 1000

// Checkpoints returns up to limit checkpoints stored after the one
// numbered after, oldest first.
func (l *AuditLog) Checkpoints(ctx context.Context, after int64, limit int) ([]*keyhold.AuditCheckpoint, error) {
	if err := l.authorize(ctx, "Checkpoints", false); err != nil {
		return nil, err
	}
	limit = pageLimit(limit)
	var cps []*keyhold.AuditCheckpoint
	err := l.read(ctx, func(tx storage.Tx) (err error) {
		cps, err = tx.Audit().ListAuditCheckpoints(ctx, after, limit)
		return err
	})
	for _, cp := range cps {
		if err == nil {
			_, _, cp.Root, err = checkpoint.Parse(cp.Note)
		}
	}
	return cps, err
}

func pageLimit(limit int) int {
	if limit <= 0 || limit > MaxAuditPage {
		return MaxAuditPage
	}
	return limit
}

// Leaves returns up to limit leaves of the log from index from, each with
// its stored hash and its event (nil when pruned or missing).
func (l *AuditLog) Leaves(ctx context.Context, from int64, limit int) ([]keyhold.AuditLeafRecord, int64, error) {
	if err := l.authorize(ctx, "Leaves", false); err != nil {
		return nil, 0, err
	}
	if from < 0 {
		return nil, 0, keyhold.Invalid(keyhold.FieldError{Field: "from", Reason: "must be 0 or more", Rule: "min"})
	}
	var leaves []keyhold.AuditLeafRecord
	var size int64
	err := l.read(ctx, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		size = st.Size
		leaves, err = tx.Audit().ListAuditLeaves(ctx, from, pageLimit(limit))
		return err
	})
	return leaves, size, err
}

// InclusionProof proves that leaf seq is in the tree of size size: the
// hashes of tlog.ProveRecord, which tlog.CheckRecord (or RFC 6962/9162
// verification) checks against that tree's root.
func (l *AuditLog) InclusionProof(ctx context.Context, seq, size int64) (tlog.RecordProof, tlog.Hash, error) {
	if err := l.authorize(ctx, "InclusionProof", false); err != nil {
		return nil, tlog.Hash{}, err
	}
	var proof tlog.RecordProof
	var leaf tlog.Hash
	err := l.read(ctx, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		if size <= 0 || size > st.Size {
			return keyhold.Invalid(keyhold.FieldError{Field: "size", Reason: fmt.Sprintf("must be from 1 to the log's size, %d", st.Size), Rule: "range"})
		}
		if seq < 0 || seq >= size {
			return keyhold.Invalid(keyhold.FieldError{Field: "seq", Reason: "must be from 0 to size-1", Rule: "range"})
		}
		r := hashReader(ctx, tx)
		if proof, err = tlog.ProveRecord(size, seq, r); err != nil {
			return err
		}
		hs, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, seq)})
		if err != nil {
			return err
		}
		leaf = hs[0]
		return nil
	})
	return proof, leaf, err
}

// ProveEvents proves that each leaf of seqs is in the tree of the latest
// checkpoint, for a filtered page of events: so that a consumer can check
// that each event it got is in the log. Leaves the checkpoint does not
// cover yet get no proof.
func (l *AuditLog) ProveEvents(ctx context.Context, seqs []int64) (*keyhold.AuditCheckpoint, map[int64]tlog.RecordProof, error) {
	if err := l.authorize(ctx, "ProveEvents", false); err != nil {
		return nil, nil, err
	}
	if len(seqs) > MaxAuditPage {
		return nil, nil, keyhold.Invalid(keyhold.FieldError{Field: "seqs", Reason: fmt.Sprintf("at most %d", MaxAuditPage), Rule: "max_items"})
	}
	var cp *keyhold.AuditCheckpoint
	proofs := map[int64]tlog.RecordProof{}
	err := l.read(ctx, func(tx storage.Tx) error {
		var err error
		if cp, err = tx.Audit().LatestAuditCheckpoint(ctx); err != nil {
			return err
		}
		if _, _, cp.Root, err = checkpoint.Parse(cp.Note); err != nil {
			return err
		}
		r := hashReader(ctx, tx)
		for _, seq := range seqs {
			if seq < 0 || seq >= cp.Size {
				continue
			}
			if proofs[seq], err = tlog.ProveRecord(cp.Size, seq, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return cp, proofs, nil
}

// ConsistencyProof proves that the tree of size from is a prefix of the
// tree of size to: the hashes of tlog.ProveTree, which tlog.CheckTree
// checks against both roots.
func (l *AuditLog) ConsistencyProof(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	if err := l.authorize(ctx, "ConsistencyProof", false); err != nil {
		return nil, err
	}
	var proof tlog.TreeProof
	err := l.read(ctx, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		if to <= 0 || to > st.Size {
			return keyhold.Invalid(keyhold.FieldError{Field: "to", Reason: fmt.Sprintf("must be from 1 to the log's size, %d", st.Size), Rule: "range"})
		}
		if from <= 0 || from > to {
			return keyhold.Invalid(keyhold.FieldError{Field: "from", Reason: "must be from 1 to to", Rule: "range"})
		}
		proof, err = tlog.ProveTree(to, from, hashReader(ctx, tx))
		return err
	})
	return proof, err
}

// Keys returns every signing key, retired or not, oldest first, without
// their private halves: they are public.
func (l *AuditLog) Keys(ctx context.Context) ([]*keyhold.AuditKey, error) {
	if err := l.authorize(ctx, "Keys", false); err != nil {
		return nil, err
	}
	var keys []*keyhold.AuditKey
	err := l.read(ctx, func(tx storage.Tx) (err error) { keys, err = tx.Audit().ListAuditKeys(ctx); return err })
	for _, k := range keys {
		k.Sealed = nil
	}
	return keys, err
}

// RotateAuditKey retires the current key of purpose and makes a new one. The
// retired key stays published, so what it signed keeps verifying; a
// rotated checkpoint key signs a checkpoint at once.
func (l *AuditLog) RotateAuditKey(ctx context.Context, purpose string) (k *keyhold.AuditKey, err error) {
	defer l.denied(ctx, "audit.signing_key_rotated", &err)
	if err := l.authorize(ctx, "RotateAuditKey", false); err != nil {
		return nil, err
	}
	if !l.isOrgAdmin(ctx) {
		return nil, keyhold.Errorf(keyhold.EFORBIDDEN, "Only Organization Admin may rotate the audit log's signing keys")
	}
	if purpose != keyhold.AuditKeyCheckpoint && purpose != keyhold.AuditKeyEntry {
		return nil, keyhold.Invalid(keyhold.FieldError{Field: "purpose", Reason: "must be checkpoint or entry", Rule: "enum"})
	}
	if l.sealer == nil {
		return nil, errNoAuditKeys
	}
	ev := l.audit(ctx, "audit.signing_key_rotated", "audit_key", "", purpose)
	err = l.write(ctx, ev, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		keys, err := tx.Audit().ListAuditKeys(ctx)
		if err != nil {
			return err
		}
		var before any
		if old := current(keys, purpose); old != nil {
			before = old.ID
		}
		if err := tx.Audit().RetireAuditKeys(ctx, purpose, l.clock()); err != nil {
			return err
		}
		if k, err = l.createKey(ctx, tx, purpose, st.Origin); err != nil {
			return err
		}
		ev.TargetID = k.ID
		ev.Changes = keyhold.Changes{}.Add("key_id", before, k.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if purpose == keyhold.AuditKeyCheckpoint {
		if _, err := l.Checkpoint(ctx, true); err != nil {
			l.log.Error("audit checkpoint after key rotation", "err", err)
		}
	}
	k.Sealed = nil
	return k, nil
}

// EntrySigner returns the current entry key and its kid, for signing
// exported entries.
func (l *AuditLog) EntrySigner(ctx context.Context) (ed25519.PrivateKey, string, error) {
	if l.sealer == nil {
		return nil, "", errNoAuditKeys
	}
	var k *keyhold.AuditKey
	err := l.read(ctx, func(tx storage.Tx) error {
		keys, err := tx.Audit().ListAuditKeys(ctx)
		k = current(keys, keyhold.AuditKeyEntry)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if k == nil {
		return nil, "", errNoAuditKeys
	}
	priv, err := l.privateKey(k)
	return priv, k.Name, err
}
