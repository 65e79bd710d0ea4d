package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// treeHash is the root of the log's first n leaves, from the hashes the
// store keeps.
func (e *env) treeHash(n int64) tlog.Hash {
	e.t.Helper()
	var h tlog.Hash
	err := e.db.Read(e.ctx, func(tx storage.Tx) (err error) {
		h, err = tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			return tx.Audit().ReadAuditHashes(context.Background(), idx)
		}))
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// The retention job drops the bodies of the events older than the
// organization's retention period, as the leading prefix of the log: their
// leaves report pruned, keep their hashes, and the root is unchanged;
// newer events stay whole.
func TestAuditRetention(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		log := e.svc.AuditLog
		ok(t, "setup", log.Setup(e.sys))
		for i := range 3 {
			e.account(fmt.Sprintf("old-%d", i))
		}
		e.clock.Advance(40 * 24 * time.Hour)
		days := 30
		org, err := e.svc.Orgs.UpdateOrganization(e.admin, keyhold.OrganizationUpdate{RetentionPeriodDays: &days})
		if err != nil || org.RetentionPeriodDays != 30 {
			t.Fatalf("set the retention: %+v, %v", org, err)
		}
		e.account("new-0")
		before, size, err := log.Leaves(e.admin, 0, 1000)
		ok(t, "leaves", err)
		root := e.treeHash(size)
		cut := int64(-1) // the first leaf of the window
		for _, l := range before {
			if cut < 0 && !l.Event.Time.Before(e.clock.Now().AddDate(0, 0, -30)) {
				cut = l.Index
			}
		}
		if cut < 3 {
			t.Fatalf("the old events end at leaf %d", cut)
		}

		e.svc.Jobs.RunJobs(e.sys)

		after, _, err := log.Leaves(e.admin, 0, int(size))
		ok(t, "leaves after pruning", err)
		for i, l := range after[:size] {
			if l.Hash != before[i].Hash {
				t.Errorf("leaf %d: hash %x, was %x", i, l.Hash, before[i].Hash)
			}
			switch old := int64(i) < cut; {
			case old && (!l.Pruned || l.Event != nil):
				t.Errorf("leaf %d, older than the window: pruned %v, event %v", i, l.Pruned, l.Event)
			case !old && (l.Pruned || l.Event == nil || l.Event.Seq != before[i].Event.Seq):
				t.Errorf("leaf %d, in the window: pruned %v, event %+v", i, l.Pruned, l.Event)
			}
		}
		if got := e.treeHash(size); got != root {
			t.Errorf("root of %d leaves %x after pruning, was %x", size, got, root)
		}
		for _, ev := range e.events("", "system_account.created") {
			if ev.TargetName != "new-0" {
				t.Errorf("an event older than the window is still listed: %s %s", ev.Action, ev.TargetName)
			}
		}
		if len(e.events("", "system_account.created")) != 1 {
			t.Error("the event in the window is gone")
		}
		if cp, err := log.Checkpoint(e.sys, true); err != nil || cp.Size < size {
			t.Errorf("a checkpoint over the pruned log: %+v, %v", cp, err)
		}
	})
}

// Only Organization Admin sets the retention, within 1 to 3650 days; a
// change is audited with its old and new value, a refusal as denied.
func TestUpdateOrganization(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		for _, d := range []int{0, -1, 3651, 1 << 40} {
			_, err := e.svc.Orgs.UpdateOrganization(e.admin, keyhold.OrganizationUpdate{RetentionPeriodDays: &d})
			wantCode(t, fmt.Sprint(d, " days"), err, keyhold.EINVALID)
			if _, found := fieldErrors(err)["retention_period_days"]; !found {
				t.Errorf("%d days: %v names no retention_period_days", d, err)
			}
		}
		_, writer := e.caller("writer", identityAdmin)
		days := 7
		_, err := e.svc.Orgs.UpdateOrganization(writer, keyhold.OrganizationUpdate{RetentionPeriodDays: &days})
		wantRefused(t, "an identity admin", err, "Organization Admin")
		if denied := e.events("denied", "organization.updated"); len(denied) != 1 {
			t.Errorf("%d denied events", len(denied))
		}
		for _, d := range []int{1, 3650} {
			o, err := e.svc.Orgs.UpdateOrganization(e.admin, keyhold.OrganizationUpdate{RetentionPeriodDays: &d})
			if err != nil || o.RetentionPeriodDays != d {
				t.Fatalf("%d days: %+v %v", d, o, err)
			}
		}
		o, err := e.svc.Orgs.Organization(e.admin)
		if err != nil || o.RetentionPeriodDays != 3650 {
			t.Errorf("read back: %+v %v", o, err)
		}
		evs := e.events("success", "organization.updated")
		if len(evs) != 2 {
			t.Fatalf("%d organization.updated events", len(evs))
		}
		var changes []string
		for _, ev := range evs {
			ch := ev.Changes["retention_period_days"]
			changes = append(changes, string(ch.Before)+"→"+string(ch.After))
			if ev.TargetID != o.ID {
				t.Errorf("target %s, want the organization %s", ev.TargetID, o.ID)
			}
		}
		if slices.Sort(changes); !slices.Equal(changes, []string{"1→3650", "90→1"}) {
			t.Errorf("the changes: %q", changes)
		}
	})
}
