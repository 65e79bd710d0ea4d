package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// konnectReceiver is an audit-log endpoint written from Konnect's
// documentation alone ("Verify audit log signatures", "Collect audit
// logs"): it gunzips the body, splits it into lines, fetches the JWKS from
// the server, and verifies each line's sig by Konnect's rule with every
// key, over the raw bytes, never re-serialised. It imports nothing of
// keyhold's.
type konnectReceiver struct {
	t             testing.TB
	jwksURL       string
	authorization string
	srv           *httptest.Server
	status        atomic.Int32
	mu            sync.Mutex
	lines         []string
	posts         int
}

func newKonnectReceiver(t testing.TB, jwksURL, authorization string) *konnectReceiver {
	r := &konnectReceiver{t: t, jwksURL: jwksURL, authorization: authorization}
	r.status.Store(http.StatusOK)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *konnectReceiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	if req.Method != http.MethodPost || req.Header.Get("Authorization") != r.authorization ||
		req.Header.Get("Content-Type") != "text/plain" || req.Header.Get("Content-Encoding") != "gzip" {
		r.t.Errorf("audit log POST: method %s, headers %v", req.Method, req.Header)
	}
	if code := int(r.status.Load()); code != http.StatusOK {
		w.WriteHeader(code)
		_, _ = w.Write([]byte("try later"))
		return
	}
	zr, err := gzip.NewReader(req.Body)
	if err != nil {
		r.t.Errorf("audit log POST: not gzip: %v", err)
		return
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		r.t.Errorf("audit log POST: %v", err)
		return
	}
	keys := r.jwks()
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" {
			continue
		}
		if !verifyKonnectLine(line, keys) {
			r.t.Errorf("audit log entry does not verify: %s", line)
		}
		r.lines = append(r.lines, line)
	}
}

// jwks fetches the public keys, as a receiver does.
func (r *konnectReceiver) jwks() []ed25519.PublicKey {
	res, err := http.Get(r.jwksURL)
	if err != nil {
		r.t.Errorf("JWKS: %v", err)
		return nil
	}
	defer res.Body.Close()
	var set struct {
		Keys []struct{ Kty, Crv, Kid, X string } `json:"keys"`
	}
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		r.t.Errorf("JWKS: %v", err)
	}
	var out []ed25519.PublicKey
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Kty != "OKP" || k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			r.t.Errorf("JWKS key %+v is not an Ed25519 OKP key", k)
			continue
		}
		out = append(out, ed25519.PublicKey(x))
	}
	return out
}

// verifyKonnectLine is Konnect's rule: cut `,"sig":"…"` from a JSON entry
// (whose sig is last), or ` sig=…` from a CEF line, and verify the rest,
// byte for byte, against the 64-byte base64url signature with any key.
func verifyKonnectLine(line string, keys []ed25519.PublicKey) bool {
	var signed, sig string
	if strings.HasPrefix(line, "{") {
		i := strings.LastIndex(line, `,"sig":"`)
		if i < 0 || !strings.HasSuffix(line, `"}`) {
			return false
		}
		signed, sig = line[:i]+"}", line[i+len(`,"sig":"`):len(line)-2]
	} else {
		i := strings.LastIndex(line, " sig=")
		if i < 0 {
			return false
		}
		signed, sig = line[:i], line[i+len(" sig="):]
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(sig) != 86 {
		return false
	}
	for _, k := range keys {
		if ed25519.Verify(k, []byte(signed), raw) {
			return true
		}
	}
	return false
}

func (r *konnectReceiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

func (r *konnectReceiver) postCount() int { r.mu.Lock(); defer r.mu.Unlock(); return r.posts }

func containing(lines []string, s string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// A Konnect receiver verifies keyhold's entries unchanged, in JSON from a
// destination and in CEF from the webhook; the authorization values reach
// the receivers and nothing else.
func TestAuditExportToKonnectReceiver(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			e := apitest.New(t, backend, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback})
			jwks := e.Server.URL + "/v2/audit-log-webhook/jwks.json"
			const jsonAuth, cefAuth = "Bearer konnect-json-7d1f0c", "Splunk konnect-cef-93ab2e"
			rj := newKonnectReceiver(t, jwks, jsonAuth)
			rc := newKonnectReceiver(t, jwks, cefAuth)
			ro := newKonnectReceiver(t, jwks, "")
			if res := e.Do("POST", "/v2/audit-log-destinations", e.Admin, map[string]any{"name": "ocsf", "endpoint": ro.srv.URL,
				"log_format": "ocsf"}); res.Status != http.StatusCreated {
				t.Fatalf("create OCSF destination: %d %s", res.Status, res.Body)
			}

			res := e.Do("POST", "/v2/audit-log-destinations", e.Admin, map[string]any{"name": "siem", "endpoint": rj.srv.URL,
				"authorization": jsonAuth, "log_format": "json"})
			if res.Status != http.StatusCreated || bytes.Contains(res.Body, []byte(jsonAuth)) {
				t.Fatalf("create destination: %d %s", res.Status, res.Body)
			}
			var dest struct{ ID, LogFormat string }
			res.JSON(t, &dest)
			res = e.Do("PATCH", "/v2/audit-log-webhook", e.Admin, map[string]any{"endpoint": rc.srv.URL,
				"authorization": cefAuth, "enabled": true, "log_format": "cef"})
			if res.Status != http.StatusOK || bytes.Contains(res.Body, []byte(cefAuth)) {
				t.Fatalf("configure webhook: %d %s", res.Status, res.Body)
			}
			if res := e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "ci|deploy=1", "description": "line\nbreak"}); res.Status != http.StatusCreated {
				t.Fatalf("create account: %d %s", res.Status, res.Body)
			}
			rj.status.Store(http.StatusInternalServerError) // the first attempt fails; the batch waits
			deliverAudit(t, e)
			if rj.postCount() != 1 || len(rj.got()) != 0 {
				t.Fatalf("after a 500: %d posts, %d lines", rj.postCount(), len(rj.got()))
			}
			deliverAudit(t, e) // not due yet: the retry waits a second
			if rj.postCount() != 1 {
				t.Fatalf("retried before its time: %d posts", rj.postCount())
			}
			rj.status.Store(http.StatusOK)
			e.Clock.Advance(2 * time.Second)
			deliverAudit(t, e)

			jl, cl := rj.got(), rc.got()
			for _, want := range []string{"audit.destination_created", "audit.webhook_updated", "system_account.created"} {
				if len(containing(jl, `"name":"`+want+`"`)) != 1 {
					t.Errorf("JSON receiver: want one %s entry in %q", want, jl)
				}
			}
			// The webhook was configured after the destination: it gets the
			// events from its own configuration on.
			if len(containing(cl, "|audit.destination_created|")) != 0 || len(containing(cl, "|audit.webhook_updated|")) != 1 ||
				len(containing(cl, "|system_account.created|")) != 1 {
				t.Errorf("CEF receiver: %q", cl)
			}
			if acct := containing(cl, "|system_account.created|"); len(acct) == 1 &&
				(!strings.Contains(acct[0], `target_name=ci|deploy\=1`) || !strings.HasPrefix(strings.SplitN(acct[0], " ", 2)[1], "keyhold CEF:0|keyhold|keyhold|1.0|system_account|")) {
				t.Errorf("CEF entry: %s", acct[0])
			}
			if ol := ro.got(); len(containing(ol, `"class_uid":3001`)) != 1 || len(containing(ol, `"type_uid":300101`)) != 1 {
				t.Errorf("OCSF receiver: %q", ol)
			}
			for _, l := range jl {
				var m map[string]any
				dec := json.NewDecoder(strings.NewReader(l))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil || m["event_vendor"] != "keyhold" || m["sig_kid"] == nil || m["seq"] == nil {
					t.Errorf("JSON entry %s: %v", l, err)
				}
			}

			var got struct {
				LastResponseCode *int `json:"last_response_code"`
			}
			e.Do("GET", "/v2/audit-log-destinations/"+dest.ID, e.Admin, nil).JSON(t, &got)
			if got.LastResponseCode == nil || *got.LastResponseCode != 200 {
				t.Errorf("destination's last response: %v", got.LastResponseCode)
			}
			var status struct {
				WebhookStatus    string `json:"webhook_status"`
				WebhookEnabled   bool   `json:"webhook_enabled"`
				LastResponseCode *int   `json:"last_response_code"`
			}
			e.Do("GET", "/v2/audit-log-webhook/status", e.Admin, nil).JSON(t, &status)
			if status.WebhookStatus != "active" || !status.WebhookEnabled || status.LastResponseCode == nil || *status.LastResponseCode != 200 {
				t.Errorf("webhook status %+v", status)
			}

			// The authorization values: in the requests to the receivers,
			// nowhere else. First prove the search finds a planted value.
			rj.mu.Lock()
			rj.authorization = jsonAuth + "-rotated" // the receiver checks the new value arrives
			rj.mu.Unlock()
			posts := rj.postCount()
			res = e.Do("PATCH", "/v2/audit-log-destinations/"+dest.ID, e.Admin, map[string]any{"authorization": jsonAuth + "-rotated"})
			if res.Status != http.StatusOK {
				t.Fatalf("rotate authorization: %d %s", res.Status, res.Body)
			}
			deliverAudit(t, e)
			if rj.postCount() != posts+1 {
				t.Fatalf("the authorization change was not delivered")
			}
			seen := e.Do("GET", "/v3/audit-events?page[size]=100", e.Admin, nil).Body
			if !bytes.Contains(seen, []byte(`"audit.destination_updated"`)) || !bytes.Contains(seen, []byte(`"authorization":{"changed":true}`)) {
				t.Fatalf("audit events lack the authorization change: %s", seen)
			}
			for _, b := range [][]byte{seen, e.Do("GET", "/v2/audit-log-destinations", e.Admin, nil).Body,
				e.Do("GET", "/v2/audit-log-destinations/"+dest.ID, e.Admin, nil).Body,
				e.Do("GET", "/v2/audit-log-webhook", e.Admin, nil).Body, []byte(e.Logs.String()),
				[]byte(strings.Join(rj.got(), "\n")), []byte(strings.Join(rc.got(), "\n")), []byte(strings.Join(ro.got(), "\n"))} {
				for _, secret := range []string{"konnect-json-7d1f0c", "konnect-cef-93ab2e"} {
					if bytes.Contains(b, []byte(secret)) {
						t.Errorf("the authorization value %s leaked: %.300s", secret, b)
					}
				}
			}

			// After the entry key is rotated, new entries are signed by the
			// new key; the JWKS has both, and the receiver verifies each.
			kidOf := func(l string) string {
				var m struct {
					Kid string `json:"sig_kid"`
				}
				_ = json.Unmarshal([]byte(l), &m)
				return m.Kid
			}
			oldKid := kidOf(jl[0])
			if res := e.Do("POST", "/v1/audit/keys/rotate", e.Admin, map[string]any{"purpose": "entry"}); res.Status != http.StatusOK && res.Status != http.StatusCreated {
				t.Fatalf("rotate the entry key: %d %s", res.Status, res.Body)
			}
			e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "after-rotation", "description": "x"})
			deliverAudit(t, e)
			if rotated := containing(rj.got(), `"target_name":"after-rotation"`); len(rotated) != 1 || kidOf(rotated[0]) == oldKid || oldKid == "" {
				t.Errorf("after rotation: %q (old kid %s)", rotated, oldKid)
			}

			// A replay sends the range again: the same entries, verified
			// again, to every enabled destination.
			before := len(rj.got())
			acctLines := len(containing(rj.got(), `"name":"system_account.created"`))
			now := e.Clock.Now()
			span := map[string]any{"start_at": now.Add(-time.Hour).Format(time.RFC3339), "end_at": now.Add(time.Hour).Format(time.RFC3339)}
			if res := e.Do("PUT", "/v2/audit-log-replay-job", e.Admin, span); res.Status != http.StatusAccepted || !bytes.Contains(res.Body, []byte(`"status":"accepted"`)) {
				t.Fatalf("replay: %d %s", res.Status, res.Body)
			}
			if res := e.Do("PUT", "/v2/audit-log-replay-job", e.Admin, span); res.Status != http.StatusConflict {
				t.Fatalf("second replay while one runs: %d %s", res.Status, res.Body)
			}
			deliverAudit(t, e)
			deliverAudit(t, e)
			if got := len(containing(rj.got(), `"name":"system_account.created"`)); got != 2*acctLines || len(rj.got()) <= before {
				t.Errorf("replay: %d system_account.created entries, want %d", got, 2*acctLines)
			}
			var job struct{ Status string }
			e.Do("GET", "/v2/audit-log-replay-job", e.Admin, nil).JSON(t, &job)
			if job.Status != "completed" {
				t.Errorf("replay job: %+v", job)
			}
			bad := map[string]any{"start_at": span["end_at"], "end_at": span["start_at"]}
			if res := e.Do("PUT", "/v2/audit-log-replay-job", e.Admin, bad); res.Status != http.StatusBadRequest {
				t.Errorf("a reversed range: %d %s", res.Status, res.Body)
			}
		})
	}
}

func deliverAudit(t *testing.T, e *apitest.Env) {
	t.Helper()
	if _, err := e.Service.AuditExport.DeliverAuditLogs(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// Bad input is a 400 naming the field, and writes nothing.
func TestAuditDestinationBadInput(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{SecretKey: secretKey(t)})
	ok := map[string]any{"name": "siem", "endpoint": "https://siem.example.com/in"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"ErrLogFormat", with("log_format", "ocsf-2"), "log_format"},
		{"ErrLoopback", with("endpoint", "http://127.0.0.1:9/in"), "endpoint"},
		{"ErrMetadata", with("endpoint", "http://169.254.169.254/latest"), "endpoint"},
		{"ErrScheme", with("endpoint", "ftp://siem.example.com/in"), "endpoint"},
		{"ErrHeaderInjection", with("authorization", "Bearer a\r\nX-Evil: 1"), "authorization"},
		{"ErrAuthorizationTooLong", with("authorization", strings.Repeat("a", 4097)), "authorization"},
		{"ErrBlankName", with("name", " "), "name"},
		{"ErrUnknown", with("retention", 7), "retention"},
		{"ErrType", with("skip_ssl_verification", "yes"), "skip_ssl_verification"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do("POST", "/v2/audit-log-destinations", e.Admin, tc.body)
			if res.Status != http.StatusBadRequest || !bytes.Contains(res.Body, []byte(`"field":"`+tc.field+`"`)) {
				t.Fatalf("got %d %s", res.Status, res.Body)
			}
			if bytes.Contains(res.Body, []byte("X-Evil")) {
				t.Errorf("the authorization value is echoed: %s", res.Body)
			}
		})
	}
	var list struct{ Data []any }
	e.Do("GET", "/v2/audit-log-destinations", e.Admin, nil).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("refused creates wrote %d destinations", len(list.Data))
	}
	t.Run("ErrWebhookWithoutEndpoint", func(t *testing.T) {
		res := e.Do("PATCH", "/v2/audit-log-webhook", e.Admin, map[string]any{"enabled": true})
		if res.Status != http.StatusBadRequest || !bytes.Contains(res.Body, []byte(`"field":"endpoint"`)) {
			t.Fatalf("got %d %s", res.Status, res.Body)
		}
		var hook struct {
			Enabled   bool
			UpdatedAt *time.Time `json:"updated_at"`
		}
		e.Do("GET", "/v2/audit-log-webhook", e.Admin, nil).JSON(t, &hook)
		if hook.Enabled || hook.UpdatedAt != nil {
			t.Errorf("a refused configuration was kept: %+v", hook)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			var body any
			if m == "PATCH" {
				body = map[string]any{"name": "x"}
			}
			if res := e.Do(m, "/v2/audit-log-destinations/00000000-0000-4000-8000-000000000000", e.Admin, body); res.Status != http.StatusNotFound {
				t.Errorf("%s: %d %s", m, res.Status, res.Body)
			}
		}
	})
}

// A destination that never answers well loses its batch after Konnect's
// four retries, and says so; a host name that resolves to a refused
// address is refused at connection time and not retried.
func TestAuditDeliveryGivesUp(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback})
	r := newKonnectReceiver(t, e.Server.URL+"/v2/audit-log-webhook/jwks.json", "")
	r.status.Store(http.StatusServiceUnavailable)
	if res := e.Do("PATCH", "/v2/audit-log-webhook", e.Admin, map[string]any{"endpoint": r.srv.URL, "enabled": true, "log_format": "json"}); res.Status != http.StatusOK {
		t.Fatalf("configure: %d %s", res.Status, res.Body)
	}
	for i := range 5 {
		deliverAudit(t, e)
		if r.postCount() != i+1 {
			t.Fatalf("attempt %d: %d posts", i+1, r.postCount())
		}
		e.Clock.Advance(31 * time.Second)
	}
	var st struct {
		WebhookStatus       string `json:"webhook_status"`
		LastResponseCode    *int   `json:"last_response_code"`
		LastResponseMessage string `json:"last_response_message"`
	}
	e.Do("GET", "/v2/audit-log-webhook/status", e.Admin, nil).JSON(t, &st)
	if st.WebhookStatus != "inactive" || st.LastResponseCode == nil || *st.LastResponseCode != 503 ||
		!strings.Contains(st.LastResponseMessage, "after attempt 5: 503") {
		t.Errorf("status after giving up: %+v", st)
	}
	deliverAudit(t, e)
	if r.postCount() != 5 {
		t.Errorf("a given-up batch was sent again: %d posts", r.postCount())
	}

	// Without --webhook-allow-networks, localhost resolves to a refused
	// address: the connection is refused, once, and recorded.
	strict := apitest.New(t, "sqlite", apitest.Options{SecretKey: secretKey(t)})
	port := r.srv.URL[strings.LastIndex(r.srv.URL, ":"):]
	if res := strict.Do("PATCH", "/v2/audit-log-webhook", strict.Admin, map[string]any{"endpoint": "http://localhost" + port, "enabled": true}); res.Status != http.StatusOK {
		t.Fatalf("configure: %d %s", res.Status, res.Body)
	}
	deliverAudit(t, strict)
	strict.Do("GET", "/v2/audit-log-webhook/status", strict.Admin, nil).JSON(t, &st)
	if r.postCount() != 5 || !strings.Contains(st.LastResponseMessage, "is not a public address") || !strings.Contains(st.LastResponseMessage, "after attempt 1:") {
		t.Errorf("refused address: %d posts, status %+v", r.postCount(), st)
	}
}

// A disabled destination receives nothing; enabled again, it receives the
// events from then on, not those of the time it was off.
func TestAuditDestinationEnabledAgain(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback})
	r := newKonnectReceiver(t, e.Server.URL+"/v2/audit-log-webhook/jwks.json", "")
	res := e.Do("POST", "/v2/audit-log-destinations", e.Admin, map[string]any{"name": "siem", "endpoint": r.srv.URL, "log_format": "json", "enabled": false})
	var d struct{ ID string }
	res.JSON(t, &d)
	e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "while-off", "description": "x"})
	deliverAudit(t, e)
	if r.postCount() != 0 {
		t.Fatalf("a disabled destination got %d posts", r.postCount())
	}
	if res := e.Do("PATCH", "/v2/audit-log-destinations/"+d.ID, e.Admin, map[string]any{"enabled": true}); res.Status != http.StatusOK {
		t.Fatalf("enable: %d %s", res.Status, res.Body)
	}
	e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "while-on", "description": "x"})
	deliverAudit(t, e)
	got := r.got()
	if len(containing(got, `"target_name":"while-off"`)) != 0 || len(containing(got, `"target_name":"while-on"`)) != 1 ||
		len(containing(got, `"name":"audit.destination_updated"`)) != 1 {
		t.Errorf("after enabling: %q", got)
	}
}

// A sender that dies holding a destination's lease loses nothing: no one
// sends while the lease lasts, and after it the next sender starts from
// the cursor, which had not moved.
func TestAuditDeliveryAfterACrash(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback})
	r := newKonnectReceiver(t, e.Server.URL+"/v2/audit-log-webhook/jwks.json", "")
	e.Do("POST", "/v2/audit-log-destinations", e.Admin, map[string]any{"name": "siem", "endpoint": r.srv.URL, "log_format": "cef"})
	e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "before-crash", "description": "x"})
	now := e.Clock.Now()
	err := e.DB.Write(t.Context(), func(tx storage.Tx) error { // the sender that dies mid-batch
		st, err := tx.Audit().AuditLog(t.Context())
		if err != nil {
			return err
		}
		got, _, err := tx.AuditDestinations().ClaimAuditDestinations(t.Context(), st.Size, now, now.Add(2*time.Minute), "dead", 10)
		if len(got) != 1 {
			t.Errorf("the dead sender claimed %d destinations", len(got))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deliverAudit(t, e)
	if r.postCount() != 0 {
		t.Fatalf("sent during another's lease: %d posts", r.postCount())
	}
	e.Clock.Advance(2*time.Minute + time.Second)
	deliverAudit(t, e)
	if got := r.got(); len(containing(got, "|system_account.created|")) != 1 || len(containing(got, "|audit.destination_created|")) != 1 {
		t.Errorf("after the lease: %q", got)
	}
}
