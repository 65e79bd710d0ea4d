package matrix_test

import (
	"net/http"
	"net/url"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
)

// Shared fixtures, made once and only read, or changed harmlessly.

func keep[T any](x *world, key string, mk func() T) T { return sharedFor(x, false, "keep: "+key, mk) }

func (x *world) plainAccount() string { return keep(x, "plain account", x.account) }

func (x *world) plainTokenPair() [2]string {
	return keep(x, "plain token", func() [2]string { id, v := x.mint(x.plainAccount()); return [2]string{id, v} })
}

func (x *world) plainToken() string      { return x.plainTokenPair()[0] }
func (x *world) plainTokenValue() string { return x.plainTokenPair()[1] }

// The assignments are on holders of their own: the plain account, team
// and user hold no role, so that acting on them gives nothing.

func (x *world) assignedAccount() string { return keep(x, "account with a role", x.account) }

func (x *world) plainAssignment() string {
	return keep(x, "plain assignment", func() string { return x.assign("/v3/system-accounts/"+x.assignedAccount(), cpViewerRole) })
}

func (x *world) orgAdminAccount() string {
	return keep(x, "Organization Admin account", func() string { return x.accountIn("Organization Admin") })
}

// owner is the token of the principal that manages the managed accounts.
func (x *world) owner() string { return x.apiCaller(identityAdmin).token }

func (x *world) managedAccount() string {
	return keep(x, "managed account", func() string { return x.managed(x.owner()) })
}

func (x *world) managedToken() string {
	return keep(x, "managed token", func() string { id, _ := x.mintAs(x.owner(), x.managedAccount(), nil); return id })
}

func (x *world) plainTeam() string { return keep(x, "plain team", x.team) }

func (x *world) assignedTeam() string { return keep(x, "team with a role", x.team) }

func (x *world) teamAssignment() string {
	return keep(x, "team assignment", func() string { return x.assign("/v3/teams/"+x.assignedTeam(), cpViewerRole) })
}

func (x *world) plainUser() string { return keep(x, "plain user", x.user) }

func (x *world) orgAdminUser() string {
	return keep(x, "Organization Admin user", func() string { return x.userIn("Organization Admin") })
}

func (x *world) assignedUser() string { return keep(x, "user with a role", x.user) }

func (x *world) userAssignment() string {
	return keep(x, "user assignment", func() string { return x.assign("/v3/users/"+x.assignedUser(), cpViewerRole) })
}

// patOwner is another user with a personal access token, made in the
// console as they would: id, token, token id.
func (x *world) patOwnerAll() [3]string {
	return keep(x, "PAT owner", func() [3]string {
		n := x.name("owner")
		id := x.id(x.must(201, "POST", "/v3/users", x.admin, map[string]any{"email": n + "@example.com"}))
		x.setPassword(id)
		pat := x.firstPAT(x.signIn(n + "@example.com"))
		tid := x.tokenID(pat)
		return [3]string{id, pat, tid}
	})
}

func (x *world) patOwnerID() string           { return x.patOwnerAll()[0] }
func (x *world) patOwner() (user, pat string) { p := x.patOwnerAll(); return p[0], p[1] }
func (x *world) patOwnerTokenID() string      { return x.patOwnerAll()[2] }
func (x *world) sharedHook() string {
	return keep(x, "webhook", func() string { return x.webhook(nil) })
}
func (x *world) apiCaller(name string) *apiCaller      { return x.apiByName[name] }
func (x *world) consoleCaller(n string) *consoleCaller { return x.consoleByName[n] }

// autoRotatedHook is an enabled destination of token.auto_rotated of the
// Organization Admin account.
func (x *world) autoRotatedHook() string {
	return keep(x, "auto-rotated hook", func() string {
		return x.webhook(map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": x.orgAdminAccount()})
	})
}

// autoRotated returns a destination of token.auto_rotated of account and
// a delivery to it that has been attempted, so that it may be delivered
// again: account has an auto-rotate token that came due while the clock
// moved on (see callers).
func (x *world) autoRotated(account string) [2]string {
	all := keep(x, "auto-rotated deliveries", func() map[string][2]string {
		hooks := map[string]string{}
		for _, a := range []string{x.plainAccount(), x.orgAdminAccount()} {
			hooks[a] = x.webhook(map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": a})
		}
		x.e.Service.Jobs.RunJobs(x.t.Context())
		out := map[string][2]string{}
		for a, h := range hooks {
			var l struct {
				Data []struct {
					ID        string
					EventType string `json:"event_type"`
				}
			}
			x.decode(x.must(200, "GET", "/v1/webhooks/"+h+"/deliveries", x.admin, nil), &l)
			for _, d := range l.Data {
				if d.EventType == keyhold.EventTokenAutoRotated {
					out[a] = [2]string{h, d.ID}
				}
			}
			if out[a][1] == "" {
				x.t.Fatalf("no token.auto_rotated delivery for %s: %+v", a, l.Data)
			}
		}
		return out
	})
	// A redelivery is refused while the delivery is pending: attempt it.
	if _, err := x.e.Service.Deliveries.DeliverWebhooks(x.t.Context()); err != nil {
		x.t.Fatal(err)
	}
	return all[account]
}

// policy is the token policy in force, to put back unchanged.
func (x *world) policy() map[string]any {
	return keep(x, "policy", func() map[string]any {
		var p map[string]any
		x.decode(x.must(200, "GET", "/v1/token-policy", x.admin, nil), &p)
		out := map[string]any{}
		for _, k := range []string{"max_lifetime_seconds", "default_lifetime_seconds", "allow_non_expiring"} {
			out[k] = p[k]
		}
		return out
	})
}

// Console fixtures.

// consoleOwner is the personal access token of the user who manages the
// console's managed accounts.
func (x *world) consoleOwner() string { return x.consoleCaller(identityAdmin).pat }

func (x *world) consoleManaged() string {
	return keep(x, "console managed account", func() string { return x.managed(x.consoleOwner()) })
}

// ownPAT is a personal access token of the caller's own, fresh; a
// caller who cannot mint one is refused before the id matters.
func (k *consoleCell) ownPAT() string {
	if !k.allowed || k.c.pat == "" {
		return newUUID()
	}
	id, _ := k.pat(k.c.user, k.c.pat)
	return id
}

// signInUser is a user the sign-in form signs in as.
func (x *world) signInUser() string {
	return keep(x, "sign-in user", func() string {
		n := x.name("signin") + "@example.com"
		id := x.id(x.must(201, "POST", "/v3/users", x.admin, map[string]any{"email": n}))
		x.setPassword(id)
		return n
	})
}

// setupSecret is the secret of a setup link of a user without a password.
func (x *world) setupSecret() string {
	return keep(x, "setup link", func() string {
		var link struct {
			URL string `json:"setup_url"`
		}
		x.decode(x.must(201, "POST", "/v3/users/"+x.user()+"/setup-link", x.admin, nil), &link)
		u, err := url.Parse(link.URL)
		if err != nil || u.Query().Get("token") == "" {
			x.t.Fatalf("no secret in setup URL %q", link.URL)
		}
		return u.Query().Get("token")
	})
}

// deactivate deactivates a user in the console as the admin.
func (x *world) deactivate(user string) {
	if r := x.consolePost(x.consoleCaller(orgAdmin).session, "/ui/users/"+user+"/deactivate", url.Values{}); r.status != http.StatusSeeOther {
		x.t.Fatalf("deactivate %s: %d %s", user, r.status, r.body)
	}
}

// auditDestination makes a disabled audit-log destination.
func (x *world) auditDestination() string {
	return x.id(x.must(201, "POST", "/v2/audit-log-destinations", x.admin,
		map[string]any{"name": x.name("siem"), "endpoint": x.hook, "enabled": false}))
}

func (x *world) sharedAuditDestination() string {
	return keep(x, "audit destination", x.auditDestination)
}

// finishReplay runs a started replay job to its end, so that the next may
// start.
func (x *world) finishReplay() {
	for range 100 {
		if _, err := x.e.Service.AuditExport.DeliverAuditLogs(x.t.Context()); err != nil {
			x.t.Fatal(err)
		}
		j, err := x.e.Service.AuditExport.AuditLogReplayJob(service.AsSystem(x.t.Context()))
		if err != nil {
			x.t.Fatal(err)
		}
		if j.Status != keyhold.ReplayAccepted && j.Status != keyhold.ReplayRunning {
			return
		}
	}
	x.t.Fatal("the replay job does not end")
}
