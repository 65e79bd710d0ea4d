package service_test

import (
	"testing"

	"github.com/keyhold/keyhold"
)

// ListTeams counts the members of each team of the page, on every page;
// the other reads of a team leave Members nil.
func TestListTeamsCountsMembers(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		acct := e.account("builder")
		var ids []string
		for _, name := range []string{"b-team", "A-team", "c-team"} {
			tm, err := e.teams.CreateTeam(e.admin, keyhold.TeamCreate{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tm.ID)
		}
		for _, m := range []struct {
			team string
			ref  keyhold.Ref
		}{{ids[0], accountRef(acct.ID)}, {ids[2], accountRef(acct.ID)}, {ids[2], userRef(e.adminID)}} {
			if err := e.teams.AddTeamMember(e.admin, m.team, m.ref); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]keyhold.MemberCount{"A-team": {}, "b-team": {Accounts: 1}, "c-team": {Accounts: 1, Users: 1}}
		var names []string
		for n := 1; n <= 2; n++ {
			l, err := e.teams.ListTeams(e.admin, keyhold.TeamFilter{ByName: true, Page: keyhold.Page{Number: n, Size: 2}})
			if err != nil {
				t.Fatal(err)
			}
			for _, tm := range l.Items {
				if tm.SystemTeam {
					continue
				}
				names = append(names, tm.Name)
				if tm.Members == nil || *tm.Members != want[tm.Name] {
					t.Errorf("%s members %+v, want %+v", tm.Name, tm.Members, want[tm.Name])
				}
			}
		}
		if len(names) != 3 || names[0] != "A-team" || names[1] != "b-team" || names[2] != "c-team" {
			t.Errorf("custom teams on the first pages %q, want A-team, b-team, c-team", names)
		}
		got, err := e.teams.GetTeam(e.admin, ids[2])
		if err != nil || got.Members != nil {
			t.Errorf("GetTeam members %+v, %v; want nil", got.Members, err)
		}
		l, err := e.teams.ListMemberTeams(e.admin, accountRef(acct.ID), keyhold.TeamFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil || len(l.Items) != 2 || l.Items[0].Members != nil {
			t.Errorf("ListMemberTeams %+v, %v; want two teams without counts", l, err)
		}
	})
}
