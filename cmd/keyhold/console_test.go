package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/store/storetest"
)

var (
	setupPattern = regexp.MustCompile(`https://keyhold\.example\.com/ui/setup\?token=([A-Za-z0-9_-]{43})`)
	csrfPattern  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// signIn posts the console's sign-in form and returns the response, whose
// redirect is not followed.
func signIn(t *testing.T, base, email, password string) *http.Response {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfPattern.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf token on the sign-in page: %s", body)
	}
	res, err = c.PostForm(base+"/ui/signin", url.Values{"email": {email}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// The first start prints a one-time setup link built from --public-url,
// which sets the first admin's password; keyhold users set-password sets
// another straight in the database.
func TestFirstRunSetupLinkAndSetPassword(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.NewURL(t, backend)
			p := startServe(t, "--db", db, "--admin-email", "ops@example.com", "--public-url", "https://keyhold.example.com/")
			m := setupPattern.FindStringSubmatch(p.out.String())
			if m == nil {
				t.Fatalf("no setup link on stdout: %q", p.out.String())
			}
			secret := m[1]
			if strings.Contains(p.err.String(), secret) {
				t.Error("the setup secret reached the logs")
			}
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Get(p.url + "/ui/setup?token=" + secret)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), "ops@example.com") {
				t.Fatalf("setup page: %d %s", res.StatusCode, body)
			}
			const pw = "the first admin's passphrase"
			csrf := csrfPattern.FindSubmatch(body)[1]
			res, err = c.PostForm(p.url+"/ui/setup", url.Values{"token": {secret}, "password": {pw}, "password_again": {pw}, "csrf": {string(csrf)}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Request.URL.Path != "/ui/signin" {
				t.Fatalf("setting the password: %d at %s", res.StatusCode, res.Request.URL)
			}
			res = signIn(t, p.url, "ops@example.com", pw)
			var session *http.Cookie
			for _, ck := range res.Cookies() {
				if ck.Name == "keyhold_session" {
					session = ck
				}
			}
			if res.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly {
				t.Fatalf("sign-in: %d, cookie %+v (an https --public-url makes it Secure)", res.StatusCode, session)
			}
			p.shutdown(t)

			var out, errb strings.Builder
			const pw2 = "a break-glass passphrase"
			code := run(t.Context(), []string{"users", "set-password", "--db", db, "--email", "ops@example.com"},
				stdio{in: strings.NewReader(pw2 + "\n"), out: &out, err: &errb}, noEnv, nil)
			if code != 0 || !strings.Contains(out.String(), "Password set for ops@example.com") {
				t.Fatalf("set-password: %d %q %q", code, out.String(), errb.String())
			}
			again := startServe(t, "--db", db)
			if strings.Contains(again.out.String(), "/ui/setup") {
				t.Error("a restart printed another setup link")
			}
			if res := signIn(t, again.url, "ops@example.com", pw2); res.StatusCode != http.StatusSeeOther {
				t.Errorf("sign-in with the new password: %d", res.StatusCode)
			}
			if res := signIn(t, again.url, "ops@example.com", pw); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("sign-in with the old password: %d", res.StatusCode)
			}
		})
	}
}
