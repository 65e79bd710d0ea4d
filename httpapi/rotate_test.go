package httpapi_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/wire"
)

// Rotation with overlap: the successor is shown once, the predecessor keeps
// working until the overlap ends, and is then revoked; the clock is
// injected, nothing sleeps.
func TestRotationWithOverlap(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "fleet")
		base := "/v3/system-accounts/" + acct + "/access-tokens/"
		oldID, oldTok := mintSPAT(t, e, acct, "deploy")

		var succ wire.AccessTokenCreated
		e.Do("POST", base+oldID+"/rotate", e.Admin, map[string]any{"overlap_seconds": 3600}).Want(t, 201).JSON(t, &succ)
		if succ.Name != "deploy" || (succ.PredecessorID == nil || *succ.PredecessorID != oldID) || succ.State != "ACTIVE" || len(succ.Token) != 54 {
			t.Fatalf("successor = %+v", succ)
		}
		old := e.Do("GET", base+oldID, e.Admin, nil).Want(t, 200).Map(t)
		if old["state"] != "ROTATING" || old["successor_id"] != succ.ID || old["rotation_deadline"] == nil {
			t.Errorf("predecessor = %v", old)
		}
		e.Do("GET", "/v1/whoami", oldTok, nil).Want(t, 200)
		e.Do("GET", "/v1/whoami", succ.Token, nil).Want(t, 200)
		// The name belongs to the successor: a new token may not take it.
		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens", e.Admin, map[string]any{"name": "deploy"}), 409)
		// Only an active token rotates.
		wantProblem(t, e.Do("POST", base+oldID+"/rotate", e.Admin, nil), 409)

		e.Clock.Advance(3601 * time.Second)
		wantProblem(t, e.Do("GET", "/v1/whoami", oldTok, nil), 401)
		e.Do("GET", "/v1/whoami", succ.Token, nil).Want(t, 200)
		e.Service.Jobs.RunJobs(t.Context())
		if got := e.Do("GET", base+oldID, e.Admin, nil).Want(t, 200).Map(t); got["state"] != "REVOKED" {
			t.Errorf("after the overlap: %v", got["state"])
		}
		if n := audit(t, e, "?filter[action][eq]=token.revoked&filter[target_id][eq]="+oldID).Meta.Page.Total; n != 1 {
			t.Errorf("%d revoke events for the predecessor, want 1", n)
		}
		if n := audit(t, e, "?filter[action][eq]=token.rotated&filter[target_id][eq]="+oldID).Meta.Page.Total; n != 1 {
			t.Errorf("%d rotate events, want 1", n)
		}
	})
}

// A token may rotate itself, holding no identity role, and nothing more.
func TestSelfRotation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "renewer")
		id, tok := mintSPAT(t, e, acct, "mine")
		otherID, _ := mintSPAT(t, e, acct, "other")
		base := "/v3/system-accounts/" + acct + "/access-tokens/"
		var succ wire.AccessTokenCreated
		e.Do("POST", "/v2/system-accounts/"+acct+"/access-tokens/"+id+"/rotate", tok, nil).Want(t, 201).JSON(t, &succ)
		e.Do("GET", "/v1/whoami", succ.Token, nil).Want(t, 200)
		wantProblem(t, e.Do("POST", base+otherID+"/rotate", succ.Token, nil), 403)
		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens", succ.Token, map[string]any{"name": "more"}), 403)
	})
}

// With revoke_when_idle_seconds a fleet that has moved is not left with a
// live old credential until the overlap ends.
func TestRotationRevokeWhenIdle(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "idle")
		id, old := mintSPAT(t, e, acct, "t")
		base := "/v3/system-accounts/" + acct + "/access-tokens/"
		var succ wire.AccessTokenCreated
		e.Do("POST", base+id+"/rotate", e.Admin, map[string]any{"revoke_when_idle_seconds": 300}).Want(t, 201).JSON(t, &succ)

		e.Clock.Advance(400 * time.Second) // idle, but the successor is unused
		e.Service.Decider.Flush(t.Context(), true)
		e.Service.Jobs.RunJobs(t.Context())
		// Looked at, not used: using it would make it not idle.
		if got := e.Do("GET", base+id, e.Admin, nil).Want(t, 200).Map(t); got["state"] != "ROTATING" {
			t.Fatalf("retired while its successor was unused: %v", got["state"])
		}

		e.Do("GET", "/v1/whoami", succ.Token, nil).Want(t, 200) // the fleet moved
		e.Service.Decider.Flush(t.Context(), true)
		e.Clock.Advance(61 * time.Second) // the next claim of the job
		e.Service.Jobs.RunJobs(t.Context())
		wantProblem(t, e.Do("GET", "/v1/whoami", old, nil), 401)
		e.Do("GET", "/v1/whoami", succ.Token, nil).Want(t, 200)

		wantInvalid(t, e.Do("POST", base+succ.ID+"/rotate", e.Admin, map[string]any{"overlap_seconds": -1}), "overlap_seconds", "min")
		wantInvalid(t, e.Do("POST", base+succ.ID+"/rotate", e.Admin, map[string]any{"overlap_seconds": 400 * 86400}), "overlap_seconds", "max")
		wantInvalid(t, e.Do("POST", base+succ.ID+"/rotate", e.Admin, map[string]any{"bogus": 1}), "bogus", "unknown_property")
	})
}

// A replica writes one token's use at most once per last-use resolution,
// and may hold one back for another resolution, so a used predecessor
// counts as in use for two resolutions after its last_used_at: it retires
// late, never while it may still be in use.
func TestRotationRevokeWhenIdleAfterUse(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "idle-used")
		id, old := mintSPAT(t, e, acct, "t")
		base := "/v3/system-accounts/" + acct + "/access-tokens/"
		var succ wire.AccessTokenCreated
		e.Do("POST", base+id+"/rotate", e.Admin, map[string]any{"revoke_when_idle_seconds": 60}).Want(t, 201).JSON(t, &succ)
		e.Do("GET", "/v1/whoami", old, nil).Want(t, 200)
		e.Do("GET", "/v1/whoami", succ.Token, nil).Want(t, 200)
		e.Service.Decider.Flush(t.Context(), true)

		// Idle for 60 s by last_used_at, but not beyond the resolution.
		e.Clock.Advance(2 * time.Minute)
		e.Service.Jobs.RunJobs(t.Context())
		e.Do("GET", "/v1/whoami", old, nil).Want(t, 200)

		e.Clock.Advance(2 * service.DefaultLastUseResolution)
		e.Service.Jobs.RunJobs(t.Context())
		wantProblem(t, e.Do("GET", "/v1/whoami", old, nil), 401)
	})
}
