package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/client"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

func TestPagesAcrossPagesAndLimit(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		c := client.New(e.Server.URL, e.Admin)
		for i := range 7 {
			if _, err := c.CreateSystemAccount(ctx, client.SystemAccountCreate{Name: fmt.Sprintf("bot-%d", i)}); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(time.Second) // lists are ordered by creation time
		}
		all, err := c.ListSystemAccounts(ctx, client.ListOptions{PageSize: 2})
		if err != nil || len(all) != 7 {
			t.Fatalf("all = %d, %v", len(all), err)
		}
		some, err := c.ListSystemAccounts(ctx, client.ListOptions{PageSize: 2, Limit: 3})
		if err != nil || len(some) != 3 || some[2].Name != "bot-2" {
			t.Fatalf("limited = %v, %v", some, err)
		}
		one, err := c.ListSystemAccounts(ctx, client.ListOptions{}.Where("name", "eq", "bot-5"))
		if err != nil || len(one) != 1 {
			t.Fatalf("filtered = %v, %v", one, err)
		}
	})
}

func TestErrorIsProblemWithoutToken(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	ctx := context.Background()
	c := client.New(e.Server.URL, e.Admin)
	_, err := c.CreateSystemAccount(ctx, client.SystemAccountCreate{Name: ""})
	var kerr *keyhold.Error
	if !errors.As(err, &kerr) || kerr.Code != keyhold.EINVALID || !strings.Contains(kerr.Message, "(400)") || len(kerr.Fields) == 0 {
		t.Fatalf("err = %#v", err)
	}
	_, err = c.GetSystemAccount(ctx, "00000000-0000-4000-8000-000000000000")
	if keyhold.ErrorCode(err) != keyhold.ENOTFOUND || !strings.Contains(keyhold.ErrorMessage(err), "(request ") {
		t.Fatalf("err = %v", err)
	}
	bad := client.New(e.Server.URL, e.Admin[:len(e.Admin)-1]+"x")
	_, err = bad.WhoAmI(ctx)
	if keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED || strings.Contains(fmt.Sprintf("%v %#v", err, err), "kpat_") {
		t.Fatalf("err = %v", err)
	}
}

// A problem's every part reaches the *keyhold.Error: its status as the
// code, and in the message; its title, detail and request id; each
// invalid parameter as a field; and Retry-After as the wait. A status no
// code stands for, with a body that is no problem, is internal.
func TestErrorKeepsTheProblem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/whoami" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(wire.Problem{Status: 429, Title: "Rate Limited", Detail: "slow down", Instance: wire.TracePrefix + "req-1",
			InvalidParameters: []wire.InvalidParameter{{Field: "name", Reason: "too long", Rule: "max_length", Maximum: keyhold.Int64(250), Source: "body"}}})
	}))
	defer srv.Close()
	c := client.New(srv.URL, "")
	_, err := c.GetTeam(context.Background(), "x")
	var kerr *keyhold.Error
	if !errors.As(err, &kerr) {
		t.Fatalf("err = %#v", err)
	}
	want := &keyhold.Error{Code: keyhold.ERATELIMITED, Message: "Rate Limited (429): slow down (request req-1)", RetryAfter: 7 * time.Second,
		Fields: []keyhold.FieldError{{Field: "name", Reason: "too long", Rule: "max_length", Maximum: keyhold.Int64(250), Source: "body"}}}
	if !reflect.DeepEqual(kerr, want) {
		t.Errorf("err = %#v\nwant %#v", kerr, want)
	}
	_, err = c.WhoAmI(context.Background())
	if keyhold.ErrorCode(err) != keyhold.EINTERNAL || keyhold.ErrorMessage(err) != "Bad Gateway (502)" {
		t.Errorf("err = %#v", err)
	}
}
