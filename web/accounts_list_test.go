package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

var accountRow = regexp.MustCompile(`<a href="/ui/accounts/[^"]+">([^<]+)</a>(.*?)</td>\s*<td>[^<]*</td>\s*<td data-active-tokens>(\d+)</td>\s*<td data-last-used>(.*?)</td>`)

// accountListRow is a row of the accounts list as rendered.
type accountListRow struct {
	Name, Badges, Active, LastUsed string
}

func accountListRows(body string) []accountListRow {
	var out []accountListRow
	for _, m := range accountRow.FindAllStringSubmatch(body, -1) {
		out = append(out, accountListRow{m[1], m[2], m[3], m[4]})
	}
	return out
}

func accountListNames(body string) []string {
	var out []string
	for _, r := range accountListRows(body) {
		out = append(out, r.Name)
	}
	return out
}

// The accounts list shows each account's working tokens, its tokens' last
// use and a DISABLED badge, filters by state and by token condition from
// GET parameters, refuses unknown values with field errors, and pages
// with links that keep the filters.
func TestAccountsListCountsFiltersAndPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		now := time.Now().UTC()
		day := 24 * time.Hour

		account := func(name string) keyhold.Ref {
			a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		}
		token := func(owner keyhold.Ref, name string, expires time.Duration, used *time.Time) string {
			exp := now.Add(expires)
			k, err := e.svc.Tokens.CreateToken(ctx, owner, keyhold.TokenCreate{Name: name, ExpiresAt: &exp})
			if err != nil {
				t.Fatal(err)
			}
			if used != nil {
				if err := e.db.TouchTokens(context.Background(), map[string]keyhold.TokenUse{k.ID: {At: *used}}); err != nil {
					t.Fatal(err)
				}
			}
			return k.ID
		}
		ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }

		// 22 accounts without tokens, then four that tell the columns apart.
		var fillers []string
		for i := range 22 {
			fillers = append(fillers, fmt.Sprintf("filler-%02d", i))
			account(fillers[i])
		}
		busy := account("busy")
		token(busy, "live", 60*day, ago(time.Hour))
		revoked := token(busy, "gone", 60*day, ago(10*time.Minute))
		if _, err := e.svc.Tokens.RevokeToken(ctx, busy, revoked); err != nil {
			t.Fatal(err)
		}
		soon := account("soon")
		token(soon, "short", 3*day, nil)
		stale := account("stale")
		token(stale, "old", 60*day, ago(40*day))
		off := account("off")
		token(off, "paused", 60*day, ago(day))
		if _, err := e.svc.Accounts.SetSystemAccountDisabled(ctx, off.ID, true); err != nil {
			t.Fatal(err)
		}

		when := func(t *time.Time) string {
			return fmt.Sprintf(`<time datetime="%s">%s</time>`, t.UTC().Format(time.RFC3339), t.UTC().Format("2006-01-02 15:04 UTC"))
		}
		never := `<span class="muted">never</span>`
		p := b.get("/ui/accounts?page=2").want(t, http.StatusOK)
		got := accountListRows(p.body)
		want := []accountListRow{
			{"filler-20", "", "0", never}, {"filler-21", "", "0", never},
			{"busy", "", "1", when(ago(10 * time.Minute))},
			{"soon", "", "1", never},
			{"stale", "", "1", when(ago(40 * day))},
			{"off", ` <span class="state state-DISABLED" title="Every token of a disabled account is refused">DISABLED</span>`, "1", when(ago(day))},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("page 2 rows\n %q\nwant\n %q", got, want)
		}
		if !strings.Contains(p.body, "Page 2 of 2 (26 in all)") {
			t.Errorf("page 2 pager missing:\n%s", p.body)
		}

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"state=disabled", []string{"off"}},
			{"tokens=expiring", []string{"soon"}},
			{"tokens=unused", []string{"soon", "stale"}},
			{"tokens=unused&q=SO", []string{"soon"}},
			{"state=enabled&tokens=expiring", []string{"soon"}},
			{"state=disabled&tokens=expiring", nil},
		} {
			p := b.get("/ui/accounts?"+tc.query).want(t, http.StatusOK)
			if got := accountListNames(p.body); !slices.Equal(got, tc.want) {
				t.Errorf("%s lists %q, want %q", tc.query, got, tc.want)
			}
			if tc.want == nil && !strings.Contains(p.body, "No system account matches") {
				t.Errorf("%s: no empty message", tc.query)
			}
			if !strings.Contains(p.body, `href="/ui/accounts" class="clear-filters"`) {
				t.Errorf("%s: no link to clear the filters", tc.query)
			}
		}
		// The selected filters stay selected.
		b.get("/ui/accounts?state=disabled&tokens=unused").want(t, http.StatusOK,
			`<option value="disabled" selected>Disabled</option>`, `<option value="unused" selected>`)

		// Paging keeps the filters: 25 enabled accounts are two pages.
		p = b.get("/ui/accounts?state=enabled&q=").want(t, http.StatusOK, "Page 1 of 2 (25 in all)")
		if got := accountListNames(p.body); !slices.Equal(got, fillers[:20]) {
			t.Errorf("enabled page 1 lists %q", got)
		}
		m := nextRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no next link:\n%s", p.body)
		}
		next := html.UnescapeString(m[1])
		if !strings.Contains(next, "state=enabled") || !strings.Contains(next, "page=2") {
			t.Fatalf("next link %q drops the filter", next)
		}
		p = b.get(next).want(t, http.StatusOK, "Page 2 of 2 (25 in all)", `rel="prev"`)
		if got, want := accountListNames(p.body), []string{"filler-20", "filler-21", "busy", "soon", "stale"}; !slices.Equal(got, want) {
			t.Errorf("enabled page 2 lists %q, want %q", got, want)
		}
		if prev := regexp.MustCompile(`href="([^"]+)" rel="prev"`).FindStringSubmatch(p.body); prev == nil || !strings.Contains(html.UnescapeString(prev[1]), "state=enabled") {
			t.Errorf("previous link drops the filter: %q", prev)
		}

		// Unknown values are field errors, not server errors.
		for q, msg := range map[string]string{
			"state=gone":   "pick one of the listed states",
			"tokens=never": "pick one of the listed token conditions",
			"managed=some": "pick one of the listed kinds",
		} {
			p := b.get("/ui/accounts?"+q).want(t, http.StatusBadRequest, msg, "Fix the filters above")
			if rows := accountListRows(p.body); len(rows) != 0 {
				t.Errorf("%s lists %d rows", q, len(rows))
			}
		}
	})
}
