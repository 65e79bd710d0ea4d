package main

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
)

func TestCLIWebhooks(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	apitest.EachWith(t, apitest.Options{SecretKey: key, WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		var status atomic.Int32
		status.Store(200)
		var got atomic.Int32
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Add(1)
			w.WriteHeader(int(status.Load()))
		}))
		t.Cleanup(recv.Close)

		k := newTerm(t, e)
		k.login()
		k.run("sa", "create", "ci-bot")
		k.fail(2, "webhooks", "create", "alerts", "--url", recv.URL)
		k.fail(2, "webhooks", "create", "alerts", "--url", "ftp://nope", "--events", "token.revoked")

		// Fixed URLs first, so that the golden table does not depend on the
		// receiver's port.
		secret := strings.TrimSpace(k.run("webhooks", "create", "alerts", "--url", "https://hooks.example.com/keyhold", "--events", "token.revoked,token.leaked", "-q"))
		if !strings.HasPrefix(secret, "whsec_") || strings.Contains(secret, "\n") {
			t.Fatalf("create -q printed %q, want the secret alone", secret)
		}
		k.tick()
		k.run("webhooks", "create", "vault", "--url", "https://vault.example.com/keyhold", "--events", "token.auto_rotated", "--account", "ci-bot")
		list := k.run("webhooks", "list")
		k.golden("webhooks-list", list)
		if strings.Contains(list, "whsec_") || strings.Contains(k.run("webhooks", "get", "alerts", "-o", "json"), "whsec_") {
			t.Error("a listed or read webhook shows its secret")
		}

		k.run("webhooks", "update", "alerts", "--events", "token.revoked,token.leaked,token.expired", "--url", recv.URL+"/hook")
		if out := k.run("webhooks", "get", "alerts", "-o", "json"); !strings.Contains(out, "token.expired") {
			t.Errorf("update did not change events: %s", out)
		}
		k.fail(2, "webhooks", "update", "alerts")
		k.fail(2, "webhooks", "update", "vault", "--account", "ci-bot", "--all-accounts")

		// An event is queued, delivered, and shows in the log.
		k.run("tokens", "create", "ci-bot", "--name", "deploy", "-q")
		k.run("tokens", "delete", "ci-bot", "deploy")
		if _, err := e.Service.Deliveries.DeliverWebhooks(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got.Load() != 1 {
			t.Fatalf("receiver got %d deliveries, want 1", got.Load())
		}
		log := k.run("webhooks", "deliveries", "alerts")
		if !strings.Contains(log, "token.revoked") || !strings.Contains(log, "delivered") {
			t.Errorf("deliveries:\n%s", log)
		}
		k.golden("webhooks-deliveries", log)

		// A failing receiver: the test event stays pending with its error;
		// redeliver is refused while it is pending.
		status.Store(500)
		k.tick() // newest first: the test event is the newest
		id := strings.TrimSpace(k.run("webhooks", "test", "alerts", "-q"))
		if _, err := e.Service.Deliveries.DeliverWebhooks(t.Context()); err != nil {
			t.Fatal(err)
		}
		if out := k.run("webhooks", "deliveries", "alerts", "--limit", "1"); !strings.Contains(out, "webhook.test") || !strings.Contains(out, "500") || !strings.Contains(out, "pending") {
			t.Errorf("failed test delivery:\n%s", out)
		}
		k.fail(5, "webhooks", "redeliver", "alerts", id)

		newSecret := strings.TrimSpace(k.run("webhooks", "rotate-secret", "alerts", "-q"))
		if !strings.HasPrefix(newSecret, "whsec_") || newSecret == secret {
			t.Errorf("rotate-secret printed %q", newSecret)
		}
		k.run("webhooks", "delete", "vault")
		k.fail(4, "webhooks", "get", "vault")
		k.fail(4, "webhooks", "get", "00000000-0000-4000-8000-000000000001")
	})
}
