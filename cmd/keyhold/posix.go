package main

import (
	"context"
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
)

// posixStarts are the first POSIX numbers of the LDAP directory: the
// counters start at least there (docs/ldap.md).
type posixStarts struct{ uid, gid int64 }

// posixFlags adds serve's --ldap-uid-start and --ldap-gid-start.
func posixFlags(fl *pflag.FlagSet, p *posixStarts) {
	fl.Int64Var(&p.uid, "ldap-uid-start", keyhold.DefaultUIDStart, "the lowest uidNumber the LDAP directory gives system accounts and users (raises the counter, never lowers it)")
	fl.Int64Var(&p.gid, "ldap-gid-start", keyhold.DefaultGIDStart, "the lowest gidNumber the LDAP directory gives teams (raises the counter, never lowers it)")
}

// raisePOSIXCounters raises the stored counters to the starts: numbers
// already given stay, new ones are at least the starts.
func raisePOSIXCounters(ctx context.Context, db *store.DB, p posixStarts) error {
	for _, s := range []struct {
		flag string
		v    int64
	}{{"--ldap-uid-start", p.uid}, {"--ldap-gid-start", p.gid}} {
		if s.v < 1 || s.v > math.MaxInt32 {
			return fmt.Errorf("%s: %d is not between 1 and %d", s.flag, s.v, math.MaxInt32)
		}
	}
	return db.Write(ctx, func(tx storage.Tx) error { return tx.POSIX().RaisePOSIXCounters(ctx, p.uid, p.gid) })
}
