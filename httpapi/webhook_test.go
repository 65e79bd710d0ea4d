package httpapi_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// receiver is a loopback Standard Webhooks endpoint that checks every
// signature independently of keyhold's code.
type receiver struct {
	t      testing.TB
	now    func() time.Time // the server's clock, which tests move
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	secret string
	got    []message
}

type message struct {
	ID   string
	Type string
	Data map[string]any
}

func newReceiver(t testing.TB, e *apitest.Env) *receiver {
	r := &receiver{t: t, now: e.Clock.Now}
	r.status.Store(200)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if !verifySignature(r.secret, id, ts, req.Header.Get("webhook-signature"), body, r.now()) {
		r.t.Errorf("delivery %s: the signature does not verify", id)
	}
	var m struct {
		Type      string         `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Type == "" || m.Timestamp.IsZero() {
		r.t.Errorf("delivery %s: not a Standard Webhooks payload: %s", id, body)
	}
	r.got = append(r.got, message{ID: id, Type: m.Type, Data: m.Data})
	w.WriteHeader(int(r.status.Load()))
	_, _ = w.Write([]byte("receiver says hello"))
}

// verifySignature is Standard Webhooks verification as a receiver library
// does it: HMAC-SHA256 with the base64-decoded secret over id.ts.body,
// compared with each space-separated v1 signature.
func verifySignature(secret, id, ts, header string, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || id == "" {
		return false
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	for _, sig := range strings.Fields(header) {
		v, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func (r *receiver) messages(typ string) []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []message
	for _, m := range r.got {
		if m.Type == typ {
			out = append(out, m)
		}
	}
	return out
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

func secretKey(t testing.TB) []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

type webhookOut struct {
	ID, Name, URL, Secret string
	EventTypes            []string `json:"event_types"`
}

// createWebhook registers r for types, optionally for one account.
func createWebhook(t testing.TB, e *apitest.Env, r *receiver, account string, types ...string) webhookOut {
	t.Helper()
	body := map[string]any{"name": "hook", "url": r.srv.URL + "/hook", "event_types": types}
	if account != "" {
		body["system_account_id"] = account
	}
	var w webhookOut
	e.Do("POST", "/v1/webhooks", e.Admin, body).Want(t, 201).JSON(t, &w)
	if !strings.HasPrefix(w.Secret, "whsec_") {
		t.Fatalf("secret %q", w.Secret)
	}
	r.mu.Lock()
	r.secret = w.Secret
	r.mu.Unlock()
	return w
}

type deliveryLog struct {
	Meta struct{ Page struct{ Total int } }
	Data []struct {
		ID, Status      string
		EventType       string `json:"event_type"`
		Attempts        int
		LastHTTPStatus  *int       `json:"last_http_status"`
		LastError       string     `json:"last_error"`
		ResponseExcerpt string     `json:"response_excerpt"`
		NextAttemptAt   *time.Time `json:"next_attempt_at"`
		DeliveredAt     *time.Time `json:"delivered_at"`
	}
}

func deliveries(t testing.TB, e *apitest.Env, hook string) deliveryLog {
	t.Helper()
	var l deliveryLog
	e.Do("GET", "/v1/webhooks/"+hook+"/deliveries", e.Admin, nil).Want(t, 200).JSON(t, &l)
	return l
}

func deliver(t testing.TB, e *apitest.Env) int {
	t.Helper()
	n, err := e.Service.Deliveries.DeliverWebhooks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Lifecycle events reach a loopback receiver, signed; secrets appear only
// in the create answer.
func TestWebhookSignedDeliveries(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		w := createWebhook(t, e, r, "", "account.disabled", "account.deleted", "token.revoked", "token.leaked", "token.rotated")
		for _, path := range []string{"/v1/webhooks/" + w.ID, "/v1/webhooks"} {
			if body := e.Do("GET", path, e.Admin, nil).Want(t, 200).Body; strings.Contains(string(body), w.Secret) || strings.Contains(string(body), `"secret"`) {
				t.Errorf("GET %s shows the secret", path)
			}
		}
		acct := createAccount(t, e, e.Admin, "fleet")
		id, tok := mintSPAT(t, e, acct, "deploy")
		e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens/"+id+"/rotate", e.Admin, nil).Want(t, 201)
		_, leaked := mintSPAT(t, e, acct, "other")
		e.Do("POST", "/v1/leak-reports", "", map[string]any{"tokens": []string{leaked}}).Want(t, 200)
		e.Do("POST", "/v3/system-accounts/"+acct+"/disable", e.Admin, nil).Want(t, 200)
		e.Do("DELETE", "/v3/system-accounts/"+acct, e.Admin, nil).Want(t, 204)

		if n := deliver(t, e); n != 5 {
			t.Fatalf("%d attempts, want 5: rotated, leaked, revoked, disabled, deleted", n)
		}
		for _, typ := range []string{"token.rotated", "token.leaked", "token.revoked", "account.disabled", "account.deleted"} {
			ms := r.messages(typ)
			if len(ms) != 1 {
				t.Fatalf("%d %s messages, want 1", len(ms), typ)
			}
			if ms[0].Data["system_account_id"] != acct || ms[0].Data["system_account_name"] != "fleet" {
				t.Errorf("%s data = %v", typ, ms[0].Data)
			}
		}
		if m := r.messages("token.revoked")[0]; m.Data["reason"] != "leaked" {
			t.Errorf("token.revoked reason %v", m.Data["reason"])
		}
		raw, _ := json.Marshal(r.got)
		if strings.Contains(string(raw), tok) || strings.Contains(string(raw), leaked) {
			t.Error("an event carries a token value")
		}
		l := deliveries(t, e, w.ID)
		if l.Meta.Page.Total != 5 {
			t.Fatalf("delivery log has %d entries", l.Meta.Page.Total)
		}
		for _, d := range l.Data {
			if d.Status != "delivered" || d.Attempts != 1 || d.DeliveredAt == nil || *d.LastHTTPStatus != 200 {
				t.Errorf("delivery %+v", d)
			}
		}
		if deliver(t, e) != 0 {
			t.Error("delivered twice")
		}
		// The test event, and the secret's rotation.
		e.Do("POST", "/v1/webhooks/"+w.ID+"/test", e.Admin, nil).Want(t, 202)
		var rotated webhookOut
		e.Do("POST", "/v1/webhooks/"+w.ID+"/rotate-secret", e.Admin, nil).Want(t, 200).JSON(t, &rotated)
		r.mu.Lock()
		r.secret = rotated.Secret
		r.mu.Unlock()
		deliver(t, e)
		if len(r.messages("webhook.test")) != 1 || rotated.Secret == w.Secret {
			t.Error("the test event did not arrive signed with the new secret")
		}
		if logs := e.Logs.String(); strings.Contains(logs, w.Secret) || strings.Contains(logs, rotated.Secret) {
			t.Error("a signing secret reached the logs")
		}
		if b := e.Do("GET", "/v3/audit-events", e.Admin, nil).Want(t, 200).Body; strings.Contains(string(b), rotated.Secret) {
			t.Error("a signing secret reached the audit trail")
		}
	})
}

// A failing receiver gets retries with backoff on the injected clock, and
// the delivery fails for good after the last attempt; redelivery restarts it.
func TestWebhookRetriesAndFailure(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		r.status.Store(503)
		w := createWebhook(t, e, r, "", "account.disabled")
		acct := createAccount(t, e, e.Admin, "flaky")
		e.Do("POST", "/v3/system-accounts/"+acct+"/disable", e.Admin, nil).Want(t, 200)

		deliver(t, e)
		d := deliveries(t, e, w.ID).Data[0]
		if d.Status != "pending" || d.Attempts != 1 || *d.LastHTTPStatus != 503 || d.LastError == "" ||
			d.ResponseExcerpt != "receiver says hello" || d.NextAttemptAt == nil {
			t.Fatalf("after one failure: %+v", d)
		}
		wait := d.NextAttemptAt.Sub(e.Clock.Now())
		if wait < 20*time.Second || wait > 40*time.Second {
			t.Errorf("first backoff %v, want 30s ± 20%%", wait)
		}
		if deliver(t, e) != 0 {
			t.Error("retried before the backoff ended")
		}
		for i := 2; i <= 10; i++ {
			e.Clock.Advance(2 * time.Hour)
			if n := deliver(t, e); n != 1 {
				t.Fatalf("attempt %d: %d sent", i, n)
			}
		}
		d = deliveries(t, e, w.ID).Data[0]
		if d.Status != "failed" || d.Attempts != 10 || d.NextAttemptAt != nil {
			t.Fatalf("after ten failures: %+v", d)
		}
		e.Clock.Advance(24 * time.Hour)
		if deliver(t, e) != 0 || r.count() != 10 {
			t.Error("a failed delivery was sent again")
		}
		wantProblem(t, e.Do("POST", "/v1/webhooks/"+w.ID+"/deliveries/"+acct+"/redeliver", e.Admin, nil), 404)
		r.status.Store(204)
		e.Do("POST", "/v1/webhooks/"+w.ID+"/deliveries/"+d.ID+"/redeliver", e.Admin, nil).Want(t, 202)
		wantProblem(t, e.Do("POST", "/v1/webhooks/"+w.ID+"/deliveries/"+d.ID+"/redeliver", e.Admin, nil), 409)
		deliver(t, e)
		if d := deliveries(t, e, w.ID).Data[0]; d.Status != "delivered" || d.Attempts != 1 {
			t.Errorf("after redelivery: %+v", d)
		}
		// A disabled destination gets nothing new.
		e.Do("PATCH", "/v1/webhooks/"+w.ID, e.Admin, map[string]any{"enabled": false}).Want(t, 200)
		e.Do("POST", "/v3/system-accounts/"+createAccount(t, e, e.Admin, "other")+"/disable", e.Admin, nil).Want(t, 200)
		if deliveries(t, e, w.ID).Meta.Page.Total != 1 {
			t.Error("a disabled destination was queued an event")
		}
		e.Do("DELETE", "/v1/webhooks/"+w.ID, e.Admin, nil).Want(t, 204)
		wantProblem(t, e.Do("GET", "/v1/webhooks/"+w.ID+"/deliveries", e.Admin, nil), 404)
	})
}

// Deliveries are kept in the database: what one server queued while the
// receiver was down, a restarted server on the same database sends.
func TestWebhookDeliverySurvivesRestart(t *testing.T) {
	key := secretKey(t)
	apitest.EachWith(t, apitest.Options{SecretKey: key, WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		r.status.Store(500)
		w := createWebhook(t, e, r, "", "account.disabled")
		acct := createAccount(t, e, e.Admin, "restart")
		e.Do("POST", "/v3/system-accounts/"+acct+"/disable", e.Admin, nil).Want(t, 200)
		deliver(t, e)
		e.Server.Close() // the first server stops with the delivery pending

		r.status.Store(200)
		backend := "sqlite"
		if strings.HasPrefix(e.DBURL, "postgres") {
			backend = "postgres"
		}
		again := apitest.New(t, backend, apitest.Options{SecretKey: key, WebhookNetworks: apitest.Loopback, DBURL: e.DBURL, Clock: e.Clock})
		again.Admin = e.Admin
		e.Clock.Advance(time.Minute)
		if n := deliver(t, again); n != 1 {
			t.Fatalf("the restarted server sent %d", n)
		}
		if len(r.messages("account.disabled")) != 2 {
			t.Fatalf("got %d account.disabled messages, want the failed one and the retry", len(r.messages("account.disabled")))
		}
		if d := deliveries(t, again, w.ID).Data[0]; d.Status != "delivered" || d.Attempts != 2 {
			t.Errorf("after the restart: %+v", d)
		}
	})
}

func TestWebhookValidation(t *testing.T) {
	t.Run("OK", func(t *testing.T) { webhookValidation(t) })
	t.Run("ErrNoSecretKey", func(t *testing.T) { webhookWithoutKey(t) })
}

func webhookValidation(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t)}, func(t *testing.T, e *apitest.Env) {
		ok := map[string]any{"name": "n", "url": "https://example.com/h", "event_types": []string{"token.expired"}}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for a, b := range ok {
				m[a] = b
			}
			m[k] = v
			return m
		}
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("url", "ftp://example.com/")), "url", "invalid")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("url", "not a url")), "url", "invalid")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("url", "https:///nohost")), "url", "invalid")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("event_types", []string{"token.bogus"})), "event_types", "enum")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("event_types", []string{})), "event_types", "min_items")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("event_types", "token.expired")), "event_types", "is_array")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("event_types", []string{"token.auto_rotated"})), "system_account_id", "required")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("system_account_id", "x")), "system_account_id", "is_uuid")
		wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, with("secret", "whsec_mine")), "secret", "unknown_property")
		wantProblem(t, e.Do("POST", "/v1/webhooks", e.Admin, with("system_account_id", e.AdminID)), 404)
		wantInvalid(t, e.Do("GET", "/v1/webhooks/nope", e.Admin, nil), "webhookId", "is_uuid")
		if n := e.Do("GET", "/v1/webhooks", e.Admin, nil).Want(t, 200).Map(t)["meta"].(map[string]any)["page"].(map[string]any)["total"]; n != 0.0 {
			t.Errorf("refused requests left %v destinations", n)
		}
		var w webhookOut
		e.Do("POST", "/v1/webhooks", e.Admin, ok).Want(t, 201).JSON(t, &w)
		wantInvalid(t, e.Do("PATCH", "/v1/webhooks/"+w.ID, e.Admin, map[string]any{"url": "javascript:alert(1)"}), "url", "invalid")
		e.Do("PATCH", "/v1/webhooks/"+w.ID, e.Admin, map[string]any{"name": "renamed", "system_account_id": nil}).Want(t, 200)
	})
}

func webhookWithoutKey(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		p := wantProblem(t, e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "n", "url": "https://example.com/", "event_types": []string{"token.expired"}}), 409)
		if !strings.Contains(p.Detail, "--secret-key-file") {
			t.Errorf("detail %q does not name the flag", p.Detail)
		}
		e.Do("GET", "/v1/webhooks", e.Admin, nil).Want(t, 200)
	})
}

// Deliveries reach only public addresses unless --webhook-allow-networks
// names a network: an address URL is refused when it is saved, and a host
// name is checked on each delivery, once resolved, so that neither the
// server's own host nor the cloud's metadata service can be made to answer
// into the delivery log.
func TestWebhookEgress(t *testing.T) {
	t.Run("Default", webhookEgressDefault)
	t.Run("Allowed", webhookEgressAllowed)
}

func webhookEgressDefault(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t)}, func(t *testing.T, e *apitest.Env) {
		create := func(url string) *apitest.Response {
			return e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "n", "url": url, "event_types": []string{"token.revoked"}})
		}
		for _, url := range []string{
			"http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
			"http://10.1.2.3/", "https://192.168.0.10:8443/", "http://[fd00::1]/", "http://0.0.0.0/", "http://[fe80::1%25eth0]/",
		} {
			if p := wantInvalid(t, create(url), "url", "invalid"); !strings.Contains(p.Reason, "--webhook-allow-networks") {
				t.Errorf("%s: refused because %q, which does not name the flag", url, p.Reason)
			}
		}
		create("https://hooks.example.com/keyhold").Want(t, 201)

		// A name that resolves to loopback is saved, and refused on delivery.
		r := newReceiver(t, e)
		var w webhookOut
		local := strings.Replace(r.srv.URL, "127.0.0.1", "localhost", 1) + "/hook"
		create(local).Want(t, 201).JSON(t, &w)
		e.Do("POST", "/v1/webhooks/"+w.ID+"/test", e.Admin, nil).Want(t, 202)
		deliver(t, e)
		l := deliveries(t, e, w.ID)
		if len(l.Data) != 1 || l.Data[0].DeliveredAt != nil || !strings.Contains(l.Data[0].LastError, "--webhook-allow-networks") {
			t.Fatalf("delivery to loopback by name: %+v", l.Data)
		}
		if r.count() != 0 {
			t.Error("the loopback receiver got a delivery")
		}
	})
}

// Allowed, a loopback receiver gets its deliveries.
func webhookEgressAllowed(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		w := createWebhook(t, e, r, "", "token.revoked")
		e.Do("POST", "/v1/webhooks/"+w.ID+"/test", e.Admin, nil).Want(t, 202)
		deliver(t, e)
		if len(r.messages("webhook.test")) != 1 {
			t.Error("an allowed loopback receiver got no delivery")
		}
	})
}
