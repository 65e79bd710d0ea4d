package service

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// SecretKeySize is the size of the key that seals webhook signing secrets.
const SecretKeySize = 32

// sealVersion prefixes every sealed secret, so that another scheme can
// follow without guessing.
const sealVersion = 1

// sealer encrypts webhook signing secrets at rest with AES-256-GCM. The
// destination's id is the additional data, so that a sealed secret copied
// onto another destination does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("secret key: %d bytes, want %d", len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain []byte, id string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(id)), nil
}

var errUnseal = errors.New("cannot decrypt the signing secret: was --secret-key-file changed? Rotate the destination's secret")

func (s *sealer) open(sealed []byte, id string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, errUnseal
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(id))
	if err != nil {
		return nil, errUnseal
	}
	return plain, nil
}

// newSigningSecret returns a Standard Webhooks secret: "whsec_" and the
// base64 of 32 random bytes, and the raw bytes that sign.
func newSigningSecret() (string, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(raw), raw, nil
}
