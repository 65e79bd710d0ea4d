package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// Every state change writes one event naming who did what to which, from
// where, under the request id the client saw.
func TestAuditTrail(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		actor := createAccount(t, e, e.Admin, "auditor-bot")
		identityAdmin(t, e, "/v3/system-accounts/"+actor)
		assign(t, e, "/v3/system-accounts/"+actor, "Viewer", "Portals", "*", "*") // what it gives away below
		_, spat := mintSPAT(t, e, actor, "bot")
		ua := http.Header{"User-Agent": {"keyhold-test/1.0"}}
		future := e.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)

		// ids filled in as the steps run.
		var acct, tok, role, team, user, userPAT, pat, patID string
		id := func(r *apitest.Response) string { v, _ := r.Map(t)["id"].(string); return v }
		type step struct {
			name                           string
			run                            func() (*apitest.Response, string) // the response and the target id
			action, targetType, actorToken string
		}
		bot := func(method, path string, body any) *apitest.Response {
			return do(t, e, method, path, spat, body, ua)
		}
		steps := []step{
			{"CreateAccount", func() (*apitest.Response, string) {
				r := bot("POST", "/v3/system-accounts", map[string]any{"name": "audited", "description": ""}).Want(t, 201)
				acct = id(r)
				return r, acct
			}, "system_account.created", "system_account", spat},
			{"UpdateAccount", func() (*apitest.Response, string) {
				return bot("PATCH", "/v3/system-accounts/"+acct, map[string]any{"description": "d"}).Want(t, 200), acct
			}, "system_account.updated", "system_account", spat},
			{"CreateToken", func() (*apitest.Response, string) {
				r := bot("POST", "/v3/system-accounts/"+acct+"/access-tokens", map[string]any{"name": "t", "expires_at": future}).Want(t, 201)
				tok = id(r)
				return r, tok
			}, "token.created", "token", spat},
			{"RenameToken", func() (*apitest.Response, string) {
				return bot("PATCH", "/v3/system-accounts/"+acct+"/access-tokens/"+tok, map[string]any{"name": "t2"}).Want(t, 200), tok
			}, "token.updated", "token", spat},
			{"DeleteToken", func() (*apitest.Response, string) {
				return bot("DELETE", "/v3/system-accounts/"+acct+"/access-tokens/"+tok, nil).Want(t, 204), tok
			}, "token.deleted", "token", spat},
			{"AssignRole", func() (*apitest.Response, string) {
				r := bot("POST", "/v3/system-accounts/"+acct+"/assigned-roles", map[string]any{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"}).Want(t, 201)
				role = id(r)
				return r, acct
			}, "role.assigned", "system_account", spat},
			{"UnassignRole", func() (*apitest.Response, string) {
				return bot("DELETE", "/v3/system-accounts/"+acct+"/assigned-roles/"+role, nil).Want(t, 204), acct
			}, "role.unassigned", "system_account", spat},
			{"CreateTeam", func() (*apitest.Response, string) {
				r := bot("POST", "/v3/teams", map[string]any{"name": "Audited team"}).Want(t, 201)
				team = id(r)
				return r, team
			}, "team.created", "team", spat},
			{"UpdateTeam", func() (*apitest.Response, string) {
				return bot("PATCH", "/v3/teams/"+team, map[string]any{"description": "x"}).Want(t, 200), team
			}, "team.updated", "team", spat},
			{"AddAccount", func() (*apitest.Response, string) {
				return bot("POST", "/v3/teams/"+team+"/system-accounts", map[string]any{"id": acct}).Want(t, 201), team
			}, "team.member_added", "team", spat},
			{"RemoveAccount", func() (*apitest.Response, string) {
				return bot("DELETE", "/v3/teams/"+team+"/system-accounts/"+acct, nil).Want(t, 204), team
			}, "team.member_removed", "team", spat},
			{"AssignTeamRole", func() (*apitest.Response, string) {
				return bot("POST", "/v3/teams/"+team+"/assigned-roles", map[string]any{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"}).Want(t, 201), team
			}, "role.assigned", "team", spat},
			{"CreateUser", func() (*apitest.Response, string) {
				r := bot("POST", "/v3/users", map[string]any{"email": "audited@example.com"}).Want(t, 201)
				user = id(r)
				return r, user
			}, "user.created", "user", spat},
			{"FirstPAT", func() (*apitest.Response, string) {
				userPAT = firstPAT(t, e, user)
				var l patList
				e.Do("GET", "/v3/users/"+user+"/access-tokens", e.Admin, nil).Want(t, 200).JSON(t, &l)
				return nil, l.Data[0]["id"].(string)
			}, "token.created", "token", "user"},
			{"UpdateUser", func() (*apitest.Response, string) {
				return bot("PATCH", "/v3/users/"+user, map[string]any{"full_name": "Audited"}).Want(t, 200), user
			}, "user.updated", "user", spat},
			{"AddUser", func() (*apitest.Response, string) {
				return bot("POST", "/v3/teams/"+team+"/users", map[string]any{"id": user}).Want(t, 201), team
			}, "team.member_added", "team", spat},
			{"AssignUserRole", func() (*apitest.Response, string) {
				return bot("POST", "/v3/users/"+user+"/assigned-roles", map[string]any{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"}).Want(t, 201), user
			}, "role.assigned", "user", spat},
			{"CreatePAT", func() (*apitest.Response, string) {
				r := do(t, e, "POST", "/v3/users/"+user+"/access-tokens", userPAT, map[string]any{"name": "mine", "ttl_seconds": 86400}, ua).Want(t, 201)
				m := r.Map(t)
				patID, pat = m["id"].(string), m["konnect_token"].(string)
				return r, patID
			}, "token.created", "token", "user"},
			{"RenamePAT", func() (*apitest.Response, string) {
				return do(t, e, "PATCH", "/v3/users/"+user+"/access-tokens/"+patID, userPAT, map[string]any{"name": "mine2"}, ua).Want(t, 200), patID
			}, "token.updated", "token", "user"},
			{"RevokePAT", func() (*apitest.Response, string) {
				return bot("PATCH", "/v3/users/"+user+"/access-tokens/"+patID+"/revoke", nil).Want(t, 200), patID
			}, "token.revoked", "token", spat},
			{"DeletePAT", func() (*apitest.Response, string) {
				return do(t, e, "DELETE", "/v3/users/"+user+"/access-tokens/"+patID, userPAT, nil, ua).Want(t, 204), patID
			}, "token.deleted", "token", "user"},
			{"Invite", func() (*apitest.Response, string) {
				r := bot("POST", "/v3/invites", map[string]any{"email": "invited@example.com"}).Want(t, 201)
				return r, list(t, e, "/v3/users?filter[email]=invited@example.com", e.Admin).names("id")[0]
			}, "user.invited", "user", spat},
			{"DeleteTeam", func() (*apitest.Response, string) {
				return bot("DELETE", "/v3/teams/"+team, nil).Want(t, 204), team
			}, "team.deleted", "team", spat},
			{"DeleteUser", func() (*apitest.Response, string) {
				return bot("DELETE", "/v3/users/"+user, nil).Want(t, 204), user
			}, "user.deleted", "user", spat},
			{"DeleteAccount", func() (*apitest.Response, string) {
				return bot("DELETE", "/v3/system-accounts/"+acct, nil).Want(t, 204), acct
			}, "system_account.deleted", "system_account", spat},
		}

		start := audit(t, e, "?page[size]=1").Meta.Page.Total
		times := map[string]time.Time{}
		requestIDs := map[string]bool{}
		for i, s := range steps {
			e.Clock.Advance(time.Minute)
			times[s.name] = e.Clock.Now().UTC()
			var r *apitest.Response
			var target string
			t.Run(s.name, func(t *testing.T) {
				r, target = s.run()
				got := audit(t, e, "?page[size]=1")
				if got.Meta.Page.Total != start+i+1 {
					t.Errorf("%d events, want %d", got.Meta.Page.Total, start+i+1)
				}
				if len(got.Data) != 1 {
					t.Fatalf("no event")
				}
				ev := got.Data[0]
				if ev.Action != s.action || ev.TargetType != s.targetType || ev.TargetID != target || ev.Outcome != "success" || ev.Count != 1 || !ev.OccurredAt.Equal(times[s.name]) {
					t.Errorf("event = %+v, want %s on %s %s at %s", ev, s.action, s.targetType, target, times[s.name])
				}
				if ev.TargetName == "" {
					t.Errorf("event without target_name: %+v", ev)
				}
				switch s.actorToken {
				case spat:
					if ev.ActorType != "system_account" || ev.ActorID != actor || ev.ActorName != "auditor-bot" {
						t.Errorf("actor = %s %s %q, want the system account auditor-bot", ev.ActorType, ev.ActorID, ev.ActorName)
					}
				case "user":
					if ev.ActorType != "user" || ev.ActorID != user || ev.ActorName != "audited@example.com" {
						t.Errorf("actor = %s %s %q, want the user", ev.ActorType, ev.ActorID, ev.ActorName)
					}
				}
				if r != nil {
					if rid := r.Header.Get("X-Request-Id"); rid == "" || ev.RequestID != rid || requestIDs[rid] {
						t.Errorf("request_id %q, response X-Request-Id %q (want equal and unique)", ev.RequestID, rid)
					}
					requestIDs[ev.RequestID] = true
					if ev.ClientIP != "127.0.0.1" || ev.UserAgent != "keyhold-test/1.0" {
						t.Errorf("client %q %q", ev.ClientIP, ev.UserAgent)
					}
				}
			})
		}

		all := audit(t, e, "?page[size]=1000")
		if all.Meta.Page.Total != len(all.Data) || len(all.Data) != start+len(steps) {
			t.Fatalf("%d events (total %d), want %d", len(all.Data), all.Meta.Page.Total, start+len(steps))
		}
		t.Run("NewestFirst", func(t *testing.T) {
			for i := 1; i < len(all.Data); i++ {
				if all.Data[i].OccurredAt.After(all.Data[i-1].OccurredAt) {
					t.Errorf("event %d (%s) is newer than event %d (%s)", i, all.Data[i].OccurredAt, i-1, all.Data[i-1].OccurredAt)
				}
			}
			if all.Data[0].Action != "system_account.deleted" {
				t.Errorf("newest = %s", all.Data[0].Action)
			}
		})

		t.Run("NoSecrets", func(t *testing.T) {
			body := string(e.Do("GET", "/v3/audit-events?page[size]=1000", e.Admin, nil).Want(t, 200).Body)
			for _, secret := range []string{spat, pat, userPAT, e.Admin} {
				if secret == "" || strings.Contains(body, secret) {
					t.Errorf("audit trail shows a token value (or the fixture has none)")
				}
			}
		})

		// want counts the events of the full list that match.
		want := func(match func(wire.AuditEvent) bool) []string {
			var ids []string
			for _, ev := range all.Data {
				if match(ev) {
					ids = append(ids, ev.ID)
				}
			}
			return ids
		}
		ids := func(p wire.List[wire.AuditEvent]) []string {
			var out []string
			for _, ev := range p.Data {
				out = append(out, ev.ID)
			}
			return out
		}
		at := func(name string) string { return url.QueryEscape(times[name].Format(time.RFC3339)) }
		for _, c := range []struct {
			name, query string
			match       func(wire.AuditEvent) bool
		}{
			{"ActorName", "filter[actor_name]=auditor-bot", func(ev wire.AuditEvent) bool { return ev.ActorName == "auditor-bot" }},
			{"ActorNameEq", "filter[actor_name][eq]=admin@example.com", func(ev wire.AuditEvent) bool { return ev.ActorName == "admin@example.com" }},
			{"ActorID", "filter[actor_id]=" + user, func(ev wire.AuditEvent) bool { return ev.ActorID == user }},
			{"Action", "filter[action]=role.assigned", func(ev wire.AuditEvent) bool { return ev.Action == "role.assigned" }},
			{"ActionEq", "filter[action][eq]=team.member_added", func(ev wire.AuditEvent) bool { return ev.Action == "team.member_added" }},
			// Names of earlier releases (keyhold.RenamedAuditActions) find the
			// events that migration 0018 renamed.
			{"ActionOldName", "filter[action]=role.assign", func(ev wire.AuditEvent) bool { return ev.Action == "role.assigned" }},
			{"ActionEqOldName", "filter[action][eq]=team.member.add", func(ev wire.AuditEvent) bool { return ev.Action == "team.member_added" }},
			{"TargetID", "filter[target_id]=" + acct, func(ev wire.AuditEvent) bool { return ev.TargetID == acct }},
			{"SubjectAccountID", "filter[subject_account_id]=" + acct, func(ev wire.AuditEvent) bool { return ev.SubjectAccountID == acct }},
			{"PrincipalID", "filter[principal_id][eq]=" + strings.ToUpper(acct), func(ev wire.AuditEvent) bool { return ev.ActorID == acct || ev.SubjectAccountID == acct }},
			{"TargetType", "filter[target_type]=team", func(ev wire.AuditEvent) bool { return ev.TargetType == "team" }},
			{"Outcome", "filter[outcome]=success", func(ev wire.AuditEvent) bool { return ev.Outcome == "success" }},
			{"Since", "filter[occurred_at][gte]=" + at("CreateTeam"), func(ev wire.AuditEvent) bool { return !ev.OccurredAt.Before(times["CreateTeam"]) }},
			{"Until", "filter[occurred_at][lt]=" + at("CreateTeam"), func(ev wire.AuditEvent) bool { return ev.OccurredAt.Before(times["CreateTeam"]) }},
			{"Between", "filter[occurred_at][gte]=" + at("CreateTeam") + "&filter[occurred_at][lt]=" + at("CreateUser"),
				func(ev wire.AuditEvent) bool {
					return !ev.OccurredAt.Before(times["CreateTeam"]) && ev.OccurredAt.Before(times["CreateUser"])
				}},
			{"Combined", "filter[actor_name]=auditor-bot&filter[target_type]=user", func(ev wire.AuditEvent) bool { return ev.ActorName == "auditor-bot" && ev.TargetType == "user" }},
			{"ActorNameContains", "filter[actor_name][contains]=DITOR-B", func(ev wire.AuditEvent) bool { return ev.ActorName == "auditor-bot" }},
			{"ActionContains", "filter[action][contains]=Member", func(ev wire.AuditEvent) bool { return strings.Contains(ev.Action, "member") }},
			{"ActionContainsUnderscore", "filter[action][contains]=_", func(ev wire.AuditEvent) bool { return strings.Contains(ev.Action, "_") }},
			{"TargetTypeContains", "filter[target_type][contains]=account", func(ev wire.AuditEvent) bool { return strings.Contains(ev.TargetType, "account") }},
			{"None", "filter[action]=nothing.happened", func(wire.AuditEvent) bool { return false }},
			{"NoneEqIsExact", "filter[action][eq]=ROLE.ASSIGNED", func(wire.AuditEvent) bool { return false }},
			{"NonePercent", "filter[action][contains]=%25", func(wire.AuditEvent) bool { return false }},
		} {
			t.Run("Filter/"+c.name, func(t *testing.T) {
				wantIDs := want(c.match)
				got := audit(t, e, "?page[size]=1000&"+c.query)
				if strings.Contains(c.query, "[contains]") && len(wantIDs) == len(all.Data) {
					t.Errorf("%s: every event of the fixture matches, so the filter is not tested", c.query)
				}
				if !slices.Equal(ids(got), wantIDs) || got.Meta.Page.Total != len(wantIDs) {
					t.Errorf("%s: %d events (total %d), want %d", c.query, len(got.Data), got.Meta.Page.Total, len(wantIDs))
				}
				if !strings.HasPrefix(c.name, "None") && len(wantIDs) == 0 {
					t.Errorf("%s: the fixture has no matching event", c.query)
				}
			})
		}

		t.Run("Paging", func(t *testing.T) {
			p := audit(t, e, "?page[size]=5&page[number]=2")
			if !slices.Equal(ids(p), ids(all)[5:10]) || p.Meta.Page.Total != len(all.Data) || p.Meta.Page.Number != 2 || p.Meta.Page.Size != 5 {
				t.Errorf("page 2 = %v, meta %+v", ids(p), p.Meta.Page)
			}
			last := (len(all.Data) + 4) / 5
			p = audit(t, e, fmt.Sprintf("?page[size]=5&page[number]=%d", last))
			if !slices.Equal(ids(p), ids(all)[(last-1)*5:]) {
				t.Errorf("last page = %v", ids(p))
			}
			if d := audit(t, e, ""); d.Meta.Page.Size != 100 || d.Meta.Page.Number != 1 {
				t.Errorf("default meta %+v", d.Meta.Page)
			}
		})
	})
}
