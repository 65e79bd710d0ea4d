package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/store/storetest"
)

// dumpDatabase returns every row of every table as text.
func dumpDatabase(t *testing.T, e *env) string {
	t.Helper()
	db := storetest.Raw(t, e.dbURL)
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	if e.backed == "sqlite" {
		q = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found only tables %v", tables)
	}
	var out strings.Builder
	for _, tb := range tables {
		rs, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatalf("dump %s: %v", tb, err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&out, "%v\t", v)
			}
			out.WriteString("\n")
		}
		rs.Close()
	}
	return out.String()
}

// session returns the browser's session cookie value.
func (b *browser) session() string {
	u, _ := url.Parse(b.e.srv.URL + "/ui/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "keyhold_session" {
			return c.Value
		}
	}
	b.t.Fatal("no session cookie")
	return ""
}
