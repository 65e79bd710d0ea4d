package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/internal/tlsfiles/tlstest"
)

func runHealthcheck(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	out, errb := &apitest.Buffer{}, &apitest.Buffer{}
	code := run(context.Background(), append([]string{"healthcheck"}, args...), stdio{out: out, err: errb}, getenv, nil)
	return code, out.String(), errb.String()
}

func TestHealthcheck(t *testing.T) {
	p := startServe(t, "--db", "sqlite:"+t.TempDir()+"/k.db")
	addr := strings.TrimPrefix(p.url, "http://")
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}

	if code, out, errs := runHealthcheck(t, noEnv, "--url", p.url+"/healthz"); code != 0 || out != "ok\n" {
		t.Errorf("--url /healthz: exit %d, out %q, err %q", code, out, errs)
	}
	// The container sets KEYHOLD_LISTEN=0.0.0.0:PORT; the check asks loopback.
	env := func(k string) string {
		if k == "KEYHOLD_LISTEN" {
			return "0.0.0.0:" + port
		}
		return ""
	}
	if code, _, errs := runHealthcheck(t, env); code != 0 {
		t.Errorf("KEYHOLD_LISTEN=0.0.0.0:%s: exit %d, err %q", port, code, errs)
	}
	if code, _, errs := runHealthcheck(t, noEnv, "--listen", addr); code != 0 {
		t.Errorf("--listen %s: exit %d, err %q", addr, code, errs)
	}

	// Not 200: exit 1 with the status.
	code, _, errs := runHealthcheck(t, noEnv, "--url", p.url+"/no-such-path")
	if code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("404: exit %d, err %q", code, errs)
	}
	// Nothing listening: exit 1.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	if code, _, errs := runHealthcheck(t, noEnv, "--listen", closed, "--timeout", "2s"); code != 1 || !strings.Contains(errs, "healthcheck:") {
		t.Errorf("closed port: exit %d, err %q", code, errs)
	}
	// A bad --listen is an error, not a request.
	if code, _, errs := runHealthcheck(t, noEnv, "--listen", "nonsense"); code != 1 || !strings.Contains(errs, "--listen") {
		t.Errorf("bad --listen: exit %d, err %q", code, errs)
	}
}

func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		":8080":          "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://[::1]:8080/healthz",
		"10.0.0.5:9000":  "http://10.0.0.5:9000/healthz",
		"localhost:8080": "http://localhost:8080/healthz",
	} {
		got, err := healthURL(in, false)
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// With --tls-cert (KEYHOLD_TLS_CERT in the container) the check asks over
// https and trusts exactly that certificate; another one is refused.
func TestHealthcheckTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	p := startServe(t, "--db", "sqlite:"+t.TempDir()+"/k.db", "--tls-cert", certFile, "--tls-key", keyFile)
	addr := strings.TrimPrefix(p.url, "http://")
	env := func(k string) string {
		return map[string]string{"KEYHOLD_LISTEN": addr, "KEYHOLD_TLS_CERT": certFile}[k]
	}
	if code, out, errs := runHealthcheck(t, env); code != 0 || out != "ok\n" {
		t.Errorf("KEYHOLD_TLS_CERT: exit %d, out %q, err %q", code, out, errs)
	}
	// Plain http to an https-only server fails.
	if code, _, _ := runHealthcheck(t, noEnv, "--listen", addr); code != 1 {
		t.Errorf("http to the TLS server: exit %d", code)
	}
	// A certificate from the same CA, but not the server's, is refused.
	other := filepath.Join(t.TempDir(), "other.crt")
	ca.Leaf(t, 3).Write(t, other, filepath.Join(t.TempDir(), "other.key"))
	if code, _, errs := runHealthcheck(t, noEnv, "--listen", addr, "--tls-cert", other); code != 1 || !strings.Contains(errs, "not the one in --tls-cert") {
		t.Errorf("another certificate: exit %d, err %q", code, errs)
	}
	if code, _, errs := runHealthcheck(t, noEnv, "--listen", addr, "--tls-cert", keyFile); code != 1 || !strings.Contains(errs, "no PEM certificate") {
		t.Errorf("a key as the certificate: exit %d, err %q", code, errs)
	}
}
