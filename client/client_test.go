package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/client"
	"github.com/keyhold/keyhold/internal/apitest"
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
	var perr *client.Error
	if !errors.As(err, &perr) || perr.Status != 400 || len(perr.InvalidParameters) == 0 {
		t.Fatalf("err = %#v", err)
	}
	_, err = c.GetSystemAccount(ctx, "00000000-0000-4000-8000-000000000000")
	if !client.IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}
	bad := client.New(e.Server.URL, e.Admin[:len(e.Admin)-1]+"x")
	_, err = bad.WhoAmI(ctx)
	if client.StatusOf(err) != 401 || strings.Contains(fmt.Sprintf("%v %#v", err, err), "kpat_") {
		t.Fatalf("err = %v", err)
	}
}
