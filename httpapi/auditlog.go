package httpapi

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/checkpoint"
	"github.com/keyhold/keyhold/wire"
)

// AuditLog is the audit log's integrity: checkpoints, proofs, leaves and
// signing keys (service.AuditLog).
type AuditLog interface {
	LatestCheckpoint(ctx context.Context) (*keyhold.AuditCheckpoint, error)
	Checkpoints(ctx context.Context, after int64, limit int) ([]*keyhold.AuditCheckpoint, error)
	Leaves(ctx context.Context, from int64, limit int) ([]keyhold.AuditLeafRecord, int64, error)
	InclusionProof(ctx context.Context, seq, size int64) (tlog.RecordProof, tlog.Hash, error)
	ConsistencyProof(ctx context.Context, from, to int64) (tlog.TreeProof, error)
	ProveEvents(ctx context.Context, seqs []int64) (*keyhold.AuditCheckpoint, map[int64]tlog.RecordProof, error)
	Keys(ctx context.Context) ([]*keyhold.AuditKey, error)
	RotateAuditKey(ctx context.Context, purpose string) (*keyhold.AuditKey, error)
}

// maxAuditPage bounds the leaves and checkpoints one request returns, as
// the service does.
const maxAuditPage = 1000

// intParams reads the query parameters named, each an integer of at least
// 0, and refuses any other parameter: a misspelt one would otherwise be
// silently ignored. Required ones must be present.
func intParams(v url.Values, required []string, optional ...string) (map[string]int64, error) {
	out := map[string]int64{}
	var errs []keyhold.FieldError
	for name, vals := range v {
		if !slices.Contains(required, name) && !slices.Contains(optional, name) {
			errs = append(errs, keyhold.FieldError{Field: name, Source: "query", Reason: "is not a parameter of this route", Rule: "unknown"})
			continue
		}
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if len(vals) != 1 || err != nil || n < 0 {
			errs = append(errs, keyhold.FieldError{Field: name, Source: "query", Reason: "must be one integer, 0 or more", Rule: "type"})
			continue
		}
		out[name] = n
	}
	for _, name := range required {
		if _, ok := out[name]; !ok && len(v[name]) == 0 {
			errs = append(errs, keyhold.FieldError{Field: name, Source: "query", Reason: "is required", Rule: "required"})
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b keyhold.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return nil, keyhold.Invalid(errs...)
	}
	return out, nil
}

func checkpointOut(cp *keyhold.AuditCheckpoint) wire.AuditCheckpoint {
	return wire.AuditCheckpoint{Seq: cp.Seq, Size: cp.Size, Root: tlog.Hash(cp.Root).String(), SignedAt: cp.SignedAt, Checkpoint: string(cp.Note)}
}

// getAuditCheckpoint serves the latest signed checkpoint: the signed note
// itself, as text, unless the client asks for JSON.
func (s *Server) getAuditCheckpoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := intParams(r.URL.Query(), nil); err != nil {
		return err
	}
	cp, err := s.svc.AuditLog.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, r, http.StatusOK, checkpointOut(cp))
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(cp.Note)
	return nil
}

func (s *Server) listAuditCheckpoints(w http.ResponseWriter, r *http.Request) error {
	q, err := intParams(r.URL.Query(), nil, "after", "limit")
	if err != nil {
		return err
	}
	cps, err := s.svc.AuditLog.Checkpoints(r.Context(), q["after"], int(min(q["limit"], maxAuditPage)))
	if err != nil {
		return err
	}
	out := wire.AuditCheckpoints{Data: make([]wire.AuditCheckpoint, len(cps))}
	for i, cp := range cps {
		out.Data[i] = checkpointOut(cp)
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

func hashString(h [32]byte) string { return base64.StdEncoding.EncodeToString(h[:]) }

func (s *Server) listAuditLeaves(w http.ResponseWriter, r *http.Request) error {
	q, err := intParams(r.URL.Query(), nil, "from", "limit")
	if err != nil {
		return err
	}
	leaves, size, err := s.svc.AuditLog.Leaves(r.Context(), q["from"], int(min(q["limit"], maxAuditPage)))
	if err != nil {
		return err
	}
	out := wire.AuditLeaves{Data: make([]wire.AuditLeaf, len(leaves)), Size: size}
	for i, l := range leaves {
		out.Data[i] = wire.AuditLeaf{Seq: l.Index, LeafHash: hashString(l.Hash), Pruned: l.Pruned}
		if l.NoHash {
			out.Data[i].LeafHash = "" // lost: the verifier names it
		}
		if l.Event != nil {
			e := auditEventOut(l.Event)
			out.Data[i].Event = &e
		}
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

// proveEvents is the proof that each of events is in the log.
func (s *Server) proveEvents(ctx context.Context, events []*keyhold.AuditEvent) (*wire.AuditLogProof, error) {
	seqs := make([]int64, 0, len(events))
	for _, e := range events {
		seqs = append(seqs, e.Seq)
	}
	cp, proofs, err := s.svc.AuditLog.ProveEvents(ctx, seqs)
	if err != nil {
		return nil, err
	}
	out := &wire.AuditLogProof{Checkpoint: string(cp.Note), Size: cp.Size, Root: tlog.Hash(cp.Root).String(), Inclusion: []wire.InclusionProof{}}
	for _, e := range events {
		if p, ok := proofs[e.Seq]; ok {
			out.Inclusion = append(out.Inclusion, wire.InclusionProof{Seq: e.Seq, Size: cp.Size, LeafHash: hashString(e.Hash), Proof: hashesOut(p)})
		}
	}
	return out, nil
}

func hashesOut(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func (s *Server) getInclusionProof(w http.ResponseWriter, r *http.Request) error {
	q, err := intParams(r.URL.Query(), []string{"seq", "size"})
	if err != nil {
		return err
	}
	p, leaf, err := s.svc.AuditLog.InclusionProof(r.Context(), q["seq"], q["size"])
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, wire.InclusionProof{Seq: q["seq"], Size: q["size"], LeafHash: leaf.String(), Proof: hashesOut(p)})
	return nil
}

func (s *Server) getConsistencyProof(w http.ResponseWriter, r *http.Request) error {
	q, err := intParams(r.URL.Query(), []string{"from", "to"})
	if err != nil {
		return err
	}
	p, err := s.svc.AuditLog.ConsistencyProof(r.Context(), q["from"], q["to"])
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, wire.ConsistencyProof{From: q["from"], To: q["to"], Proof: hashesOut(p)})
	return nil
}

func auditKeyOut(k *keyhold.AuditKey) wire.AuditKey {
	out := wire.AuditKey{ID: k.ID, Purpose: k.Purpose, Name: k.Name, PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey),
		CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}
	if k.Purpose == keyhold.AuditKeyCheckpoint {
		out.VerifierKey, _ = checkpoint.VerifierKey(k.Name, k.PublicKey)
	}
	return out
}

// getAuditKeys serves the checkpoint verifier keys, retired ones too, one
// per line in note format; with Accept: application/json, every key.
func (s *Server) getAuditKeys(w http.ResponseWriter, r *http.Request) error {
	if _, err := intParams(r.URL.Query(), nil); err != nil {
		return err
	}
	keys, err := s.svc.AuditLog.Keys(r.Context())
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		out := wire.AuditKeys{Data: []wire.AuditKey{}}
		for _, k := range keys {
			out.Data = append(out.Data, auditKeyOut(k))
		}
		writeJSON(w, r, http.StatusOK, out)
		return nil
	}
	var b strings.Builder
	for _, k := range keys {
		if k.Purpose == keyhold.AuditKeyCheckpoint {
			if vk, err := checkpoint.VerifierKey(k.Name, k.PublicKey); err == nil {
				b.WriteString(vk + "\n")
			}
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	return nil
}

func (s *Server) rotateAuditKey(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	purpose := o.str("purpose", true)
	if err := o.err(); err != nil {
		return err
	}
	k, err := s.svc.AuditLog.RotateAuditKey(r.Context(), *purpose)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, auditKeyOut(k))
	return nil
}

// jwk is an Ed25519 public key as RFC 8037 writes it.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	X   string `json:"x"`
	Use string `json:"use"`
}

// getJWKS serves the entry keys, retired ones too, as Konnect's
// /v2/audit-log-webhook/jwks.json does: a receiver tries each.
func (s *Server) getJWKS(w http.ResponseWriter, r *http.Request) error {
	if _, err := intParams(r.URL.Query(), nil); err != nil {
		return err
	}
	keys, err := s.svc.AuditLog.Keys(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		if k.Purpose == keyhold.AuditKeyEntry && len(k.PublicKey) == ed25519.PublicKeySize {
			out.Keys = append(out.Keys, jwk{Kty: "OKP", Crv: "Ed25519", Alg: "EdDSA", Kid: k.Name, Use: "sig",
				X: base64.RawURLEncoding.EncodeToString(k.PublicKey)})
		}
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}
