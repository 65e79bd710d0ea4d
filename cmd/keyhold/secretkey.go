package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/keyhold/keyhold/service"
)

// loadSecretKey reads the key that seals webhook signing secrets: 32
// random bytes written as base64 or hex, in a file only its owner may
// read, as `openssl rand -base64 32 > key && chmod 600 key` makes. No path
// means no key. Group read is allowed only when the group is one of this
// process's own: Kubernetes mounts a Secret as mode 0440 with the pod's
// fsGroup, which no other user has.
func loadSecretKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--secret-key-file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o037 != 0 || (perm&0o040 != 0 && !ownGroup(fi)) {
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

// ownGroup tells whether the file's group is this process's effective or
// a supplementary group.
func ownGroup(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	gid := int(st.Gid)
	if gid == os.Getegid() {
		return true
	}
	groups, err := os.Getgroups()
	return err == nil && slices.Contains(groups, gid)
}
