package httpapi_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// token.expiring goes out once per threshold (14, 7, 1 days), driven by
// the injected clock, and token.expired from the expiry sweep.
func TestExpiryWarnings(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		createWebhook(t, e, r, "", "token.expiring", "token.expired")
		acct := createAccount(t, e, e.Admin, "warned")
		var tok struct{ ID string }
		e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens", e.Admin, map[string]any{
			"name": "t", "expires_at": e.Clock.Now().Add(20 * 24 * time.Hour).Format(time.RFC3339)}).Want(t, 201).JSON(t, &tok)
		step := func(d time.Duration) {
			e.Clock.Advance(d)
			e.Service.Jobs.RunJobs(t.Context())
			e.Service.Jobs.RunJobs(t.Context()) // a second run, as another replica's, repeats nothing
			deliver(t, e)
		}
		step(time.Hour)
		if r.count() != 0 {
			t.Fatalf("warned 20 days ahead")
		}
		var thresholds []float64
		for _, d := range []time.Duration{6 * 24 * time.Hour, 7 * 24 * time.Hour, 6 * 24 * time.Hour} {
			step(d)
			ms := r.messages("token.expiring")
			if len(ms) != len(thresholds)+1 {
				t.Fatalf("after %v: %d warnings", d, len(ms))
			}
			m := ms[len(ms)-1]
			if m.Data["token_id"] != tok.ID || m.Data["system_account_name"] != "warned" || m.Data["expires_at"] == nil {
				t.Errorf("warning data %v", m.Data)
			}
			thresholds = append(thresholds, m.Data["threshold_days"].(float64))
		}
		if thresholds[0] != 14 || thresholds[1] != 7 || thresholds[2] != 1 {
			t.Errorf("thresholds %v, want 14, 7, 1", thresholds)
		}
		step(2 * 24 * time.Hour)
		if len(r.messages("token.expired")) != 1 || len(r.messages("token.expiring")) != 3 {
			t.Errorf("expired %d, expiring %d", len(r.messages("token.expired")), len(r.messages("token.expiring")))
		}
	})
}

// An auto_rotate token gets a successor before it expires. A failed
// attempt's successor never works; the next attempt mints a fresh one,
// which works once the destination answered 2xx.
func TestAutoRotation(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		acct := createAccount(t, e, e.Admin, "auto")
		w := createWebhook(t, e, r, acct, "token.auto_rotated", "token.rotated")
		base := "/v3/system-accounts/" + acct + "/access-tokens"
		var tok wire.AccessTokenCreated
		e.Do("POST", base, e.Admin, map[string]any{"name": "ci", "auto_rotate": true,
			"expires_at": e.Clock.Now().Add(10 * 24 * time.Hour).Format(time.RFC3339)}).Want(t, 201).JSON(t, &tok)
		if !tok.AutoRotate {
			t.Fatal("auto_rotate not set")
		}
		wantInvalid(t, e.Do("POST", base, e.Admin, map[string]any{"name": "x", "auto_rotate": "yes"}), "auto_rotate", "is_boolean")

		e.Clock.Advance(time.Hour)
		e.Service.Jobs.RunJobs(t.Context())
		if deliver(t, e) != 0 {
			t.Fatal("rotated too early: the lead of a 10-day token is 5 days")
		}
		r.status.Store(500)
		e.Clock.Advance(5 * 24 * time.Hour)
		e.Service.Jobs.RunJobs(t.Context())
		deliver(t, e)
		first := r.messages("token.auto_rotated")
		if len(first) != 1 {
			t.Fatalf("%d auto_rotated messages", len(first))
		}
		failed := first[0].Data["successor"].(map[string]any)
		wantProblem(t, e.Do("GET", "/v1/whoami", failed["token"].(string), nil), 401)
		if got := e.Do("GET", base+"/"+tok.ID, e.Admin, nil).Want(t, 200).Map(t); got["state"] != "ACTIVE" {
			t.Fatalf("after a failed delivery the token is %v", got["state"])
		}
		e.Service.Jobs.RunJobs(t.Context()) // the job queues nothing more while one is pending

		r.status.Store(200)
		e.Clock.Advance(2 * time.Minute)
		if n := deliver(t, e); n != 2 { // the retry, then the token.rotated it caused
			t.Fatalf("%d attempts on retry", n)
		}
		msgs := r.messages("token.auto_rotated")
		if len(msgs) != 2 || msgs[1].ID == msgs[0].ID {
			t.Fatalf("want a second message with a fresh id: %+v", msgs)
		}
		succ := msgs[1].Data["successor"].(map[string]any)
		if succ["token"] == failed["token"] || succ["id"] == failed["id"] {
			t.Fatal("the retry reused the failed attempt's successor")
		}
		e.Do("GET", "/v1/whoami", succ["token"].(string), nil).Want(t, 200)
		wantProblem(t, e.Do("GET", "/v1/whoami", failed["token"].(string), nil), 401)
		e.Do("GET", "/v1/whoami", tok.Token, nil).Want(t, 200) // the overlap
		got := e.Do("GET", base+"/"+succ["id"].(string), e.Admin, nil).Want(t, 200).Map(t)
		if got["name"] != "ci" || got["auto_rotate"] != true || got["predecessor_id"] != tok.ID {
			t.Errorf("successor %v", got)
		}
		if got := e.Do("GET", base+"/"+tok.ID, e.Admin, nil).Want(t, 200).Map(t); got["state"] != "ROTATING" {
			t.Errorf("predecessor %v", got["state"])
		}
		deliver(t, e)
		if len(r.messages("token.rotated")) != 1 {
			t.Error("no token.rotated event")
		}
		l := deliveries(t, e, w.ID)
		for _, d := range l.Data {
			if d.EventType == "token.auto_rotated" && (d.Status != "delivered" || d.Attempts != 2 || d.ResponseExcerpt != "") {
				t.Errorf("auto-rotation delivery %+v", d)
			}
		}
		if n := audit(t, e, "?filter[action][eq]=token.auto_rotated&filter[outcome][eq]=failure").Meta.Page.Total; n != 1 {
			t.Errorf("%d failed auto-rotation events, want 1", n)
		}
		if n := audit(t, e, "?filter[action][eq]=token.auto_rotated&filter[outcome][eq]=success").Meta.Page.Total; n != 1 {
			t.Errorf("%d successful auto-rotation events, want 1", n)
		}
		e.Service.Jobs.RunJobs(t.Context())
		if deliver(t, e) != 0 {
			t.Error("rotated again")
		}
	})
}
