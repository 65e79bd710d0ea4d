package keyhold

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Authentication methods an audit event's credential names.
const (
	AuthBearer  = "bearer"  // Authorization: Bearer <token>
	AuthBasic   = "basic"   // Authorization: Basic with a token as password
	AuthSession = "session" // a console sign-in
	AuthLDAP    = "ldap"    // an LDAP simple bind with a token as password
)

// AuditCredential is the credential that performed an audited action: never
// its value, only what identifies it. Fingerprint is the lowercase hex
// SHA-256 of the token's stored digest (TokenFingerprint), as GitHub's
// hashed_token, so that a leaked value's holder can find its events
// without the trail holding anything that authenticates.
type AuditCredential struct {
	ID          string `json:"id,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Method      string `json:"method,omitempty"`
}

// IsZero reports whether no credential acted (keyhold itself, an unknown
// token's failure without fingerprint).
func (c AuditCredential) IsZero() bool { return c == AuditCredential{} }

// TokenFingerprint is the fingerprint of a token whose stored digest is
// digest: the lowercase hex SHA-256 of the digest's bytes.
func TokenFingerprint(digest []byte) string {
	sum := sha256.Sum256(digest)
	return hex.EncodeToString(sum[:])
}

// AuditChange is one field's change in an update event. A secret field
// (a webhook's signing secret, say) is only marked Changed: neither value
// is ever kept.
type AuditChange struct {
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	Changed bool            `json:"changed,omitempty"`
}

// FieldChange returns the change of a field from before to after, each encoded
// as JSON (a nil slice encodes as []: "no roles" reads the same whatever
// built it).
func FieldChange(before, after any) AuditChange {
	return AuditChange{Before: changeValue(before), After: changeValue(after)}
}

// SecretChanged is the change of a secret field: that it changed, nothing
// more.
func SecretChanged() AuditChange { return AuditChange{Changed: true} }

func changeValue(v any) json.RawMessage {
	if s, ok := v.([]string); ok && s == nil {
		v = []string{}
	}
	b, err := marshalCanonical(v)
	if err == nil {
		// A struct's fields come in declaration order; the canonical form
		// sorts every object's keys, as a verifier that decodes the event
		// and encodes it again (CanonicalJSON) gets them.
		b, err = CanonicalJSON(b)
	}
	if err != nil {
		panic(fmt.Sprintf("audit change of %T: %v", v, err))
	}
	return b
}

// Changes is an update's changes by field; Add records a field only when
// its value changed.
type Changes map[string]AuditChange

// Add records field's change from before to after when they differ, and
// returns c.
func (c Changes) Add(field string, before, after any) Changes {
	ch := FieldChange(before, after)
	if !bytes.Equal(ch.Before, ch.After) {
		c[field] = ch
	}
	return c
}

// auditLeaf is the canonical form of an event in the audit log: its JSON,
// with the keys in this (sorted) order, no insignificant whitespace and no
// HTML escaping, is the leaf whose RFC 6962 hash the Merkle tree holds.
// The leaf index is not in it: the tree binds each leaf to its position.
// Version 1; a change of this form is a new version, never an edit.
type auditLeaf struct {
	Action     string                 `json:"action"`
	Actor      auditLeafRef           `json:"actor"`
	Changes    map[string]AuditChange `json:"changes,omitempty"`
	ClientIP   string                 `json:"client_ip"`
	Count      int                    `json:"count"`
	Credential *AuditCredential       `json:"credential,omitempty"`
	ID         string                 `json:"id"`
	OccurredAt string                 `json:"occurred_at"`
	Outcome    string                 `json:"outcome"`
	Reason     string                 `json:"reason"`
	RequestID  string                 `json:"request_id"`
	Subject    string                 `json:"subject_account_id"`
	Target     auditLeafRef           `json:"target"`
	UserAgent  string                 `json:"user_agent"`
	V          int                    `json:"v"`
}

type auditLeafRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// AuditLeafVersion is the version of the leaf encoding LeafData writes.
const AuditLeafVersion = 1

// LeafData returns the event's leaf in the audit log: the bytes whose
// tlog.RecordHash is its leaf hash. Anyone holding the event as the API
// serves it can rebuild them, so a verifier need not trust the server.
func (e *AuditEvent) LeafData() []byte {
	l := auditLeaf{
		Action: e.Action, Actor: auditLeafRef{ID: e.ActorID, Name: e.ActorName, Type: string(e.ActorType)},
		Changes: e.Changes, ClientIP: e.ClientIP, Count: e.Count, ID: e.ID,
		OccurredAt: e.Time.UTC().Format(time.RFC3339Nano), Outcome: e.Outcome, Reason: e.Reason,
		RequestID: e.RequestID, Subject: e.SubjectID,
		Target:    auditLeafRef{ID: e.TargetID, Name: e.TargetName, Type: e.TargetType},
		UserAgent: e.UserAgent, V: AuditLeafVersion,
	}
	if len(l.Changes) == 0 {
		l.Changes = nil
	}
	if !e.Credential.IsZero() {
		c := e.Credential
		l.Credential = &c
	}
	b, err := marshalCanonical(l)
	if err != nil {
		panic(fmt.Sprintf("audit leaf: %v", err)) // only strings, ints and compact JSON
	}
	return b
}

// LeafHash returns the RFC 6962 hash of the event's leaf:
// SHA-256(0x00 || LeafData()), tlog.RecordHash.
func (e *AuditEvent) LeafHash() [32]byte {
	return sha256.Sum256(append([]byte{0}, e.LeafData()...))
}

// marshalCanonical is json.Marshal without HTML escaping and without the
// encoder's trailing newline.
func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// CanonicalJSON re-encodes a JSON value as the audit log encodes change
// values: objects' keys sorted, no insignificant whitespace, no HTML
// escaping, numbers as written. A value that went through another JSON
// encoder (one that escapes "<" as \u003c, say) comes back as it was
// appended.
func CanonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return marshalCanonical(v)
}

// CanonicalChanges encodes changes as the audit log stores them, or ""
// when there are none.
func CanonicalChanges(c map[string]AuditChange) (string, error) {
	if len(c) == 0 {
		return "", nil
	}
	b, err := marshalCanonical(c)
	return string(b), err
}

// AuditCheckpoint is a signed checkpoint of the audit log: a C2SP
// tlog-checkpoint as a signed note, signed by the log's checkpoint key
// and cosigned with the time it was made (C2SP tlog-cosignature), so that
// a checkpoint of an unchanged tree made an hour later proves the hour
// quiet.
type AuditCheckpoint struct {
	Seq      int64 // the order checkpoints were stored in
	Size     int64
	Root     [32]byte
	SignedAt time.Time
	Note     []byte // the whole signed note
}

// AuditKey is one of the audit log's signing keys. Purpose is
// AuditKeyCheckpoint or AuditKeyEntry. Retired keys sign nothing new but
// stay published, so that what they signed keeps verifying.
type AuditKey struct {
	ID        string
	Purpose   string
	Name      string // the note key name (checkpoint keys) or the JWK kid (entry keys)
	PublicKey []byte // Ed25519, 32 bytes
	Sealed    []byte // the Ed25519 seed, sealed under the secret key
	CreatedAt time.Time
	RetiredAt *time.Time
}

// Audit signing-key purposes.
const (
	AuditKeyCheckpoint = "checkpoint"
	AuditKeyEntry      = "entry"
)

// AuditLeafRecord is one leaf of the audit log as a verifier reads it: its
// index, the hash the log stores for it, and its event, or nil when
// retention pruned the event's body (Pruned) or it is missing.
type AuditLeafRecord struct {
	Index  int64
	Hash   [32]byte
	NoHash bool // the log lost the leaf's hash
	Event  *AuditEvent
	Pruned bool
}

// AuditLogStatus is what the console's Verify panel shows: the latest
// checkpoint, whether its signature verifies with the log's published
// checkpoint keys, the time its cosignature states, and whether the tree
// the database holds still has the root it signed.
type AuditLogStatus struct {
	Checkpoint *AuditCheckpoint // nil before the first
	Size       int64            // the log's size now
	Origin     string
	KeyName    string // the key whose signature verified
	SignedAt   time.Time
	// Verified is set when the signature and the cosignature verify and
	// the stored tree has the signed root; Problem says otherwise why not.
	Verified bool
	Problem  string
}
