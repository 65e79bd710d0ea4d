package wire_test

import (
	"net/http"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// Every code has its own status and comes back from it; a status no code
// stands for is internal, and an unknown code answers 500.
func TestStatusAndCodeRoundTrip(t *testing.T) {
	codes := []string{keyhold.EINVALID, keyhold.EUNAUTHENTICATED, keyhold.EFORBIDDEN, keyhold.ENOTFOUND, keyhold.ECONFLICT,
		keyhold.ETOOLARGE, keyhold.ERATELIMITED, keyhold.EUNAVAILABLE, keyhold.EINTERNAL}
	seen := map[int]string{}
	for _, code := range codes {
		status := wire.StatusOf(code)
		if prev, ok := seen[status]; ok {
			t.Errorf("%s and %s share status %d", prev, code, status)
		}
		seen[status] = code
		if got := wire.CodeOf(status); got != code {
			t.Errorf("CodeOf(StatusOf(%s) = %d) = %s", code, status, got)
		}
		if wire.Title(status) == "" {
			t.Errorf("status %d of %s has no title", status, code)
		}
	}
	for _, status := range []int{http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType, http.StatusBadGateway, http.StatusTeapot} {
		if got := wire.CodeOf(status); got != keyhold.EINTERNAL {
			t.Errorf("CodeOf(%d) = %s, want internal", status, got)
		}
	}
	if got := wire.StatusOf("no_such_code"); got != http.StatusInternalServerError {
		t.Errorf("StatusOf(unknown) = %d", got)
	}
}

// A problem without detail or instance is its title and status alone.
func TestProblemErrBare(t *testing.T) {
	e := (&wire.Problem{Status: 404, Title: "Not Found", Instance: "elsewhere:1"}).Err()
	if e.Code != keyhold.ENOTFOUND || e.Message != "Not Found (404)" || e.Fields != nil {
		t.Errorf("Err() = %#v", e)
	}
}
