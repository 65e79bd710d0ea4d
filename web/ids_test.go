package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The console takes ids in any case in its paths and forms, as the API
// does, and names nothing by an upper-case id it was given.
func TestConsoleIDsInAnyCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		b.get("/ui/accounts/new")
		acct := b.post("/ui/accounts/new", url.Values{"name": {"builder"}}).want(t, http.StatusOK, "System account created")
		id := strings.TrimPrefix(acct.url, "/ui/accounts/")
		upper := "/ui/accounts/" + strings.ToUpper(id)
		b.get(upper).want(t, http.StatusOK, "builder")
		b.get(upper+"/edit").want(t, http.StatusOK, `value="builder"`)
		b.post(upper+"/edit", url.Values{"name": {"builder-2"}}).want(t, http.StatusOK, "System account saved", "builder-2")

		b.get("/ui/teams/new")
		team := b.post("/ui/teams/new", url.Values{"name": {"release"}}).want(t, http.StatusOK, "Team created")
		teamUpper := "/ui/teams/" + strings.ToUpper(strings.TrimPrefix(team.url, "/ui/teams/"))
		b.get(teamUpper)
		b.post(teamUpper+"/members", url.Values{"member_type": {"system_account"}, "member": {strings.ToUpper(id)}}).want(t, http.StatusOK, "Member added")
		b.get(team.url).want(t, http.StatusOK, "builder-2")
	})
}
