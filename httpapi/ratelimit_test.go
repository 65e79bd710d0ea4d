package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// An address that fails to authenticate too often is refused with 429 and
// Retry-After, even with a valid token, until the minute ends.
func TestFailedAuthenticationRateLimit(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "victim")
		_, spat := mintSPAT(t, e, acct, "t")
		for i := 0; i < 100; i++ {
			wantProblem(t, e.Do("GET", "/v1/authorize", "spat_guess"+strconv.Itoa(i), nil), 401)
		}
		r := wantProblem(t, e.Do("GET", "/v1/authorize", spat, nil), 429)
		_ = r
		res := e.Do("GET", "/v1/whoami", spat, nil)
		wantProblem(t, res, 429)
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
		}
		e.Clock.Advance(time.Minute)
		e.Do("GET", "/v1/authorize", spat, nil).Want(t, 200)
	})
}
