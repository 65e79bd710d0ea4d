package checkpoint_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold/checkpoint"
)

// The reference's valid C2SP checkpoint parses, and opens with its key.
func TestParseReferenceCheckpoint(t *testing.T) {
	const vkey = "keyhold.example.com/audit+96130632+Acrh1mkSO0QskMCb7lrhiFM9aIZY7nQecnbLk5igjgTB"
	const msg = "keyhold.example.com/audit\n1843\nUQCYdgYmfnZpGtk54QuK7Wt1ZTXkwdI00+wa/cs5EhU=\n\n" +
		"\u2014 keyhold.example.com/audit lhMGMogOeYxMG8MB4wjuk5ojM/EfmWZp5nKk5HJntoLx8vGO97T8Sa2X2n23Yfr3UctPknRJC/nQPd0A7GtBIT7CEw8=\n"
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(msg), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	origin, size, root, err := checkpoint.Parse([]byte(n.Text))
	if err != nil || origin != "keyhold.example.com/audit" || size != 1843 || root.String() != "UQCYdgYmfnZpGtk54QuK7Wt1ZTXkwdI00+wa/cs5EhU=" {
		t.Fatalf("%q %d %v %v", origin, size, root, err)
	}
	name, pub, err := checkpoint.PublicKey(vkey)
	if err != nil || name != origin {
		t.Fatal(name, err)
	}
	if back, _ := checkpoint.VerifierKey(name, pub); back != vkey {
		t.Fatalf("VerifierKey gives %q, want %q", back, vkey)
	}
	for _, bad := range []string{"", "o\n1\n", "o\n-1\nUQCYdgYmfnZpGtk54QuK7Wt1ZTXkwdI00+wa/cs5EhU=\n", "o\n01\nUQCYdgYmfnZpGtk54QuK7Wt1ZTXkwdI00+wa/cs5EhU=\n", "o\n1\nnot base64\n"} {
		if _, _, _, err := checkpoint.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
}

// Sign makes a note that x/mod's note.Open accepts with VerifierKey's
// key, and whose time cosignature states the time; a changed time, text
// or key does not verify.
func TestSignAndCosign(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	root := tlog.RecordHash([]byte("x"))
	msg, err := checkpoint.Sign("example/audit", key, "example/audit", 7, root, at)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := checkpoint.VerifierKey("example/audit", pub)
	v, _ := note.NewVerifier(vkey)
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil || n.Text != checkpoint.Text("example/audit", 7, root) || len(n.UnverifiedSigs) != 1 {
		t.Fatalf("open: %v, %+v", err, n)
	}
	if got, err := checkpoint.CosignedAt(msg, "example/audit", pub); err != nil || !got.Equal(at) {
		t.Fatalf("cosigned at %v, %v", got, err)
	}
	other := ed25519.NewKeyFromSeed(append([]byte{1}, seed[1:]...)).Public().(ed25519.PublicKey)
	if _, err := checkpoint.CosignedAt(msg, "example/audit", other); err == nil {
		t.Error("another key's cosignature check passed")
	}
	forged := strings.Replace(string(msg), "\n7\n", "\n8\n", 1)
	if _, err := checkpoint.CosignedAt([]byte(forged), "example/audit", pub); err == nil {
		t.Error("a changed size kept its cosignature")
	}
}
