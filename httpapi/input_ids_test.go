package httpapi_test

import (
	"strings"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

// Names may hold any script: ZWNJ and ZWJ, which Persian, the Indic scripts
// and emoji need, stay allowed, and descriptions keep tabs and line feeds.
// Only the fields sent are checked, so an object holding a name from
// before the rule can still be changed otherwise.
func TestNameCharacters(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t)}, func(t *testing.T, e *apitest.Env) {
		persian, emoji := "می\u200cخواهم", "👩\u200d💻 bots"
		multiline := "first line\n\tindented second"
		a := e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": persian, "description": multiline}).Want(t, 201).Map(t)
		if a["name"] != persian || a["description"] != multiline {
			t.Errorf("account echoed %q %q", a["name"], a["description"])
		}
		acct := a["id"].(string)
		tm := e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": emoji, "description": multiline}).Want(t, 201).Map(t)
		if tm["name"] != emoji || tm["description"] != multiline {
			t.Errorf("team echoed %q %q", tm["name"], tm["description"])
		}
		e.Do("PATCH", "/v3/teams/"+tm["id"].(string), e.Admin, map[string]any{"description": "a\tb\nc"}).Want(t, 200)
		e.Do("POST", "/v3/users", e.Admin, map[string]any{"email": "p@example.com", "full_name": persian, "preferred_name": emoji}).Want(t, 201)
		mintSPAT(t, e, acct, emoji)
		e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": persian, "url": "https://example.com/h", "event_types": []string{"token.expired"}}).Want(t, 201)

		// Webhook names follow the rule of names; nothing is written.
		for _, name := range []string{"hook\x1b[2J", "hook\n", "\u202ekooh", "ho\u200bok"} {
			wantInvalid(t, e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": name, "url": "https://example.com/h", "event_types": []string{"token.expired"}}), "name", "invalid")
		}
		if n := list(t, e, "/v1/webhooks", e.Admin).Meta.Page.Total; n != 1 {
			t.Errorf("%d webhooks, want 1", n)
		}
		hook := list(t, e, "/v1/webhooks", e.Admin).Data[0]["id"].(string)
		wantInvalid(t, e.Do("PATCH", "/v1/webhooks/"+hook, e.Admin, map[string]any{"name": "x\u2067"}), "name", "invalid")

		// A name stored before the rule is left as it is.
		old := "legacy\x1b]0;x\x07"
		if _, err := storetest.Raw(t, e.DBURL).Exec(`UPDATE system_accounts SET name = $1 WHERE id = $2`, old, acct); err != nil {
			t.Fatal(err)
		}
		got := e.Do("PATCH", "/v3/system-accounts/"+acct, e.Admin, map[string]any{"description": "still editable"}).Want(t, 200).Map(t)
		if got["name"] != old || got["description"] != "still editable" {
			t.Errorf("after PATCH of the description: %q %q", got["name"], got["description"])
		}
		wantInvalid(t, e.Do("PATCH", "/v3/system-accounts/"+acct, e.Admin, map[string]any{"name": old}), "name", "invalid")
	})
}

// keyhold's own ids are accepted in any case, in paths, bodies and
// filters, and answered in lower case.
func TestIDsInAnyCase(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t)}, func(t *testing.T, e *apitest.Env) {
		U := strings.ToUpper
		acct := createAccount(t, e, e.Admin, "bot")
		tok, _ := mintSPAT(t, e, acct, "t")
		team := createTeam(t, e, "Ops")
		user := createUser(t, e, "u@example.com", "U")
		role := assign(t, e, "/v3/system-accounts/"+acct, "Viewer", "Control Planes", "*", "us")
		var hook struct{ ID string }
		e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "h", "url": "https://example.com/h", "event_types": []string{"token.expired"}}).Want(t, 201).JSON(t, &hook)

		for path, id := range map[string]string{
			"/v3/system-accounts/" + U(acct):                                   acct,
			"/v2/system-accounts/" + U(acct):                                   acct,
			"/v3/system-accounts/" + U(acct) + "/access-tokens/" + U(tok):      tok,
			"/v3/system-accounts/" + U(acct) + "/assigned-roles/" + U(role):    role,
			"/v3/system-accounts/" + acct + "/assigned-roles/" + U(role):       role,
			"/v3/teams/" + U(team):                                             team,
			"/v3/users/" + U(user):                                             user,
			"/v1/webhooks/" + U(hook.ID):                                       hook.ID,
			"/v3/users/" + U(e.AdminID) + "/access-tokens?page[size]=1":        "",
			"/v3/system-accounts/" + U(acct[:8]) + acct[8:] + "/access-tokens": "",
		} {
			r := e.Do("GET", path, e.Admin, nil).Want(t, 200).Map(t)
			if id != "" && r["id"] != id {
				t.Errorf("GET %s answered id %v, want %s", path, r["id"], id)
			}
		}
		e.Do("PATCH", "/v3/teams/"+U(team), e.Admin, map[string]any{"description": "d"}).Want(t, 200)

		// Bodies: a member's id and a webhook's account.
		e.Do("POST", "/v3/teams/"+U(team)+"/users", e.Admin, map[string]any{"id": U(user)}).Want(t, 201)
		e.Do("POST", "/v3/teams/"+team+"/system-accounts", e.Admin, map[string]any{"id": U(acct)}).Want(t, 201)
		if got := list(t, e, "/v3/teams/"+team+"/users", e.Admin).names("id"); len(got) != 1 || got[0] != user {
			t.Errorf("team users %v, want [%s]", got, user)
		}
		wantProblem(t, e.Do("POST", "/v3/teams/"+team+"/users", e.Admin, map[string]any{"id": user}), 409)
		e.Do("DELETE", "/v3/teams/"+U(team)+"/users/"+U(user), e.Admin, nil).Want(t, 204)
		w := e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "acct", "url": "https://example.com/a",
			"event_types": []string{"token.auto_rotated"}, "system_account_id": U(acct)}).Want(t, 201).Map(t)
		if w["system_account_id"] != acct {
			t.Errorf("webhook account %v, want %s", w["system_account_id"], acct)
		}
		w = e.Do("PATCH", "/v1/webhooks/"+U(w["id"].(string)), e.Admin, map[string]any{"system_account_id": U(acct)}).Want(t, 200).Map(t)
		if w["system_account_id"] != acct {
			t.Errorf("patched webhook account %v, want %s", w["system_account_id"], acct)
		}

		// Filters.
		if got := list(t, e, "/v3/users?filter[id]="+U(user), e.Admin).names("id"); len(got) != 1 || got[0] != user {
			t.Errorf("filter[id] upper case: %v", got)
		}
		for _, f := range []string{"filter[target_id]=" + acct, "filter[actor_id]=" + e.AdminID} {
			k, v, _ := strings.Cut(f, "=")
			lower := audit(t, e, "?"+f).Meta.Page.Total
			upper := audit(t, e, "?"+k+"="+U(v)).Meta.Page.Total
			if lower == 0 || upper != lower {
				t.Errorf("%s: %d events in lower case, %d in upper case", k, lower, upper)
			}
		}

		// Writes through an upper-case path change the object itself.
		e.Do("DELETE", "/v3/system-accounts/"+U(acct)+"/access-tokens/"+U(tok), e.Admin, nil).Want(t, 204)
		wantProblem(t, e.Do("GET", "/v3/system-accounts/"+acct+"/access-tokens/"+tok, e.Admin, nil), 404)
		e.Do("DELETE", "/v3/system-accounts/"+U(acct), e.Admin, nil).Want(t, 204)
		wantProblem(t, e.Do("GET", "/v3/system-accounts/"+acct, e.Admin, nil), 404)
	})
}

// A client's entity_id is one assignment in any case, echoed as the client
// sent it, and decided in any case.
func TestEntityIDCase(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		const ent = "c0ffee00-aaaa-4bbb-8ccc-0123456789ab"
		upper, mixed := strings.ToUpper(ent), strings.ToUpper(ent[:13])+ent[13:]
		acct := createAccount(t, e, e.Admin, "gw")
		A := "/v3/system-accounts/" + acct
		body := func(id string) map[string]any {
			return map[string]any{"role_name": "Admin", "entity_type_name": "Control Planes", "entity_id": id, "entity_region": "eu"}
		}
		r := e.Do("POST", A+"/assigned-roles", e.Admin, body(upper)).Want(t, 201).Map(t)
		if r["entity_id"] != upper {
			t.Errorf("created entity_id %v, want %s as sent", r["entity_id"], upper)
		}
		if got := e.Do("GET", A+"/assigned-roles/"+r["id"].(string), e.Admin, nil).Want(t, 200).Map(t)["entity_id"]; got != upper {
			t.Errorf("read entity_id %v, want %s as sent", got, upper)
		}
		for _, id := range []string{ent, mixed, upper} {
			wantProblem(t, e.Do("POST", A+"/assigned-roles", e.Admin, body(id)), 409)
		}
		for _, id := range []string{ent, upper, mixed} {
			if got := list(t, e, A+"/assigned-roles?filter[entity_id]="+id, e.Admin).names("entity_id"); len(got) != 1 || got[0] != upper {
				t.Errorf("filter[entity_id]=%s: %v", id, got)
			}
		}

		// Decisions match in any case, for the account's token and for a
		// scope written in another case than the assignment.
		_, spat := mintSPAT(t, e, acct, "t")
		var scoped restrictedToken
		e.Do("POST", A+"/access-tokens", e.Admin, map[string]any{"name": "scoped", "scope": []map[string]string{
			perm("Viewer", "Control Planes", ent, "eu"), perm("Viewer", "Control Planes", mixed, "eu")}}).Want(t, 201).JSON(t, &scoped)
		if len(scoped.Scope) != 1 || scoped.Scope[0]["entity_id"] != ent {
			t.Errorf("scope %v: want one entry, as first sent", scoped.Scope)
		}
		for _, tok := range []string{spat, scoped.Token} {
			for _, id := range []string{ent, upper, mixed} {
				e.Do("GET", authorizeQuery("Viewer", "Control Planes", id, "eu"), tok, nil).Want(t, 200)
			}
			wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "Control Planes", strings.Replace(ent, "c", "d", 1), "eu"), tok, nil), 403)
		}

		// The grant guard compares alike: an identity admin holding the
		// role in upper case may give it in lower case.
		delegate := createAccount(t, e, e.Admin, "delegate")
		identityAdmin(t, e, "/v3/system-accounts/"+delegate)
		assign(t, e, "/v3/system-accounts/"+delegate, "Admin", "Control Planes", upper, "eu")
		_, dtok := mintSPAT(t, e, delegate, "d")
		other := createAccount(t, e, e.Admin, "other")
		e.Do("POST", "/v3/system-accounts/"+other+"/assigned-roles", dtok, body(ent)).Want(t, 201)
	})
}
