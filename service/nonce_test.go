package service_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// A console form's nonce is used once by a signed-in principal; no one
// else may record one, and an expired one is refused.
func TestUseFormNonce(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		exp := t0.Add(time.Hour)
		if err := e.sessions.UseFormNonce(e.admin, "nonce-1", exp); err != nil {
			t.Fatalf("first use: %v", err)
		}
		wantCode(t, "second use", e.sessions.UseFormNonce(e.admin, "nonce-1", exp), keyhold.ECONFLICT)
		if err := e.sessions.UseFormNonce(e.admin, "nonce-2", t0.Add(1000*time.Hour)); err != nil {
			t.Fatalf("another nonce, expiry past the bound: %v", err)
		}
		wantCode(t, "no principal", e.sessions.UseFormNonce(e.ctx, "nonce-3", exp), keyhold.EUNAUTHENTICATED)
		wantCode(t, "expired", e.sessions.UseFormNonce(e.admin, "nonce-3", t0), keyhold.EINVALID)
		wantCode(t, "empty", e.sessions.UseFormNonce(e.admin, "", exp), keyhold.EINVALID)
	})
}
