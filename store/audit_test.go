package store_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestAuditEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ev := func(n int, actor, action, outcome string) *keyhold.AuditEvent {
			return &keyhold.AuditEvent{ID: newID(), Time: at(n), ActorType: keyhold.PrincipalUser,
				ActorID: actor, ActorName: actor + "@example.com", Action: action,
				TargetType: "system_account", TargetID: "acct-" + action, TargetName: "bot",
				Outcome: outcome, RequestID: "req-" + newID(), ClientIP: "192.0.2.1", UserAgent: "test/1", Count: 1}
		}
		e1 := ev(1, "alice", "system_account.created", keyhold.OutcomeSuccess)
		// e2 and e3 share an instant: insertion order breaks the tie.
		e2 := ev(2, "bob", "system_account.deleted", keyhold.OutcomeDenied)
		e2.SubjectID = "alice" // bob acted on alice
		e3 := ev(2, "alice", "system_account.deleted", keyhold.OutcomeSuccess)
		e4 := ev(3, "", "auth.failed", keyhold.OutcomeFailure)
		e4.ActorType, e4.ActorName, e4.Count = keyhold.PrincipalAnonymous, "", 7
		// e5, the oldest, has LIKE's own characters and a non-ASCII letter
		// in its actor's name.
		e5 := ev(0, "emile", "token.created", keyhold.OutcomeSuccess)
		e5.ActorName = `Émile_100%\x@example.com`
		for _, e := range []*keyhold.AuditEvent{e1, e2, e3, e4, e5} {
			write(t, db, func(tx storage.Tx) error { return tx.Audit().AppendAuditEvent(ctx, e) })
		}

		for _, tc := range []struct {
			name  string
			f     keyhold.AuditFilter
			want  []*keyhold.AuditEvent
			total int
		}{
			{"NewestFirst", keyhold.AuditFilter{}, []*keyhold.AuditEvent{e4, e3, e2, e1, e5}, 5},
			{"Actor", keyhold.AuditFilter{ActorID: ptr("alice")}, []*keyhold.AuditEvent{e3, e1}, 2},
			{"Subject", keyhold.AuditFilter{SubjectID: ptr("alice")}, []*keyhold.AuditEvent{e2}, 1},
			{"InvolvingActorOrSubject", keyhold.AuditFilter{Involving: ptr("alice")}, []*keyhold.AuditEvent{e3, e2, e1}, 3},
			{"InvolvingAndAction", keyhold.AuditFilter{Involving: ptr("alice"), Action: contains("delete")}, []*keyhold.AuditEvent{e3, e2}, 2},
			{"InvolvingNobody", keyhold.AuditFilter{Involving: ptr("carol")}, []*keyhold.AuditEvent{}, 0},
			{"ActorName", keyhold.AuditFilter{ActorName: eq("bob@example.com")}, []*keyhold.AuditEvent{e2}, 1},
			{"ActorNameIsExact", keyhold.AuditFilter{ActorName: eq("BOB@example.com")}, []*keyhold.AuditEvent{}, 0},
			{"ActorNameContains", keyhold.AuditFilter{ActorName: contains("i")}, []*keyhold.AuditEvent{e3, e1, e5}, 3},
			{"ContainsFoldsASCII", keyhold.AuditFilter{ActorName: contains("BOB@")}, []*keyhold.AuditEvent{e2}, 1},
			{"ContainsFoldsASCIIAroundOthers", keyhold.AuditFilter{ActorName: contains("ÉMILE")}, []*keyhold.AuditEvent{e5}, 1},
			{"ContainsKeepsOtherLetters", keyhold.AuditFilter{ActorName: contains("émile")}, []*keyhold.AuditEvent{}, 0},
			{"ContainsUnderscoreIsLiteral", keyhold.AuditFilter{ActorName: contains("e_1")}, []*keyhold.AuditEvent{e5}, 1},
			{"ContainsUnderscoreIsNotAnyChar", keyhold.AuditFilter{ActorName: contains("b_b")}, []*keyhold.AuditEvent{}, 0},
			{"ContainsPercentIsLiteral", keyhold.AuditFilter{ActorName: contains("%")}, []*keyhold.AuditEvent{e5}, 1},
			{"ContainsPercentIsNotAnyRun", keyhold.AuditFilter{ActorName: contains("a%e")}, []*keyhold.AuditEvent{}, 0},
			{"ContainsBackslashIsLiteral", keyhold.AuditFilter{ActorName: contains(`%\x`)}, []*keyhold.AuditEvent{e5}, 1},
			{"Action", keyhold.AuditFilter{Action: eq("system_account.deleted")}, []*keyhold.AuditEvent{e3, e2}, 2},
			{"ActionContains", keyhold.AuditFilter{Action: contains("DELETE")}, []*keyhold.AuditEvent{e3, e2}, 2},
			{"ActionContainsDot", keyhold.AuditFilter{Action: contains("t.c")}, []*keyhold.AuditEvent{e1}, 1},
			{"Target", keyhold.AuditFilter{TargetID: ptr("acct-system_account.created"), TargetType: eq("system_account")}, []*keyhold.AuditEvent{e1}, 1},
			{"TargetTypeContains", keyhold.AuditFilter{TargetType: contains("account"), Action: contains("create")}, []*keyhold.AuditEvent{e1, e5}, 2},
			{"Outcome", keyhold.AuditFilter{Outcome: ptr(keyhold.OutcomeFailure)}, []*keyhold.AuditEvent{e4}, 1},
			{"SinceInclusive", keyhold.AuditFilter{Since: ptr(at(2))}, []*keyhold.AuditEvent{e4, e3, e2}, 3},
			{"UntilExclusive", keyhold.AuditFilter{Until: ptr(at(2))}, []*keyhold.AuditEvent{e1, e5}, 2},
			{"Window", keyhold.AuditFilter{Since: ptr(at(2)), Until: ptr(at(3))}, []*keyhold.AuditEvent{e3, e2}, 2},
			{"SinceOtherZone", keyhold.AuditFilter{Since: ptr(at(2).In(time.FixedZone("X", -5*3600)))}, []*keyhold.AuditEvent{e4, e3, e2}, 3},
			{"Page", keyhold.AuditFilter{Page: page(2, 2)}, []*keyhold.AuditEvent{e2, e1}, 5},
			{"PastTheEnd", keyhold.AuditFilter{Page: page(4, 2)}, []*keyhold.AuditEvent{}, 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.f.Page.Size == 0 {
					tc.f.Page = page(1, 100)
				}
				read(t, db, func(tx storage.Tx) error {
					items, total, err := tx.Audit().ListAuditEvents(ctx, tc.f)
					if err != nil {
						return err
					}
					equal(t, "events", items, tc.want)
					equal(t, "total", total, tc.total)
					return nil
				})
			})
		}
		t.Run("UnsupportedOperator", func(t *testing.T) {
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error {
				_, _, err := tx.Audit().ListAuditEvents(ctx, keyhold.AuditFilter{Action: &keyhold.StringFilter{Op: "exists"}, Page: page(1, 10)})
				return err
			}), keyhold.EINVALID)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Audit().AppendAuditEvent(ctx, e1) }), keyhold.ECONFLICT)
		})
	})
}
