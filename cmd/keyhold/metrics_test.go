package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/store/storetest"
)

func TestMetrics(t *testing.T) {
	p := startServe(t, "--db", storetest.NewURL(t, storetest.SQLite))
	admin := kpatPattern.FindString(p.out.String())
	p.call(t, "GET", "/v1/authorize", admin, "")
	p.call(t, "GET", "/v1/authorize", "spat_garbage", "")
	p.call(t, "POST", "/v3/teams", admin, `{"name":"t"}`) // a change through the feed
	res, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		`keyhold_decisions_total{outcome="allowed",surface="authorize"} 1`,
		`keyhold_decisions_total{outcome="unauthenticated",surface="authorize"} 1`,
		`keyhold_decision_duration_seconds_bucket{surface="authorize"`,
		`keyhold_http_requests_total{method="GET",route="/v1/authorize",status="200"} 1`,
		`keyhold_http_requests_total{method="POST",route="POST /v3/teams",status="201"} 1`,
		`keyhold_index_tokens 1`,
		`keyhold_index_principals 1`,
		`keyhold_index_teams 9`,
		`keyhold_index_table_bytes 65536`, // the smallest table: 1,024 slots of 64 bytes
		`keyhold_index_change_lag_seconds_count 1`,
		`go_sql_open_connections{db_name="sqlite_write"}`,
		`go_sql_open_connections{db_name="sqlite_read"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, admin) {
		t.Error("/metrics contains a token")
	}
}
