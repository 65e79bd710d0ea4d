package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
)

// flip changes one character of a token's random part, keeping it base62.
func flip(token string, i int) string {
	b := []byte(token)
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

func TestAuthentication(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "ci-deployer")
		_, spat := mintSPAT(t, e, acct, "main")
		unknownSPAT, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
		unknownPAT, _ := keyhold.GenerateTokenValue(keyhold.TokenKindPersonal)

		failures := []struct {
			name string
			hdr  string // the whole Authorization header; "" sends none
		}{
			{"NoHeader", ""},
			{"EmptyBearer", "Bearer "},
			{"GarbageSPAT", "Bearer spat_xxx"},
			{"GarbagePAT", "Bearer kpat_" + strings.Repeat("x", 49)},
			{"NoPrefix", "Bearer " + spat[5:]},
			{"WrongPrefix", "Bearer kpat_" + spat[5:]},
			{"UnknownSPAT", "Bearer " + unknownSPAT},
			{"UnknownPAT", "Bearer " + unknownPAT},
			{"FlippedRandom", "Bearer " + flip(spat, 10)},
			{"FlippedChecksum", "Bearer " + flip(spat, len(spat)-1)},
			{"FlippedAdmin", "Bearer " + flip(e.Admin, 20)},
			{"Truncated", "Bearer " + spat[:len(spat)-1]},
			{"Extended", "Bearer " + spat + "0"},
			{"UnknownScheme", "Token " + spat},
			{"BasicWrongName", basic("someone-else", spat)},
			{"BasicNameSpace", basic("ci-deployer ", spat)},
			{"BasicNoPassword", basic("ci-deployer", "")},
			{"BasicUserWithAccountToken", basic("admin@example.com", spat)},
			{"BasicAccountWithUserToken", basic("ci-deployer", e.Admin)},
		}
		for _, c := range failures {
			t.Run("ErrUnauthenticated/"+c.name, func(t *testing.T) {
				for _, p := range []string{"/v1/whoami", "/v3/system-accounts", "/v3/roles"} {
					hdr := http.Header{}
					if c.hdr != "" {
						hdr.Set("Authorization", c.hdr)
					}
					r := do(t, e, "GET", p, "", nil, hdr)
					pb := wantProblem(t, r, 401)
					if pb.Title != "Unauthenticated" || pb.Detail == "" {
						t.Errorf("problem = %+v", pb)
					}
					if w := r.Header.Get("WWW-Authenticate"); !strings.Contains(w, "Bearer") {
						t.Errorf("WWW-Authenticate = %q", w)
					}
				}
			})
		}
		// A failed authentication is never a 500, even on writes.
		wantProblem(t, e.Do("POST", "/v3/system-accounts", unknownSPAT, map[string]any{"name": "x", "description": ""}), 401)

		t.Run("OK", func(t *testing.T) {
			for name, hdr := range map[string]string{
				"Bearer":      "Bearer " + spat,
				"LowerBearer": "bearer " + spat,
				"Basic":       basic("ci-deployer", spat),
				"BasicUser":   basic("admin@example.com", e.Admin),
				// Names and emails are unique ignoring case, and so match.
				"BasicNameCase":  basic("CI-Deployer", spat),
				"BasicEmailCase": basic("Admin@Example.COM", e.Admin),
				"BearerUserPAT":  "Bearer " + e.Admin,
			} {
				r := do(t, e, "GET", "/v1/whoami", "", nil, http.Header{"Authorization": {hdr}}).Want(t, 200)
				if w := r.Header.Get("WWW-Authenticate"); w != "" {
					t.Errorf("%s: WWW-Authenticate on success: %q", name, w)
				}
			}
		})

		t.Run("Whoami", func(t *testing.T) {
			who := e.Do("GET", "/v1/whoami", e.Admin, nil).Want(t, 200).Map(t)
			if who["principal_type"] != "user" || who["principal_id"] != e.AdminID || who["principal_name"] != "admin@example.com" || who["token_type"] != "kpat" {
				t.Errorf("whoami = %v", who)
			}
			me := e.Do("GET", "/v3/users/me", e.Admin, nil).Want(t, 200).Map(t)
			if me["id"] != e.AdminID || me["email"] != "admin@example.com" || me["active"] != true {
				t.Errorf("me = %v", me)
			}
			who = e.Do("GET", "/v1/whoami", spat, nil).Want(t, 200).Map(t)
			if who["principal_type"] != "system_account" || who["principal_id"] != acct || who["token_type"] != "spat" {
				t.Errorf("whoami = %v", who)
			}
			// Konnect does not allow /users/me with a system account token.
			wantProblem(t, e.Do("GET", "/v3/users/me", spat, nil), 403)
			wantProblem(t, e.Do("GET", "/v3/users/me", basic("ci-deployer", spat), nil), 403)
		})

		t.Run("Public", func(t *testing.T) {
			for _, p := range []string{"/healthz", "/readyz", "/openapi.yaml"} {
				do(t, e, "GET", p, "", nil, nil).Want(t, 200)
			}
		})
	})
}

// Failed authentications cost no write each: they are counted per client
// address and minute and written as one event with a count.
func TestFailedAuthenticationAudit(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		unknown, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
		ua := http.Header{"User-Agent": {"scanner/1.0"}}
		const query = "?filter[action][eq]=auth.failed"
		for i := 0; i < 5; i++ {
			tok := "spat_garbage"
			if i%2 == 1 {
				tok = unknown
			}
			wantProblem(t, do(t, e, "GET", "/v3/system-accounts", tok, nil, ua), 401)
		}
		// Nothing is written per request.
		if n := audit(t, e, query).Meta.Page.Total; n != 0 {
			t.Fatalf("%d auth.failed events before a flush", n)
		}
		// A periodic flush leaves the current minute open.
		e.Service.Decider.Flush(t.Context(), false)
		if n := audit(t, e, query).Meta.Page.Total; n != 0 {
			t.Fatalf("%d auth.failed events after a flush within the minute", n)
		}
		e.Service.Decider.Flush(t.Context(), true)
		got := audit(t, e, query)
		if got.Meta.Page.Total != 1 || len(got.Data) != 1 {
			t.Fatalf("auth.failed events = %+v, want one", got.Data)
		}
		ev := got.Data[0]
		minute := e.Clock.Now().UTC().Truncate(time.Minute)
		if ev.Count != 5 || ev.Outcome != "failure" || ev.ClientIP != "127.0.0.1" || ev.UserAgent != "scanner/1.0" ||
			ev.ActorType != "anonymous" || !ev.OccurredAt.Equal(minute) {
			t.Errorf("event = %+v, want count 5 from 127.0.0.1 at %s", ev, minute)
		}
		// Flushed counts are not written twice.
		e.Service.Decider.Flush(t.Context(), true)
		if n := audit(t, e, query).Meta.Page.Total; n != 1 {
			t.Errorf("%d events after a second flush, want 1", n)
		}

		// The next minute is another event, written by the periodic flush
		// once that minute is over.
		e.Clock.Advance(time.Minute)
		for i := 0; i < 2; i++ {
			wantProblem(t, do(t, e, "GET", "/v1/whoami", unknown, nil, ua), 401)
		}
		// A request without credentials is refused but is no failed attempt.
		wantProblem(t, do(t, e, "GET", "/v1/whoami", "", nil, ua), 401)
		e.Clock.Advance(time.Minute)
		e.Service.Decider.Flush(t.Context(), false)
		got = audit(t, e, query)
		if got.Meta.Page.Total != 2 || got.Data[0].Count != 2 || got.Data[1].Count != 5 {
			t.Errorf("events = %+v, want counts 2 then 5, newest first", got.Data)
		}
		// Token values never reach the audit trail.
		body := e.Do("GET", "/v3/audit-events", e.Admin, nil).Want(t, 200).Body
		if strings.Contains(string(body), unknown) {
			t.Errorf("audit shows a presented token")
		}
		// Successful requests are not counted as failures.
		e.Service.Decider.Flush(t.Context(), true)
		if n := audit(t, e, query).Meta.Page.Total; n != 2 {
			t.Errorf("%d events, want 2", n)
		}
	})
}
