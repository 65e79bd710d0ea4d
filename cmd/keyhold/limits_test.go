package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/server"
)

// Requests over the API's header limit get 431 problem+json from the real
// server, since serve sets net/http's own limit, which would answer in
// plain text, well above it. Bodies over the body limit get 413
// problem+json.
func TestServeRequestLimits(t *testing.T) {
	p := startServe(t, "--db", "sqlite:"+t.TempDir()+"/keyhold.db")
	token := kpatPattern.FindString(p.out.String())
	send := func(method, path, header, body string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("X-Padding", header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res, raw
	}
	wantProblem := func(name string, res *http.Response, raw []byte, status int) {
		t.Helper()
		var pb struct {
			Status int    `json:"status"`
			Title  string `json:"title"`
		}
		if res.StatusCode != status || res.Header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal(raw, &pb) != nil || pb.Status != status || pb.Title == "" {
			t.Errorf("%s: %d %s %s", name, res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", name)
		}
	}
	if res, raw := send("GET", "/v1/whoami", strings.Repeat("a", httpapi.DefaultMaxHeaderBytes/2), ""); res.StatusCode != 200 {
		t.Fatalf("header under the limit: %d %s", res.StatusCode, raw)
	}
	for name, n := range map[string]int{"JustOver": httpapi.DefaultMaxHeaderBytes, "FarOver": server.MaxHeaderBytes - 64<<10} {
		res, raw := send("GET", "/v1/whoami", strings.Repeat("a", n), "")
		wantProblem(name, res, raw, http.StatusRequestHeaderFieldsTooLarge)
	}
	res, raw := send("POST", "/v3/teams", "", `{"name":"big","description":"`+strings.Repeat("x", 1<<20)+`"}`)
	wantProblem("BodyTooLarge", res, raw, http.StatusRequestEntityTooLarge)
	if status, l := p.call(t, "GET", "/v3/teams?filter[name]=big", token, ""); status != 200 || len(l["data"].([]any)) != 0 {
		t.Errorf("list teams after a refused create: %d %v", status, l)
	}
}
