package formnonce_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/formnonce"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	key := formnonce.Key("session secret")
	v := formnonce.New(key, "/ui/me/tokens/new", now)
	if exp, ok := formnonce.Check(key, "/ui/me/tokens/new", v, now.Add(time.Hour)); !ok || !exp.Equal(now.Add(formnonce.TTL)) {
		t.Fatalf("Check = %v, %v; want ok until %v", exp, ok, now.Add(formnonce.TTL))
	}
	if w := formnonce.New(key, "/ui/me/tokens/new", now); w == v {
		t.Fatal("two nonces are equal")
	}
	parts := strings.Split(v, ".")
	other := "A" + v[1:]
	if other == v {
		other = "B" + v[1:]
	}
	for name, c := range map[string]struct {
		key       []byte
		action, v string
		at        time.Time
	}{
		"another session": {formnonce.Key("another secret"), "/ui/me/tokens/new", v, now},
		"another form":    {key, "/ui/webhooks/new", v, now},
		"expired":         {key, "/ui/me/tokens/new", v, now.Add(formnonce.TTL)},
		"expiry moved":    {key, "/ui/me/tokens/new", parts[0] + ".9999999999." + parts[2], now},
		"random changed":  {key, "/ui/me/tokens/new", other, now},
		"empty":           {key, "/ui/me/tokens/new", "", now},
		"no key":          {nil, "/ui/me/tokens/new", v, now},
		"not three parts": {key, "/ui/me/tokens/new", parts[0] + "." + parts[2], now},
	} {
		if _, ok := formnonce.Check(c.key, c.action, c.v, c.at); ok {
			t.Errorf("%s: Check accepts it", name)
		}
	}
	if formnonce.New(nil, "/ui/me/tokens/new", now) != "" {
		t.Error("New makes a nonce without a key")
	}
}
