package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

var teamRow = regexp.MustCompile(`<tr><td><a href="/ui/teams/[^"]+">([^<]+)</a></td><td>.*?</td><td>.*?</td><td>(.*?)</td></tr>`)

// teamRows returns the names and member cells of a teams page, in order.
func teamRows(body string) (names, members []string) {
	for _, m := range teamRow.FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
		members = append(members, m[2])
	}
	return names, members
}

// The teams page lists custom teams by name whatever their case, then
// system teams by name, across pages, each with its members counted.
func TestTeamsListSortedWithCounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)

		// t21, T20, t19, …: newest first by name, cases mixed.
		ids := map[string]string{}
		var custom []string
		for i := 21; i >= 0; i-- {
			name := fmt.Sprintf("t%02d", i)
			if i%2 == 0 {
				name = strings.ToUpper(name)
			}
			tm, err := e.svc.Teams.CreateTeam(ctx, keyhold.TeamCreate{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = tm.ID
			custom = append([]string{name}, custom...)
		}
		acct, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "builder"})
		if err != nil {
			t.Fatal(err)
		}
		user, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "pat@example.com", Password: adminPassword})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			team string
			ref  keyhold.Ref
		}{
			{"t05", keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: acct.ID}},
			{"t05", keyhold.Ref{Type: keyhold.PrincipalUser, ID: user.ID}},
			{"T20", keyhold.Ref{Type: keyhold.PrincipalUser, ID: user.ID}},
		} {
			if err := e.svc.Teams.AddTeamMember(ctx, ids[m.team], m.ref); err != nil {
				t.Fatal(err)
			}
		}
		all, err := e.svc.Teams.ListTeams(ctx, keyhold.TeamFilter{Page: keyhold.Page{Number: 1, Size: 100}})
		if err != nil {
			t.Fatal(err)
		}
		var system []string
		for _, tm := range all.Items {
			if tm.SystemTeam {
				system = append(system, tm.Name)
			}
		}
		slices.SortFunc(system, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		want := append(slices.Clone(custom), system...)

		var names, members []string
		for n := 1; len(names) < len(want) && n < 10; n++ {
			p := b.get(fmt.Sprintf("/ui/teams?page=%d", n)).want(t, http.StatusOK)
			pn, pm := teamRows(p.body)
			if len(pn) == 0 {
				t.Fatalf("page %d lists no team", n)
			}
			names, members = append(names, pn...), append(members, pm...)
		}
		if !slices.Equal(names, want) {
			t.Fatalf("teams listed\n %q\nwant\n %q", names, want)
		}
		cell := func(name string) string { return members[slices.Index(names, name)] }
		for name, wantCell := range map[string]string{
			"t05": `2 <span class="muted">(1 system account, 1 user)</span>`,
			"T20": `1 <span class="muted">(0 system accounts, 1 user)</span>`,
			"t21": "0",
		} {
			if got := cell(name); got != wantCell {
				t.Errorf("%s members %q, want %q", name, got, wantCell)
			}
		}
		// The administrator is a member of Organization Admin.
		if got := cell("Organization Admin"); !strings.Contains(got, "1 user") {
			t.Errorf("Organization Admin members %q", got)
		}
	})
}
