package escalation_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

// envOptions let the service keep webhook secrets and deliver to P's
// receivers on loopback.
var envOptions = apitest.Options{SecretKey: []byte("escalation property secret key!!"), WebhookNetworks: apitest.Loopback}

// worlds returns a function that gives each sequence its own world, on
// its own database. The world is built once, through the API, and each
// sequence starts from a copy of its database, with the same ids, tokens
// and clock: building it costs about seventy requests and two password
// hashes, several times what a sequence costs, above all under -race.
func worlds(t *testing.T, backend string) func(t *testing.T) *world {
	opts := envOptions
	e := apitest.New(t, backend, opts)
	template := newWorld(t, e)
	start := e.Clock.Now()
	copyDB := copySQLite
	if backend == storetest.Postgres {
		copyDB = copyPostgres
	}
	copyOf := copyDB(t, e.DBURL)
	return func(t *testing.T) *world {
		o := opts
		o.DBURL, o.Clock = copyOf(t), apitest.NewClock(start)
		c := apitest.New(t, backend, o)
		c.Admin, c.AdminID = e.Admin, e.AdminID
		return template.on(t, c)
	}
}

// copySQLite snapshots the database file once (VACUUM INTO) and writes a
// copy of it for each sequence.
func copySQLite(t *testing.T, from string) func(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "world.db")
	if _, err := storetest.Raw(t, from).Exec("VACUUM INTO ?", path); err != nil {
		t.Fatalf("copy the world: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "keyhold.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return "sqlite:" + path
	}
}

// copyPostgres gives each sequence a new schema, migrated as any test's,
// into which every row of the world's schema is copied, with the identity
// sequences moved past them.
func copyPostgres(t *testing.T, from string) func(t *testing.T) string {
	src := schemaOf(t, from)
	raw := storetest.Raw(t, from)
	tables := column(t, raw, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`, src)
	identities := pairs(t, raw, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND is_identity = 'YES' ORDER BY 1, 2`, src)
	return func(t *testing.T) string {
		u := storetest.NewURL(t, storetest.Postgres)
		db := storetest.OpenUnmigrated(t, u)
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		_ = db.Close()
		dst := schemaOf(t, u)
		ctx := context.Background()
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		// Foreign keys are not checked while the rows arrive in any order.
		stmts := []string{"SET LOCAL session_replication_role = replica"}
		for _, tb := range tables {
			stmts = append(stmts, fmt.Sprintf(`DELETE FROM %[1]s.%[3]s; INSERT INTO %[1]s.%[3]s OVERRIDING SYSTEM VALUE SELECT * FROM %[2]s.%[3]s`, dst, src, tb))
		}
		for _, id := range identities {
			stmts = append(stmts, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s.%[2]s', '%[3]s'), COALESCE(MAX(%[3]s), 1), MAX(%[3]s) IS NOT NULL) FROM %[1]s.%[2]s`, dst, id[0], id[1]))
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatalf("copy the world: %s: %v", q, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return u
	}
}

// schemaOf returns the schema of a storetest PostgreSQL URL.
func schemaOf(t testing.TB, u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Query().Get("search_path") == "" {
		t.Fatalf("no schema in %q", u)
	}
	return p.Query().Get("search_path")
}

func column(t testing.TB, db *sql.DB, q string, args ...any) []string {
	var out []string
	for _, p := range pairs(t, db, q, args...) {
		out = append(out, p[0])
	}
	return out
}

// pairs returns the first two columns of every row, the second "" when
// the query has one.
func pairs(t testing.TB, db *sql.DB, q string, args ...any) [][2]string {
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		dst := []any{&p[0], &p[1]}
		if err := rows.Scan(dst[:len(cols)]...); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
