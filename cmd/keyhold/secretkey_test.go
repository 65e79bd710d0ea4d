package main

import (
	"os"
	"strings"
	"testing"
)

// Group read passes only for a group of this process's own, as Kubernetes
// mounts a Secret (mode 0440, group fsGroup); others' bits, group write and
// a foreign group's read are refused.
func TestSecretKeyFileGroup(t *testing.T) {
	key := newKey()
	for _, mode := range []os.FileMode{0o400, 0o600, 0o440, 0o640} {
		if k, err := loadSecretKey(writeKeyFile(t, mode, key)); err != nil || len(k) != 32 {
			t.Errorf("mode %04o, own group: %v", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o604, 0o644, 0o660, 0o620, 0o610} {
		if _, err := loadSecretKey(writeKeyFile(t, mode, key)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v, want refusal", mode, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("a foreign group needs root to chown")
	}
	path := writeKeyFile(t, 0o640, key)
	foreign := 65531
	if err := os.Chown(path, -1, foreign); err != nil {
		t.Fatal(err)
	}
	groups, _ := os.Getgroups()
	for _, g := range append(groups, os.Getegid()) {
		if g == foreign {
			t.Skipf("this process is in group %d", foreign)
		}
	}
	if _, err := loadSecretKey(path); err == nil {
		t.Error("0640 with a foreign group was accepted")
	}
}
