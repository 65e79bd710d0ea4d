package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/keyhold/keyhold/service"
)

// loadSecretKey reads the key that seals webhook signing secrets: 32
// random bytes written as base64 or hex, in a file only its owner may
// read, as `openssl rand -base64 32 > key && chmod 600 key` makes. No path
// means no key.
func loadSecretKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--secret-key-file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--secret-key-file %s: permissions %04o let others read it; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--secret-key-file: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	for _, decode := range []func(string) ([]byte, error){base64.StdEncoding.DecodeString, hex.DecodeString} {
		if key, err := decode(text); err == nil && len(key) == service.SecretKeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("--secret-key-file %s: want %d random bytes as base64 or hex (openssl rand -base64 32)", path, service.SecretKeySize)
}
