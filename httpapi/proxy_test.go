package httpapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// The address the trusted-proxy rule yields is the one the audit trail
// records.
func TestAuditRecordsForwardedClient(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		var proxies []netip.Prefix
		want := "127.0.0.1"
		if trusted {
			proxies, want = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.9"
		}
		e := apitest.New(t, "sqlite", apitest.Options{TrustedProxies: proxies})
		req, _ := http.NewRequest("POST", e.Server.URL+"/v3/teams", strings.NewReader(`{"name":"t"}`))
		req.Header.Set("Authorization", "Bearer "+e.Admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("create team: %v %v", err, res)
		}
		res.Body.Close()
		var events wire.List[wire.AuditEvent]
		e.Do("GET", "/v3/audit-events?filter[action][eq]=team.created", e.Admin, nil).Want(t, 200).JSON(t, &events)
		if len(events.Data) != 1 || events.Data[0].ClientIP != want {
			t.Errorf("trusted=%v: events %+v, want client_ip %s", trusted, events.Data, want)
		}
	}
}
