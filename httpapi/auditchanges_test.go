package httpapi_test

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// Every update names the credential that made it and carries its changes,
// each field's value before and after, exactly: a swapped or missing
// field fails.
func TestAuditChangesAndCredential(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		actor := createAccount(t, e, e.Admin, "changer")
		identityAdmin(t, e, "/v3/system-accounts/"+actor)
		assign(t, e, "/v3/system-accounts/"+actor, "Viewer", "Portals", "*", "*") // what it gives away below
		actorToken, spat := mintSPAT(t, e, actor, "changer-token")
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("changer:"+spat))
		fingerprint := keyhold.TokenFingerprint(keyhold.TokenDigest(spat))

		// What the steps change, made by the admin.
		acct := createAccount(t, e, e.Admin, "subject")
		team := createTeam(t, e, "crew")
		user := createUser(t, e, "changed@example.com", "Old Name")
		renamed, _ := mintSPAT(t, e, acct, "old")
		rotated, _ := mintSPAT(t, e, acct, "to-rotate")
		var hook webhookOut
		e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "hook", "url": "http://127.0.0.1:9/hook",
			"event_types": []string{"token.revoked"}}).Want(t, 201).JSON(t, &hook)
		narrow := createAccount(t, e, e.Admin, "narrow")
		assign(t, e, "/v3/system-accounts/"+narrow, "Viewer", "Portals", "*", "*")
		dropped := assign(t, e, "/v3/system-accounts/"+narrow, "Viewer", "API Products", "*", "*")
		var scoped wire.AccessTokenCreated
		e.Do("POST", "/v3/system-accounts/"+narrow+"/access-tokens", e.Admin, map[string]any{"name": "scoped", "scope": []map[string]string{
			{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"},
			{"role_name": "Viewer", "entity_type_name": "API Products", "entity_id": "*", "entity_region": "*"},
		}}).Want(t, 201).JSON(t, &scoped)

		portals := map[string]any{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"}
		products := map[string]any{"role_name": "Viewer", "entity_type_name": "API Products", "entity_id": "*", "entity_region": "*"}
		change := func(before, after any) map[string]any { return map[string]any{"before": before, "after": after} }
		var role, successor string
		type step struct {
			name   string
			auth   string // the Authorization value: the bearer token, or "Basic …"
			run    func(auth string) *apitest.Response
			action string
			method string
			want   func() map[string]any // nil: no changes
		}
		steps := []step{
			{"UpdateAccount", spat, func(a string) *apitest.Response {
				return e.Do("PATCH", "/v3/system-accounts/"+acct, a, map[string]any{"name": "subject2", "description": "d"}).Want(t, 200)
			}, "system_account.updated", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"name": change("subject", "subject2"), "description": change("about subject", "d")}
			}},
			{"UpdateAccountUnchanged", spat, func(a string) *apitest.Response {
				return e.Do("PATCH", "/v3/system-accounts/"+acct, a, map[string]any{"description": "d"}).Want(t, 200)
			}, "system_account.updated", keyhold.AuthBearer, nil},
			{"DisableAccount", basic, func(a string) *apitest.Response {
				return e.Do("POST", "/v3/system-accounts/"+acct+"/disable", a, nil).Want(t, 200)
			}, "system_account.disabled", keyhold.AuthBasic, func() map[string]any {
				return map[string]any{"disabled": change(false, true)}
			}},
			{"EnableAccount", spat, func(a string) *apitest.Response {
				return e.Do("POST", "/v3/system-accounts/"+acct+"/enable", a, nil).Want(t, 200)
			}, "system_account.enabled", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"disabled": change(true, false)}
			}},
			{"UpdateTeam", spat, func(a string) *apitest.Response {
				return e.Do("PATCH", "/v3/teams/"+team, a, map[string]any{"name": "crew2", "description": "x", "labels": map[string]any{"env": "prod"}}).Want(t, 200)
			}, "team.updated", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"name": change("crew", "crew2"), "description": change(nil, "x"),
					"labels": change(map[string]any{}, map[string]any{"env": "prod"})}
			}},
			{"AddTeamMember", spat, func(a string) *apitest.Response {
				return e.Do("POST", "/v3/teams/"+team+"/system-accounts", a, map[string]any{"id": acct}).Want(t, 201)
			}, "team.member_added", keyhold.AuthBearer, func() map[string]any { return map[string]any{"member": change(nil, acct)} }},
			{"RemoveTeamMember", spat, func(a string) *apitest.Response {
				return e.Do("DELETE", "/v3/teams/"+team+"/system-accounts/"+acct, a, nil).Want(t, 204)
			}, "team.member_removed", keyhold.AuthBearer, func() map[string]any { return map[string]any{"member": change(acct, nil)} }},
			{"AssignRole", spat, func(a string) *apitest.Response {
				r := e.Do("POST", "/v3/system-accounts/"+acct+"/assigned-roles", a, portals).Want(t, 201)
				role, _ = r.Map(t)["id"].(string)
				return r
			}, "role.assigned", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"role": change(nil, with(portals, "id", role))}
			}},
			{"UnassignRole", spat, func(a string) *apitest.Response {
				return e.Do("DELETE", "/v3/system-accounts/"+acct+"/assigned-roles/"+role, a, nil).Want(t, 204)
			}, "role.unassigned", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"role": change(with(portals, "id", role), nil)}
			}},
			{"UpdateUser", basic, func(a string) *apitest.Response {
				return e.Do("PATCH", "/v3/users/"+user, a, map[string]any{"full_name": "New Name"}).Want(t, 200)
			}, "user.updated", keyhold.AuthBasic, func() map[string]any {
				return map[string]any{"full_name": change("Old Name", "New Name")}
			}},
			{"RenameToken", spat, func(a string) *apitest.Response {
				return e.Do("PATCH", "/v3/system-accounts/"+acct+"/access-tokens/"+renamed, a, map[string]any{"name": "new"}).Want(t, 200)
			}, "token.updated", keyhold.AuthBearer, func() map[string]any { return map[string]any{"name": change("old", "new")} }},
			{"RotateToken", spat, func(a string) *apitest.Response {
				r := e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens/"+rotated+"/rotate", a, map[string]any{}).Want(t, 201)
				successor, _ = r.Map(t)["id"].(string)
				return r
			}, "token.rotated", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"successor_id": change(nil, successor)}
			}},
			{"NarrowScope", spat, func(a string) *apitest.Response {
				return e.Do("DELETE", "/v3/system-accounts/"+narrow+"/assigned-roles/"+dropped, a, nil).Want(t, 204)
			}, "token.scope_narrowed", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"scope": change([]any{portals, products}, []any{portals})}
			}},
			{"SetTokenPolicy", spat, func(a string) *apitest.Response {
				return e.Do("PUT", "/v1/token-policy", a, map[string]any{"max_lifetime_seconds": 7 * 86400, "default_lifetime_seconds": 86400, "allow_non_expiring": true}).Want(t, 200)
			}, "token_policy.updated", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"max_lifetime_seconds": change(365*86400, 7*86400), "default_lifetime_seconds": change(360*86400, 86400),
					"allow_non_expiring": change(false, true)}
			}},
			{"UpdateWebhook", spat, func(a string) *apitest.Response {
				return e.Do("PATCH", "/v1/webhooks/"+hook.ID, a, map[string]any{"name": "hook2", "enabled": false,
					"event_types": []string{"token.revoked", "token.expired"}}).Want(t, 200)
			}, "webhook.updated", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"name": change("hook", "hook2"), "enabled": change(true, false),
					"event_types": change([]any{"token.revoked"}, []any{"token.revoked", "token.expired"})}
			}},
			{"RotateWebhookSecret", spat, func(a string) *apitest.Response {
				return e.Do("POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", a, nil).Want(t, 200)
			}, "webhook.secret_rotated", keyhold.AuthBearer, func() map[string]any {
				return map[string]any{"signing_secret": map[string]any{"changed": true}}
			}},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				e.Clock.Advance(time.Minute)
				s.run(s.auth)
				got := audit(t, e, "?page[size]=1&filter[action]="+url.QueryEscape(s.action))
				if len(got.Data) != 1 {
					t.Fatalf("no %s event", s.action)
				}
				ev := got.Data[0]
				if !ev.OccurredAt.Equal(e.Clock.Now()) || ev.ActorID != actor {
					t.Fatalf("latest %s is not this step's: %+v", s.action, ev)
				}
				want := wire.AuditCredential{ID: actorToken, Fingerprint: fingerprint, Method: s.method}
				if ev.Credential == nil || *ev.Credential != want {
					t.Errorf("credential = %+v, want %+v", ev.Credential, want)
				}
				var wantChanges map[string]any
				if s.want != nil {
					wantChanges = s.want()
				}
				if g, w := asJSON(t, ev.Changes), asJSON(t, wantChanges); !reflect.DeepEqual(g, w) {
					t.Errorf("changes = %s\nwant      %s", mustJSON(t, ev.Changes), mustJSON(t, wantChanges))
				}
				if leaf, err := base64.StdEncoding.DecodeString(ev.LeafHash); err != nil || len(leaf) != 32 || ev.Seq < 1 {
					t.Errorf("seq %v, leaf_hash %q", ev.Seq, ev.LeafHash)
				}
				// A verifier rebuilds the leaf from the event as served,
				// changes and credential included.
				if d := ev.Domain(); d.LeafHash() != d.Hash {
					t.Errorf("the event as served does not rebuild its leaf:\n%s", d.LeafData())
				}
			})
		}

		t.Run("KeyholdItselfHasNoCredential", func(t *testing.T) {
			got := audit(t, e, "?filter[action]=organization.bootstrapped")
			if len(got.Data) != 1 || got.Data[0].Credential != nil {
				t.Errorf("bootstrap event = %+v", got.Data)
			}
		})
	})
}

// No secret value reaches the audit table: not a token's, a webhook's
// signing secret (created or rotated), a setup link's nor a password.
// The scan first proves it finds what it should in the same rows.
func TestAuditTableHoldsNoSecret(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "leaky")
		tokID, tok := mintSPAT(t, e, acct, "leaky-token")
		secrets := []string{e.Admin, tok}
		var succ wire.AccessTokenCreated
		e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens/"+tokID+"/rotate", tok, map[string]any{}).Want(t, 201).JSON(t, &succ)
		var hook webhookOut
		e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "hook", "url": "http://127.0.0.1:9/hook",
			"event_types": []string{"token.revoked"}}).Want(t, 201).JSON(t, &hook)
		var rotatedHook webhookOut
		e.Do("POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", e.Admin, nil).Want(t, 200).JSON(t, &rotatedHook)
		user := createUser(t, e, "setup@example.com", "Set Up")
		var link wire.SetupLink
		e.Do("POST", "/v3/users/"+user+"/setup-link", e.Admin, nil).Want(t, 201).JSON(t, &link)
		setup := secretOf(t, link.SetupURL)
		const password = "a very secret passphrase"
		if _, err := e.Service.Sessions.SetPasswordWithSetup(t.Context(), setup, password); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, succ.Token, hook.Secret, rotatedHook.Secret, setup, password)

		table := auditTable(t, e)
		for _, planted := range []string{tokID, succ.ID, hook.ID, `"signing_secret":{"changed":true}`, `"password":{"changed":true}`,
			keyhold.TokenFingerprint(keyhold.TokenDigest(tok))} {
			if !strings.Contains(table, planted) {
				t.Fatalf("the scan does not find %q in the audit table: it cannot prove anything", planted)
			}
		}
		for i, s := range secrets {
			if len(s) < 16 {
				t.Fatalf("secret %d is empty or short: the fixture is wrong", i)
			}
			if strings.Contains(table, s) {
				t.Errorf("secret %d is in the audit table", i)
			}
		}
	})
}

// auditTable returns every column of every row of audit_events as text.
func auditTable(t *testing.T, e *apitest.Env) string {
	t.Helper()
	var pool *sql.DB
	for _, p := range e.DB.Pools() {
		pool = p // any pool reads the table
	}
	rows, err := pool.QueryContext(t.Context(), `SELECT * FROM audit_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprintf(&b, "%v\t", v)
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// asJSON decodes v's JSON, so that values of any Go type compare as JSON.
func asJSON(t testing.TB, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(mustJSON(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	if m, ok := out.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	return out
}
