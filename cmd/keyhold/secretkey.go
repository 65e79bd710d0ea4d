package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

// secretKeyFileName is the secret key file serve creates in a SQLite
// database's directory when no --secret-key-file is given.
const secretKeyFileName = "secret.key"

// errPostgresNeedsKey refuses to create a key for PostgreSQL: its replicas
// share no directory, and each would otherwise make a key of its own that
// the others cannot open the audit keys and webhook secrets with.
var errPostgresNeedsKey = errors.New("--secret-key-file is required with PostgreSQL: every replica needs the same --secret-key-file " +
	"(create one with `openssl rand -base64 32 > secret.key && chmod 600 secret.key`, and give it to every replica)")

// secretKey returns the key of --secret-key-file, or, without one, the key
// of secret.key in the SQLite database's directory, created there (mode
// 0600) on the first start, which it logs once. PostgreSQL needs the flag.
func secretKey(path, db string, log *slog.Logger) ([]byte, error) {
	if path != "" {
		return loadSecretKey(path)
	}
	dir, ok := store.DataDir(db)
	if !ok {
		return nil, errPostgresNeedsKey
	}
	path = filepath.Join(dir, secretKeyFileName)
	created, err := createSecretKey(path)
	if err != nil {
		return nil, fmt.Errorf("create the secret key file %s (or give --secret-key-file): %w", path, err)
	}
	key, err := loadSecretKey(path)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created secret key file; back it up: without it the audit keys and webhook secrets cannot be opened",
			"path", path)
	}
	return key, nil
}

// defaultSecretKeyFile describes, for --print-config, the key file serve
// uses without --secret-key-file with database db.
func defaultSecretKeyFile(db string) string {
	dir, ok := store.DataDir(db)
	if !ok {
		return "- (required with PostgreSQL)"
	}
	return filepath.Join(dir, secretKeyFileName) + " (created on first start)"
}

// createSecretKey writes 32 random bytes as base64 to path, unless a file
// is there already. The key is written to a temporary file first and
// linked into place, which fails when path exists: of concurrent starts
// one creates the file, whole, and the others read it.
func createSecretKey(path string) (created bool, err error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, ".secret.key-*") // mode 0600
	if err != nil {
		return false, err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone once linked; else a failed write's leftover
	key := make([]byte, service.SecretKeySize)
	_, _ = rand.Read(key) // never fails
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if err = errors.Join(err, tmp.Close()); err != nil {
		return false, err
	}
	switch err := os.Link(tmp.Name(), path); {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil // another start's key won
	default:
		return false, err
	}
}

// loadSecretKey reads the key that seals webhook signing secrets: 32
// random bytes written as base64 or hex, in a file only its owner may
// read, as `openssl rand -base64 32 > key && chmod 600 key` makes. Group read is allowed only when the group is one of this
// process's own: Kubernetes mounts a Secret as mode 0440 with the pod's
// fsGroup, which no other user has.
func loadSecretKey(path string) ([]byte, error) {
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
