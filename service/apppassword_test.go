package service_test

import (
	"errors"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

const appPasswordRefusal = "This token is an app password: it binds to the LDAP directory and cannot call the API"

// TestAppPasswordIntent: the intent is stored; an app password is refused
// on every HTTP surface with the clear message, except to rotate itself,
// and its successor is an app password too.
func TestAppPasswordIntent(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("nas", identityAdmin)
		api := e.mint(a.ID, keyhold.TokenCreate{})
		if api.Token.Intent != keyhold.IntentAPI {
			t.Fatalf("default intent = %q, want api", api.Token.Intent)
		}
		app := e.mint(a.ID, keyhold.TokenCreate{Intent: keyhold.IntentAppPassword})
		if app.Token.Intent != keyhold.IntentAppPassword {
			t.Fatalf("intent = %q, want app_password", app.Token.Intent)
		}
		got, err := e.tokens.GetToken(e.admin, accountRef(a.ID), app.Token.ID)
		if err != nil || got.Intent != keyhold.IntentAppPassword {
			t.Fatalf("stored intent = %v, %v", got, err)
		}
		if err := e.authenticate(api.Value); err != nil {
			t.Fatalf("api token: %v", err)
		}

		refused := func(what string) {
			t.Helper()
			err := e.authenticate(app.Value)
			if keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED || keyhold.ErrorMessage(err) != appPasswordRefusal {
				t.Fatalf("%s: authenticate = %v, want the app-password refusal", what, err)
			}
			for _, surface := range []string{"api", "authorize", "introspect", "check"} {
				d := e.svc.Decider.Decide(e.ctx, surface, keyhold.Credentials{Bearer: app.Value}, nil)
				if d.Outcome != keyhold.DecisionUnauthenticated || d.Reason != appPasswordRefusal {
					t.Fatalf("%s: decide on %s = %v %q", what, surface, d.Outcome, d.Reason)
				}
			}
			if d := e.svc.Decider.Decide(e.ctx, "ldap", keyhold.Credentials{Bearer: app.Value}, nil); d.Outcome != keyhold.DecisionAllowed {
				t.Fatalf("%s: decide on ldap = %v %q", what, d.Outcome, d.Reason)
			}
		}
		refused("fresh")
		// The index rebuilt from the store knows the intent as well.
		if err := e.svc.Feed.LoadIndex(e.ctx); err != nil {
			t.Fatal(err)
		}
		refused("reloaded")

		// Rotating another token (its account's api token) is refused at
		// authentication, and so is anything but the rotation in the
		// service, even with a principal that says it is rotating.
		if _, err := e.auth.Authenticate(e.ctx, keyhold.Credentials{Bearer: app.Value, Rotating: api.Token.ID}); keyhold.ErrorMessage(err) != appPasswordRefusal {
			t.Fatalf("rotating another token: %v", err)
		}
		p, err := e.auth.Authenticate(e.ctx, keyhold.Credentials{Bearer: app.Value, Rotating: app.Token.ID})
		if err != nil {
			t.Fatalf("authenticate to rotate itself: %v", err)
		}
		if !p.AppPassword {
			t.Fatalf("principal of an app password: %+v", p)
		}
		ctx := keyhold.NewContextWithPrincipal(e.ctx, p)
		if _, err := e.tokens.ListTokens(ctx, accountRef(a.ID), keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}}); keyhold.ErrorMessage(err) != appPasswordRefusal {
			t.Fatalf("list tokens with an app password: %v", err)
		}
		if _, err := e.tokens.RotateToken(ctx, accountRef(a.ID), api.Token.ID, keyhold.TokenRotate{}); keyhold.ErrorMessage(err) != appPasswordRefusal {
			t.Fatalf("rotate another token with an app password: %v", err)
		}
		succ, err := e.tokens.RotateToken(ctx, accountRef(a.ID), app.Token.ID, keyhold.TokenRotate{})
		if err != nil {
			t.Fatalf("rotate itself: %v", err)
		}
		if succ.Token.Intent != keyhold.IntentAppPassword {
			t.Fatalf("successor intent = %q", succ.Token.Intent)
		}
		stored, err := e.tokens.GetToken(e.admin, accountRef(a.ID), succ.Token.ID)
		if err != nil || stored.Intent != keyhold.IntentAppPassword {
			t.Fatalf("stored successor = %+v, %v", stored, err)
		}
		if err := e.authenticate(succ.Value); keyhold.ErrorMessage(err) != appPasswordRefusal {
			t.Fatalf("successor on the API: %v", err)
		}
		// An api token's successor stays api.
		apiSucc, err := e.tokens.RotateToken(e.admin, accountRef(a.ID), api.Token.ID, keyhold.TokenRotate{})
		if err != nil || apiSucc.Token.Intent != keyhold.IntentAPI {
			t.Fatalf("api successor = %+v, %v", apiSucc, err)
		}
		if err := e.authenticate(apiSucc.Value); err != nil {
			t.Fatalf("api successor: %v", err)
		}
	})
}

// TestIntentValidation: an unknown intent is a field error, whatever the
// lifetime asked; a personal token cannot be an app password.
func TestIntentValidation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("svc")
		_, err := e.tokens.CreateToken(e.admin, accountRef(a.ID), keyhold.TokenCreate{Name: "x", Intent: "ldap", NoExpiry: true})
		if !intentError(err) {
			t.Fatalf("unknown intent: %v", err)
		}
		ttl := 30 * 24 * time.Hour
		_, err = e.tokens.CreateToken(e.sys, userRef(e.adminID), keyhold.TokenCreate{Name: "mine", TTL: &ttl, Intent: keyhold.IntentAppPassword})
		if !intentError(err) {
			t.Fatalf("personal app password: %v", err)
		}
	})
}

func intentError(err error) bool {
	var ke *keyhold.Error
	if !errors.As(err, &ke) || ke.Code != keyhold.EINVALID {
		return false
	}
	for _, f := range ke.Fields {
		if f.Field == "intent" {
			return true
		}
	}
	return false
}
