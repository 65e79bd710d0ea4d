package auditexport_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/auditexport"
)

// vectorFile holds keyhold's test vectors: a reader with only its seed
// can check each entry (the public key, the exact signed bytes and the
// signature are in it).
const vectorFile = "testdata/vectors.json"

type vectors struct {
	Comment   string   `json:"comment"`
	Seed      string   `json:"seed"`       // hex, 32 bytes
	PublicKey string   `json:"public_key"` // the JWK x: base64url, unpadded
	KeyID     string   `json:"kid"`
	OrgID     string   `json:"org_id"`
	Host      string   `json:"host"`
	Event     string   `json:"event"` // the event's audit-log leaf
	Entries   []vector `json:"entries"`
}

type vector struct {
	Format string `json:"format"`
	Line   string `json:"line"`   // the entry as sent
	Signed string `json:"signed"` // the bytes the signature covers
	Sig    string `json:"sig"`
}

// vectorEvent exercises every field and every escape: a pipe in the
// action's noun is impossible, so the header escapes are tested apart.
func vectorEvent() *keyhold.AuditEvent {
	e := &keyhold.AuditEvent{
		ID: "0e5b6a1c-6d3a-4b59-9d3e-1f2a3b4c5d6e", Time: time.Date(2026, 6, 18, 21, 2, 36, 123456000, time.UTC),
		ActorType: keyhold.PrincipalUser, ActorID: "87655c36-8d63-48fe-9a1e-53b28dfbc19b", ActorName: "Ada = admin\\ops",
		Action: "system_account.updated", TargetType: "system_account", TargetID: "b065b594-6afc-4658-9101-5d9cf3f36b7b",
		TargetName: "ci|deploy", SubjectID: "b065b594-6afc-4658-9101-5d9cf3f36b7b", Outcome: keyhold.OutcomeSuccess,
		RequestID: "3895213347334635099", ClientIP: "203.0.113.7", UserAgent: "curl/8.5.0 <test>", Count: 1,
		Reason: "line one\nline two\r",
		Credential: keyhold.AuditCredential{ID: "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
			Fingerprint: keyhold.TokenFingerprint([]byte("digest")), Method: keyhold.AuthBearer},
		Changes: keyhold.Changes{}.Add("name", "ci", "ci|deploy").Add("description", "", "a=b"),
		Seq:     41,
	}
	e.Hash = e.LeafHash()
	return e
}

func vectorKey() ed25519.PrivateKey {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	return ed25519.NewKeyFromSeed(seed)
}

func TestVectors(t *testing.T) {
	key := vectorKey()
	pub := key.Public().(ed25519.PublicKey)
	f := &auditexport.Formatter{Signer: auditexport.Signer{Key: key, KeyID: "d75a980182b10ab7d54bfed3c964073a0ee172f3"},
		Host: "keyhold.example.com", OrgID: "4f3e2d1c-0b9a-4876-9543-210fedcba987"}
	e := vectorEvent()
	got := vectors{
		Comment: "keyhold's Konnect-compatible audit entries: Ed25519 (RFC 8032) over signed, the entry without its sig field; sig is base64url unpadded; ocsf entries are signed as json ones",
		Seed:    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", PublicKey: base64.RawURLEncoding.EncodeToString(pub),
		KeyID: f.KeyID, OrgID: f.OrgID, Host: f.Host, Event: string(e.LeafData()),
	}
	for _, format := range []string{auditexport.FormatJSON, auditexport.FormatCEF, auditexport.FormatOCSF} {
		line, err := f.Format(format, e)
		if err != nil {
			t.Fatal(err)
		}
		signed, sig := splitSig(t, format, line)
		got.Entries = append(got.Entries, vector{Format: format, Line: string(line), Signed: string(signed), Sig: sig})
	}
	if os.Getenv("KEYHOLD_UPDATE_VECTORS") != "" {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(vectorFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.FromSlash(vectorFile))
	if err != nil {
		t.Fatal(err)
	}
	var want vectors
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if want.PublicKey != got.PublicKey || want.Event != got.Event || len(want.Entries) != len(got.Entries) {
		t.Fatalf("vectors: key, event or entries differ:\n got %+v\nwant %+v", got, want)
	}
	for i, w := range want.Entries {
		if g := got.Entries[i]; g != w {
			t.Errorf("%s entry:\n got %s\nwant %s", w.Format, g.Line, w.Line)
		}
		// What a reader can check with the file alone.
		sig, err := base64.RawURLEncoding.DecodeString(w.Sig)
		if err != nil || len(w.Sig) != 86 {
			t.Errorf("%s sig %q: want 86 base64url characters (%v)", w.Format, w.Sig, err)
		}
		if !ed25519.Verify(pub, []byte(w.Signed), sig) {
			t.Errorf("%s: the signature does not verify", w.Format)
		}
		if s, _ := splitSig(t, w.Format, []byte(w.Line)); string(s) != w.Signed {
			t.Errorf("%s: signed bytes are not the line without its sig", w.Format)
		}
	}
}

// splitSig cuts the sig field off a line by Konnect's rule.
func splitSig(t *testing.T, format string, line []byte) ([]byte, string) {
	t.Helper()
	marker, end := []byte(` sig=`), []byte(nil)
	json := format != auditexport.FormatCEF
	if json {
		marker, end = []byte(`,"sig":"`), []byte(`"}`)
	}
	i := bytes.LastIndex(line, marker)
	if i < 0 || !bytes.HasSuffix(line, end) {
		t.Fatalf("%s line without sig: %s", format, line)
	}
	signed := append([]byte{}, line[:i]...)
	if json {
		signed = append(signed, '}')
	}
	return signed, string(line[i+len(marker) : len(line)-len(end)])
}

// A CEF header escapes \ and | (an action of another release could hold
// them); the extension escapes = and line breaks, so one entry is one line.
func TestCEFEscapes(t *testing.T) {
	f := &auditexport.Formatter{Signer: auditexport.Signer{Key: vectorKey(), KeyID: "k"}}
	e := &keyhold.AuditEvent{ID: "i", Time: time.Unix(0, 0), Action: `a\b|c.d`, Outcome: keyhold.OutcomeDenied,
		Reason: "x=y\nz", Count: 1}
	line := string(f.CEF(e))
	want := `1970-01-01T00:00:00Z keyhold CEF:0|keyhold|keyhold|1.0|a\\b\|c|a\\b\|c.d|6|action=a\\b|c.d count=1 id=i outcome=denied reason=x\=y\nz rt=0 seq=0 sig_kid=k sig=`
	if len(line) != len(want)+86 || line[:len(want)] != want {
		t.Errorf("CEF line:\n got %s\nwant %s<sig>", line, want)
	}
}

// OCSF entries carry the required fields, with type_uid = class_uid×100 +
// activity_id, for every action keyhold writes.
func TestOCSFRequiredFields(t *testing.T) {
	f := &auditexport.Formatter{Signer: auditexport.Signer{Key: vectorKey(), KeyID: "k"}}
	for _, action := range keyhold.AuditActions() {
		e := vectorEvent()
		e.Action = action
		line, err := f.OCSF(e)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			ActivityID  *int `json:"activity_id"`
			CategoryUID *int `json:"category_uid"`
			ClassUID    *int `json:"class_uid"`
			TypeUID     *int `json:"type_uid"`
			SeverityID  *int `json:"severity_id"`
			Time        *int64
			Metadata    struct {
				Version string
				Product struct{ Name string }
			}
		}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		if m.ActivityID == nil || m.CategoryUID == nil || m.ClassUID == nil || m.TypeUID == nil || m.SeverityID == nil ||
			m.Time == nil || m.Metadata.Version != "1.8.0" || m.Metadata.Product.Name != "keyhold" ||
			*m.TypeUID != *m.ClassUID*100+*m.ActivityID || *m.CategoryUID != *m.ClassUID/1000 {
			t.Errorf("%s: %s", action, line)
		}
	}
	for action, want := range map[string][2]int{"system_account.created": {3001, 1}, "user.deleted": {3001, 6},
		"auth.failed": {3002, 1}, "token.created": {3004, 1}, "token.revoked": {3004, 4}, "token.expired": {3004, 11},
		"system_account.updated": {3004, 3}, "role.assigned": {3005, 1}, "role.unassigned": {3005, 2},
		"team.member_added": {3006, 3}, "team.member_removed": {3006, 4}} {
		if c, a := auditexport.OCSFClass(action); c != want[0] || a != want[1] {
			t.Errorf("%s: class %d activity %d, want %v", action, c, a, want)
		}
	}
}
