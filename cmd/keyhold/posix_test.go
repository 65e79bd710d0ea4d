package main

import (
	"context"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// serve's --ldap-uid-start and --ldap-gid-start raise the stored counters
// and never lower them; a start outside 1..2^31-1 is refused by its flag.
func TestPOSIXStarts(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := storetest.Open(t, b)
			counters := func() (uid, gid int64) {
				t.Helper()
				err := db.Read(ctx, func(tx storage.Tx) (err error) { uid, gid, err = tx.POSIX().POSIXCounters(ctx); return err })
				if err != nil {
					t.Fatal(err)
				}
				return uid, gid
			}
			if err := raisePOSIXCounters(ctx, db, posixStarts{uid: 5000, gid: 7000}); err != nil {
				t.Fatal(err)
			}
			if uid, gid := counters(); uid != 5000 || gid != 7000 {
				t.Fatalf("counters = %d, %d, want 5000, 7000", uid, gid)
			}
			if err := raisePOSIXCounters(ctx, db, posixStarts{uid: 2000, gid: 4000}); err != nil {
				t.Fatal(err)
			}
			if uid, gid := counters(); uid != 5000 || gid != 7000 {
				t.Fatalf("counters lowered to %d, %d", uid, gid)
			}
			err := raisePOSIXCounters(ctx, db, posixStarts{uid: 0, gid: 4000})
			if err == nil || !strings.Contains(err.Error(), "--ldap-uid-start") {
				t.Fatalf("uid start 0: %v", err)
			}
		})
	}
}
