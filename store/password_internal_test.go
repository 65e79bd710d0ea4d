package store

import (
	"strings"
	"testing"
)

// A password from --db-password-file reaches pgx's connection
// configuration, which both the pool and the change feed's LISTEN
// connection are made from, and overrides one in the URL.
func TestPostgresConfigPassword(t *testing.T) {
	cfg, err := postgresConfig("postgres://keyhold@db.example:5432/keyhold?sslmode=disable&search_path=tenant", "from the file")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "from the file" || cfg.User != "keyhold" || cfg.Host != "db.example" || cfg.RuntimeParams["search_path"] != "tenant" {
		t.Errorf("config: password %q, user %q, host %q, params %v", cfg.Password, cfg.User, cfg.Host, cfg.RuntimeParams)
	}
	if cfg.Copy().Password != "from the file" {
		t.Error("a copy for the LISTEN connection lost the password")
	}
	cfg, err = postgresConfig("postgres://keyhold:in-url@db.example/keyhold", "from the file")
	if err != nil || cfg.Password != "from the file" {
		t.Errorf("the file's password does not win over the URL's: %q %v", cfg.Password, err)
	}
	cfg, err = postgresConfig("postgres://keyhold:in-url@db.example/keyhold", "")
	if err != nil || cfg.Password != "in-url" {
		t.Errorf("without a file the URL's password is lost: %q %v", cfg.Password, err)
	}
	if _, err := postgresConfig("postgres://keyhold:in-url@db.example:notaport/keyhold", ""); err == nil || strings.Contains(err.Error(), "in-url") {
		t.Errorf("a bad URL: %v (must fail without quoting the password)", err)
	}
}

func TestSQLiteRefusesAPassword(t *testing.T) {
	_, err := Open(t.Context(), "sqlite:"+t.TempDir()+"/k.db", Options{Password: "x"})
	if err == nil || !strings.Contains(err.Error(), "SQLite has no password") {
		t.Errorf("Open: %v", err)
	}
}
