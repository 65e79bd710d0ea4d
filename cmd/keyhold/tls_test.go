package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/tlsfiles/tlstest"
	"github.com/keyhold/keyhold/store/storetest"
)

// tlsClient trusts the test CA and nothing else; it keeps its connections
// alive between requests unless fresh is set.
func tlsClient(ca *tlstest.CA, fresh bool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: tlstest.ClientConfig(ca), ForceAttemptHTTP2: true, DisableKeepAlives: fresh}}
}

// get fetches url and returns the response (its body read and closed),
// whether the connection was one opened before, and the serial of the
// certificate the server presented.
func get(t *testing.T, c *http.Client, url, token string) (res *http.Response, body map[string]any, reused bool, serial int64) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}))
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res, body, reused, res.TLS.PeerCertificates[0].SerialNumber.Int64()
}

// waitSerial waits until a new connection is served the certificate with
// serial.
func waitSerial(t *testing.T, p *process, ca *tlstest.CA, serial int64, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, _, got := get(t, tlsClient(ca, true), p.url+"/healthz", "")
		if got == serial {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: new connections still see serial %d, want %d; logs: %s", what, got, serial, p.err.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keyhold serves HTTPS itself: a client that trusts only the test CA
// reaches the health check and the API; plain HTTP and TLS 1.1 do not get
// in; console cookies are Secure; and a new certificate, on SIGHUP, is
// served to new connections while one opened before keeps working.
func TestServeTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	hup := make(chan os.Signal, 1)
	p := startServeHooks(t, &hooks{hup: hup}, "--db", storetest.NewURL(t, storetest.SQLite),
		"--tls-cert", certFile, "--tls-key", keyFile, "--tls-reload-interval", "0")
	addr := strings.TrimPrefix(p.url, "http://")
	p.url = "https://" + addr

	token := kpatPattern.FindString(p.out.String())
	if !strings.Contains(p.out.String(), "https://127.0.0.1:0/v3/users/me") || !strings.Contains(p.out.String(), "--cacert") {
		t.Errorf("the bootstrap message does not show https and --cacert: %s", p.out.String())
	}
	if !strings.Contains(p.out.String(), "https://127.0.0.1:0/ui/setup?token=") {
		t.Errorf("the setup link is not https: %s", p.out.String())
	}

	client := tlsClient(ca, false)
	res, _, _, serial := get(t, client, p.url+"/healthz", "")
	if res.StatusCode != 200 || serial != 2 || res.Proto != "HTTP/2.0" || res.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("healthz over TLS: %d, serial %d, %s, TLS %x", res.StatusCode, serial, res.Proto, res.TLS.Version)
	}
	res, me, _, _ := get(t, client, p.url+"/v3/users/me", token)
	if res.StatusCode != 200 || me["email"] != "admin@localhost" {
		t.Fatalf("users/me over TLS: %d %v", res.StatusCode, me)
	}

	// Plain HTTP gets no answer from the API: Go's TLS server answers 400
	// in plain text, and nothing else.
	if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port: %d", res.StatusCode)
		}
	}
	// TLS 1.1 is refused.
	old := tlstest.ClientConfig(ca)
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if conn, err := tls.Dial("tcp", addr, old); err == nil {
		_ = conn.Close() // a connection that should not exist
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// The console's cookies are Secure (the default public URL is https).
	res, err := tlsClient(ca, true).Get(p.url + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(res.Cookies()) == 0 {
		t.Fatal("the sign-in page set no cookie")
	}
	for _, c := range res.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure", c.Name)
		}
	}

	// A new pair and SIGHUP: new connections get it; the one open before
	// goes on, with the certificate it was made with.
	ca.Leaf(t, 3).Write(t, certFile, keyFile)
	hup <- syscall.SIGHUP
	waitSerial(t, p, ca, 3, "after SIGHUP")
	res, _, reused, serial := get(t, client, p.url+"/v3/users/me", token)
	if res.StatusCode != 200 || !reused || serial != 2 {
		t.Errorf("the connection opened before the reload: %d, reused %v, serial %d", res.StatusCode, reused, serial)
	}
	if !strings.Contains(p.err.String(), `"serial":"3"`) {
		t.Errorf("the reload was not logged: %s", p.err.String())
	}

	// A bad pair on SIGHUP keeps the good one in service.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.err.String(), "reload failed") {
		if time.Now().After(deadline) {
			t.Fatalf("a bad pair on SIGHUP was not logged: %s", p.err.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, _, _, serial := get(t, tlsClient(ca, true), p.url+"/healthz", ""); serial != 3 {
		t.Errorf("after a failed reload new connections see serial %d, want 3", serial)
	}
	res, err = tlsClient(ca, true).Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"keyhold_tls_certificate_loads_total 2", "keyhold_tls_reload_failures_total 1",
		"keyhold_tls_certificate_expiry_timestamp_seconds 1."} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// Without SIGHUP, changed files are noticed by polling; a certificate
// written before its key is not served until the key matches.
func TestServeTLSPollsFiles(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	p := startServeHooks(t, &hooks{hup: make(chan os.Signal)}, "--db", storetest.NewURL(t, storetest.SQLite),
		"--tls-cert", certFile, "--tls-key", keyFile, "--tls-reload-interval", "50ms")
	p.url = "https://" + strings.TrimPrefix(p.url, "http://")

	next := ca.Leaf(t, 4)
	if err := os.WriteFile(certFile, next.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.err.String(), "reload failed") {
		if time.Now().After(deadline) {
			t.Fatalf("the mismatched pair was not logged: %s", p.err.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, _, _, serial := get(t, tlsClient(ca, true), p.url+"/healthz", ""); serial != 2 {
		t.Errorf("a certificate without its key is served: serial %d", serial)
	}
	if err := os.WriteFile(keyFile, next.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	waitSerial(t, p, ca, 4, "after polling")
}

func TestServeTLSFlags(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-key", keyFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", keyFile, "--tls-key", certFile}, "--tls-cert, --tls-key: tls:"},
		{[]string{"--tls-cert", filepath.Join(dir, "missing.crt"), "--tls-key", keyFile}, "no such file"},
	} {
		var out, errb strings.Builder
		args := append([]string{"serve", "--listen", "127.0.0.1:0", "--db", storetest.NewURL(t, storetest.SQLite)}, c.args...)
		if code := run(t.Context(), args, stdio{out: &out, err: &errb}, noEnv, nil); code == 0 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errb.String(), c.want)
		}
	}
}
