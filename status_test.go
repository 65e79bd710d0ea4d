package keyhold_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func TestTokenStatus(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	succ := "b"
	account := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "a"}
	user := keyhold.Ref{Type: keyhold.PrincipalUser, ID: "u"}
	for _, c := range []struct {
		name        string
		tok         keyhold.Token
		ownerActive bool
		want        keyhold.TokenStatus
	}{
		{"Active", keyhold.Token{Owner: account}, true, keyhold.TokenStatus{State: keyhold.TokenActive}},
		{"Rotating", keyhold.Token{Owner: account, SuccessorID: &succ, RotationDeadline: &later}, true,
			keyhold.TokenStatus{State: keyhold.TokenRotating, Until: &later}},
		{"AccountDisabled", keyhold.Token{Owner: account}, false,
			keyhold.TokenStatus{State: keyhold.TokenRefused, Reason: "account disabled"}},
		{"RotatingAccountDisabled", keyhold.Token{Owner: account, SuccessorID: &succ, RotationDeadline: &later}, false,
			keyhold.TokenStatus{State: keyhold.TokenRefused, Reason: "account disabled"}},
		{"UserDeactivated", keyhold.Token{Owner: user}, false,
			keyhold.TokenStatus{State: keyhold.TokenRefused, Reason: "user deactivated"}},
		{"RevokedStaysRevoked", keyhold.Token{Owner: account, RevokedAt: &earlier}, false, keyhold.TokenStatus{State: keyhold.TokenRevoked}},
		{"ExpiredStaysExpired", keyhold.Token{Owner: user, ExpiresAt: &earlier}, false, keyhold.TokenStatus{State: keyhold.TokenExpired}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.tok.Status(now, c.ownerActive)
			if got.State != c.want.State || got.Reason != c.want.Reason ||
				(got.Until == nil) != (c.want.Until == nil) || (got.Until != nil && !got.Until.Equal(*c.want.Until)) {
				t.Fatalf("Status = %+v, want %+v", got, c.want)
			}
		})
	}
}
