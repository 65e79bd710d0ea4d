package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// secretOf returns the one-time secret in a setup link.
func secretOf(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/ui/setup" || u.Query().Get("token") == "" {
		t.Fatalf("setup link %q", link)
	}
	return u.Query().Get("token")
}

func userByEmail(t testing.TB, e *apitest.Env, email string) (id string, active bool) {
	t.Helper()
	var page wire.List[wire.User]
	e.Do("GET", "/v3/users?filter[email][eq]="+url.QueryEscape(email), e.Admin, nil).Want(t, 200).JSON(t, &page)
	if len(page.Data) != 1 {
		t.Fatalf("%d users with email %s", len(page.Data), email)
	}
	return page.Data[0].ID, page.Data[0].Active
}

// An invited user accepts by setting a password through a setup link an
// admin issued; the link works once, is audited without its secret, and a
// deactivated user gets none.
func TestInviteAcceptedThroughSetupLink(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		e.Do("POST", "/v3/invites", e.Admin, map[string]any{"email": "new@example.com"}).Want(t, 201)
		id, active := userByEmail(t, e, "new@example.com")
		if active {
			t.Fatal("an invited user is active before accepting")
		}
		var link wire.SetupLink
		r := e.Do("POST", "/v3/users/"+id+"/setup-link", e.Admin, nil).Want(t, 201)
		r.JSON(t, &link)
		if r.Header.Get("Cache-Control") != "no-store" || link.User.ID != id || link.User.Active {
			t.Errorf("setup link answer: %+v, Cache-Control %q", link, r.Header.Get("Cache-Control"))
		}
		if want := e.Clock.Now().Add(24 * time.Hour); !link.ExpiresAt.Equal(want) {
			t.Errorf("expires_at %v, want %v", link.ExpiresAt, want)
		}
		secret := secretOf(t, link.SetupURL)
		if _, _, err := e.Service.Sessions.SignIn(t.Context(), keyhold.SignIn{Email: "new@example.com", Password: "a long passphrase"}); err == nil {
			t.Fatal("an invited user signed in before accepting")
		}

		// Accepting: the password is set and the user is active.
		if _, err := e.Service.Sessions.SetPasswordWithSetup(t.Context(), secret, "a long passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, active := userByEmail(t, e, "new@example.com"); !active {
			t.Error("the user is not active after accepting")
		}
		if _, _, err := e.Service.Sessions.SignIn(t.Context(), keyhold.SignIn{Email: "new@example.com", Password: "a long passphrase"}); err != nil {
			t.Errorf("sign-in after accepting: %v", err)
		}
		if _, err := e.Service.Sessions.SetPasswordWithSetup(t.Context(), secret, "another passphrase"); keyhold.ErrorCode(err) == "" {
			t.Error("a setup link worked twice")
		}
		actions := map[string]int{}
		for _, ev := range audit(t, e, "?page[size]=100").Data {
			if ev.TargetID == id {
				actions[ev.Action]++
			}
		}
		for _, a := range []string{"user.invited", "user.setup_link_issued", "user.password_set", "user.invite_accepted"} {
			if actions[a] != 1 {
				t.Errorf("%d %s events for the user, want 1 (%v)", actions[a], a, actions)
			}
		}
		if raw := e.Do("GET", "/v3/audit-events?page[size]=100", e.Admin, nil).Want(t, 200).Body; strings.Contains(string(raw), secret) {
			t.Error("the setup secret is in the audit trail")
		}
		if strings.Contains(e.Logs.String(), secret) {
			t.Error("the setup secret is in the logs")
		}

		// An active user gets a reset link; the reset leaves them active.
		e.Do("POST", "/v3/users/"+id+"/setup-link", e.Admin, nil).Want(t, 201).JSON(t, &link)
		if _, err := e.Service.Sessions.SetPasswordWithSetup(t.Context(), secretOf(t, link.SetupURL), "a third passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, active := userByEmail(t, e, "new@example.com"); !active {
			t.Error("a password reset deactivated the user")
		}

		// A deactivated user gets no link, and a link issued before the
		// deactivation does not bring them back.
		e.Do("POST", "/v3/users/"+id+"/setup-link", e.Admin, nil).Want(t, 201).JSON(t, &link)
		admin := keyhold.NewContextWithPrincipal(t.Context(), &keyhold.Principal{Type: keyhold.PrincipalUser, ID: e.AdminID})
		if _, err := e.Service.Sessions.SetUserActive(admin, id, false); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, e.Do("POST", "/v3/users/"+id+"/setup-link", e.Admin, nil), 409)
		if _, err := e.Service.Sessions.SetPasswordWithSetup(t.Context(), secretOf(t, link.SetupURL), "a fourth passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, active := userByEmail(t, e, "new@example.com"); active {
			t.Error("a setup link reactivated a deactivated user")
		}

		wantProblem(t, e.Do("POST", "/v3/users/00000000-0000-4000-8000-000000000000/setup-link", e.Admin, nil), 404)
		wantInvalid(t, e.Do("POST", "/v3/users/nope/setup-link", e.Admin, nil), "userId", "is_uuid")
	})
}
