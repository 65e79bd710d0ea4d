// Package checkpoint writes and reads the audit log's checkpoints: C2SP
// tlog-checkpoints (origin, size, root) as signed notes, signed by an
// Ed25519 key and cosigned with the time they were made (C2SP
// tlog-cosignature/v1). The server signs with it and the verifier,
// auditverify, reads with it: one definition of the format.
package checkpoint

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Text is the body of a checkpoint: origin, size and the base64 root
// hash, each on its own line.
func Text(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)
}

// Parse reads the origin, size and root of a checkpoint's text or of a
// whole signed note, verifying nothing.
func Parse(msg []byte) (origin string, size int64, root tlog.Hash, err error) {
	text, _, _ := strings.Cut(string(msg), "\n\n")
	lines := strings.Split(text, "\n")
	if len(lines) < 3 || lines[0] == "" {
		return "", 0, root, errors.New("a checkpoint is an origin, a size and a root, each on a line")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return "", 0, root, fmt.Errorf("checkpoint size %q", lines[1])
	}
	if root, err = tlog.ParseHash(lines[2]); err != nil {
		return "", 0, root, fmt.Errorf("checkpoint root %q", lines[2])
	}
	return lines[0], size, root, nil
}

// ValidOrigin reports whether origin can name a log: printable ASCII
// without spaces or "+", as note key names and checkpoint origins need.
func ValidOrigin(origin string) bool {
	if origin == "" || len(origin) > 255 {
		return false
	}
	for _, r := range origin {
		if r <= ' ' || r > '~' || r == '+' {
			return false
		}
	}
	return true
}

// VerifierKey is the note verifier key of an Ed25519 checkpoint key:
// <name>+<key id>+<base64(0x01 || public key)>.
func VerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	return note.NewEd25519VerifierKey(name, pub)
}

// signer signs notes with an Ed25519 key, as note.NewSigner would with
// the key's "PRIVATE+KEY+..." form.
type signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// keyHash is a signed note's key id: the first four bytes of
// SHA-256(name || "\n" || type || public key), big-endian. Type 0x01 is
// an Ed25519 note signature, 0x04 a tlog-cosignature/v1.
func keyHash(name string, typ byte, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{typ})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// Sign returns the signed checkpoint of (origin, size, root) by key named
// name, cosigned with time t.
func Sign(name string, key ed25519.PrivateKey, origin string, size int64, root tlog.Hash, t time.Time) ([]byte, error) {
	pub := key.Public().(ed25519.PublicKey)
	text := Text(origin, size, root)
	msg, err := note.Sign(&note.Note{Text: text}, &signer{name: name, hash: keyHash(name, 0x01, pub), key: key})
	if err != nil {
		return nil, err
	}
	return append(msg, cosignature(name, key, t, text)...), nil
}

// cosignature is a tlog-cosignature/v1 line by key over text, made at t:
// it signs "cosignature/v1\ntime <t>\n" followed by the text, and its
// signature is the key id (type 0x04), t as 8 big-endian bytes, and the
// Ed25519 signature.
func cosignature(name string, key ed25519.PrivateKey, t time.Time, text string) string {
	pub := key.Public().(ed25519.PublicKey)
	ts := uint64(t.Unix())
	sig := make([]byte, 0, 4+8+ed25519.SignatureSize)
	sig = binary.BigEndian.AppendUint32(sig, keyHash(name, 0x04, pub))
	sig = binary.BigEndian.AppendUint64(sig, ts)
	sig = append(sig, ed25519.Sign(key, cosigned(ts, text))...)
	return "\u2014 " + name + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
}

func cosigned(ts uint64, text string) []byte {
	return []byte("cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + text)
}

// CosignedAt checks the tlog-cosignature/v1 lines of a signed checkpoint
// by the key (name, pub) and returns the newest time one of them states;
// an error when one does not verify or there is none.
func CosignedAt(signed []byte, name string, pub ed25519.PublicKey) (time.Time, error) {
	text, sigs, ok := strings.Cut(string(signed), "\n\n")
	if !ok {
		return time.Time{}, errors.New("not a signed note")
	}
	text += "\n"
	want := keyHash(name, 0x04, pub)
	var newest time.Time
	found := false
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 "+name+" ")
		if !ok {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(sig) != 4+8+ed25519.SignatureSize || binary.BigEndian.Uint32(sig) != want {
			continue
		}
		ts := binary.BigEndian.Uint64(sig[4:])
		if !ed25519.Verify(pub, cosigned(ts, text), sig[12:]) {
			return time.Time{}, fmt.Errorf("the cosignature of time %d does not verify", ts)
		}
		if t := time.Unix(int64(ts), 0).UTC(); !found || t.After(newest) {
			newest = t
		}
		found = true
	}
	if !found {
		return time.Time{}, errors.New("no time cosignature by the checkpoint key")
	}
	return newest, nil
}

// PublicKey is the Ed25519 key of a note verifier key.
func PublicKey(vkey string) (name string, pub ed25519.PublicKey, err error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return "", nil, fmt.Errorf("verifier key %q: want name+id+key", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x01 {
		return "", nil, fmt.Errorf("verifier key %q: not an Ed25519 key", vkey)
	}
	return parts[0], raw[1:], nil
}
