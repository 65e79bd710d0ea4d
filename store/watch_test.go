package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// watch starts WatchChanges on db and returns its notifications and a stop
// function that ends it and returns its error.
func watch(t *testing.T, db *store.DB) (<-chan struct{}, func() error) {
	t.Helper()
	notified := make(chan struct{}, 64)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- db.WatchChanges(wctx, func() { notified <- struct{}{} }) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			return errors.New("WatchChanges did not return after its context ended")
		}
	})
	t.Cleanup(func() { _ = stop() })
	return notified, stop
}

// wantNotified waits up to 2 s for a notification.
func wantNotified(t *testing.T, notified <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-notified:
	case <-time.After(2 * time.Second):
		t.Fatalf("no notification %s", what)
	}
}

// wantQuiet fails if a notification arrives within a short wait.
func wantQuiet(t *testing.T, notified <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-notified:
		t.Fatalf("notified %s", what)
	case <-time.After(300 * time.Millisecond):
	}
}

func appendChange(db *store.DB, fail error) error {
	return db.Write(ctx, func(tx storage.Tx) error {
		if err := tx.Changes().AppendChange(ctx, &keyhold.Change{Kind: keyhold.ChangeUser, ID: newID(), At: t0}); err != nil {
			return err
		}
		return fail
	})
}

func TestWatchChangesSQLite(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, storetest.SQLite)
	notified, stop := watch(t, db)
	if err := appendChange(db, nil); err != nil {
		t.Fatal(err)
	}
	// One process owns the database: there is nothing to hear.
	wantQuiet(t, notified, "on SQLite")
	if err := stop(); err != nil {
		t.Fatalf("WatchChanges = %v, want nil", err)
	}
}

func TestWatchChangesPostgres(t *testing.T) {
	t.Parallel()
	if len(storetest.Backends(t)) < 2 {
		t.Skip(storetest.EnvPostgres + " is not set")
	}
	db, u := storetest.OpenURL(t, storetest.Postgres)
	// The watcher connects under a name of its own, so that the test can
	// cut its connection without touching anyone else's.
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	app := "keyhold_watch_" + hex.EncodeToString(b)
	watcher := storetest.OpenUnmigrated(t, u+"&application_name="+app)
	notified, stop := watch(t, watcher)

	wantNotified(t, notified, "after connecting")
	if err := appendChange(db, nil); err != nil {
		t.Fatal(err)
	}
	wantNotified(t, notified, "after a committed change")

	boom := errors.New("boom")
	if err := appendChange(db, boom); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// A commit in another schema of the same database is another deployment.
	if err := appendChange(storetest.Open(t, storetest.Postgres), nil); err != nil {
		t.Fatal(err)
	}
	wantQuiet(t, notified, "after a rolled-back change or a change in another schema")

	t.Run("Reconnects", func(t *testing.T) {
		var n int
		err := storetest.Raw(t, u).QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid))
			FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT COALESCE%'`, app).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "listening connections cut", n, 1)
		wantNotified(t, notified, "after reconnecting")
		if err := appendChange(db, nil); err != nil {
			t.Fatal(err)
		}
		wantNotified(t, notified, "after a change once reconnected")
	})

	if err := stop(); err != nil {
		t.Fatalf("WatchChanges = %v, want nil", err)
	}
}
