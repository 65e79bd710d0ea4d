package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDistribution(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	dist := NewDistribution(d)
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0, time.Millisecond}, {50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := dist.Percentile(tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := Distribution(nil).Percentile(50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
	if h := dist.Histogram(); !strings.Contains(h, "#") {
		t.Errorf("histogram without bars:\n%s", h)
	}
}

func TestTokensFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"spat_a", "spat_b"}
	if err := WriteTokens(path, want); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	got, err := ReadTokens(path)
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("read %q (%v), want %q", got, err, want)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.8.9.10:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.1:8080", false},
		{"http://example.com:8080", false},
		{"http://0.0.0.0:8080", false},
		{"https://127.0.0.1:8080", false},
		{"http://127.0.0.1", false},
	} {
		_, err := CheckLoopbackURL(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
	if err := CheckLoopbackAddr("0.0.0.0:80"); err == nil {
		t.Error("0.0.0.0 accepted as a listen address")
	}
	_, err := Load(context.Background(), LoadConfig{URLs: []string{"http://10.1.2.3:80"}, Tokens: []string{"x"}, Duration: time.Second})
	if !errors.Is(err, errNotLoopback) {
		t.Errorf("load of a private address: %v", err)
	}
	_, err = Revoke(context.Background(), RevokeConfig{URLs: []string{"http://127.0.0.1:1", "http://10.1.2.3:80"}, Admin: "x", Count: 1})
	if !errors.Is(err, errNotLoopback) {
		t.Errorf("revoke with a private address: %v", err)
	}
	_, err = Mint(context.Background(), MintConfig{URL: "http://10.1.2.3:80", Admin: "x", Duration: time.Second})
	if !errors.Is(err, errNotLoopback) {
		t.Errorf("mint against a private address: %v", err)
	}
}

// The load generator reads fixed-length, chunked and closing answers, and
// counts statuses as the baseline gives them.
func TestLoadAgainstBaseline(t *testing.T) {
	good := []string{"spat_good1", "spat_good2"}
	base := NewBaseline(good)
	mux := http.NewServeMux()
	mux.Handle("/", base)
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("part one "))
		w.(http.Flusher).Flush()
		_, _ = w.Write([]byte("part two"))
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = w.Write([]byte("bye"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		path   string
		tokens []string
		want   []int
	}{
		{"/v1/authorize", append([]string{"spat_bad"}, good...), []int{200, 401}},
		{"/chunked", good, []int{200}},
		{"/close", good, []int{200}},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			res, err := Load(context.Background(), LoadConfig{URLs: []string{srv.URL}, Path: tc.path, Tokens: tc.tokens,
				Concurrency: 4, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			// A new connection per request (/close) churns loopback ports
			// fast enough that the kernel may refuse an odd dial on a busy
			// machine; parsing errors would show as many, not one.
			tolerated := int64(0)
			if tc.path == "/close" {
				tolerated = res.Requests / 100
			}
			if res.Errors > tolerated || res.Requests == 0 {
				t.Errorf("%d requests, %d errors", res.Requests, res.Errors)
			}
			for _, code := range tc.want {
				if res.Status[code] == 0 {
					t.Errorf("no %d in %v", code, res.Status)
				}
			}
			if len(res.Status) != len(tc.want) {
				t.Errorf("statuses %v, want only %v", res.Status, tc.want)
			}
			if !strings.Contains(res.String(), "result rps=") {
				t.Errorf("no result line:\n%s", res)
			}
		})
	}
}
