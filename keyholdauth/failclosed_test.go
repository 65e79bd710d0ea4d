package keyholdauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/keyholdauth"
)

const somePlane = "/control-planes/cp-1/reports"

// A keyhold that cannot be reached lets nothing through.
func TestUnreachable(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	for _, staleness := range []time.Duration{0, time.Minute} {
		svc := newService(t, keyholdauth.Config{URL: gone.URL, MaxStaleness: staleness})
		for range 2 {
			svc.get(t, somePlane, "Bearer spat_whatever").want(t, 502)
		}
		if svc.reached() != 0 {
			t.Errorf("MaxStaleness %v: the handler was called", staleness)
		}
		if n := keyholdauth.CacheLen(svc.Auth); n != 0 {
			t.Errorf("MaxStaleness %v: %d errors cached", staleness, n)
		}
	}
}

// An answer that is not a decision is refused with 502, not taken for a
// refusal or a pass: here keyhold's URL is misconfigured with a path
// prefix, and the real keyhold answers 404 for /v3/v1/authorize.
func TestUnexpectedAnswer(t *testing.T) {
	k := startKeyhold(t)
	svc := newService(t, keyholdauth.Config{URL: k.Server.URL + "/v3", MaxStaleness: time.Minute})
	svc.get(t, somePlane, bearer(k.Token)).want(t, 502)
	if svc.reached() != 0 {
		t.Error("the handler was called")
	}
	_, err := svc.Auth.Check(t.Context(), bearer(k.Token), nil)
	if !errors.Is(err, keyholdauth.ErrUnavailable) {
		t.Errorf("Check error %v, want ErrUnavailable", err)
	}
}

func TestOnError(t *testing.T) {
	k := startKeyhold(t)
	t.Run("Writes", func(t *testing.T) {
		got := make(chan error, 1)
		svc := newService(t, keyholdauth.Config{URL: k.Server.URL, OnError: func(w http.ResponseWriter, r *http.Request, err error) {
			got <- err
			w.WriteHeader(http.StatusTeapot)
		}})
		r := svc.get(t, somePlane+"?region=us", bearer(k.Token))
		if err := <-got; r.Status != http.StatusTeapot || !errors.Is(err, keyholdauth.ErrForbidden) {
			t.Errorf("status %d, OnError got %v; want 418 and ErrForbidden", r.Status, err)
		}
	})
	t.Run("WritesNothing", func(t *testing.T) {
		// An OnError that only logs must not turn a refusal into a 200.
		var called atomic.Bool
		svc := newService(t, keyholdauth.Config{URL: k.Server.URL, OnError: func(http.ResponseWriter, *http.Request, error) { called.Store(true) }})
		svc.get(t, somePlane, "").want(t, 401)
		if !called.Load() || svc.reached() != 0 {
			t.Errorf("OnError called %v, handler reached %d times", called.Load(), svc.reached())
		}
	})
}
