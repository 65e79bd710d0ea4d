package cli

import (
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// Every command documents itself with examples.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		if c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%s has no Short", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range Commands(Options{}) {
		walk(c)
	}
	if n < 40 {
		t.Errorf("walked only %d commands", n)
	}
}

func TestRelativeTimes(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	a := &app{Options: Options{Now: func() time.Time { return now }}}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, c := range []struct{ got, want string }{
		{a.ago(at(-3 * time.Hour)), "3 h ago"},
		{a.ago(at(0)), "just now"},
		{a.ago(nil), "never"},
		{a.ago(at(-50 * time.Hour)), "2 days ago"},
		{a.until(at(29*24*time.Hour + time.Hour)), "in 29 days"},
		{a.until(at(-90 * time.Second)), "1 min ago"},
		{a.until(nil), "never"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
