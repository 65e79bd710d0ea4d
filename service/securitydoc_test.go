package service_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/web"
)

const (
	tableBegin = "<!-- permission-table:begin (generated from service/permissions.go; KEYHOLD_UPDATE_DOCS=1 go test ./service -run TestSecurityDoc) -->"
	tableEnd   = "<!-- permission-table:end -->"
)

// interfaceOrder is the order in which docs/security.md lists the
// operations: by service interface, as services.go and its siblings
// declare them, then the service's own.
var interfaceOrder = []string{"Authenticator", "SystemAccountService", "TokenService", "RoleService", "TeamService",
	"UserService", "OrganizationService", "AuditService", "PolicyService", "WebhookService", "SessionService"}

// permissionTable renders the permission table as Markdown, with the
// routes of the API and of the console that perform each operation.
func permissionTable(t *testing.T) string {
	rules := service.Rules()
	api := map[string][]string{}
	for _, r := range httpapi.New(httpapi.Config{}).Routes() {
		if r.Method == "OPTIONS" || r.Op == "" {
			continue
		}
		route := "`" + r.Method + " " + r.Path + "`"
		if r.Op == "DecideRequest" {
			route = "`* " + r.Path + "`"
		}
		if !slices.Contains(api[r.Op], route) {
			api[r.Op] = append(api[r.Op], route)
		}
	}
	console := map[string][]string{}
	for _, r := range web.New(web.Config{}).Routes() {
		console[r.Op] = append(console[r.Op], "`"+r.Method+" "+r.Path+"`")
	}
	var b strings.Builder
	seen := map[string]bool{}
	row := func(op string) {
		if seen[op] {
			return
		}
		seen[op] = true
		r := rules[op]
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", op, caller(r), dash(r.Guards), dash(strings.Join(api[op], "<br>")), dash(strings.Join(console[op], "<br>")))
	}
	b.WriteString("| Operation | Who may call it | Further guards | API routes | Console routes |\n|---|---|---|---|---|\n")
	methods := interfaceMethods(t)
	for _, iface := range interfaceOrder {
		if len(methods[iface]) == 0 {
			t.Fatalf("no interface %s", iface)
		}
		for _, op := range methods[iface] {
			row(op)
		}
	}
	for _, op := range service.Operations() {
		row(op)
	}
	return b.String()
}

func caller(r service.Rule) string {
	switch r.Access {
	case service.AccessPublic:
		return "anyone (public)"
	case service.AccessAuthenticated:
		return "any authenticated principal"
	case service.AccessSelfOr:
		return fmt.Sprintf("%s, or `%s`", r.Self, r.Perm)
	case service.AccessPermission:
		return "`" + string(r.Perm) + "`"
	case service.AccessSystem:
		return "keyhold itself: operator commands only"
	}
	return "internal: no transport"
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// docs/security.md's permission table is the one the code enforces.
func TestSecurityDocPermissionTable(t *testing.T) {
	const path = "../docs/security.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), tableBegin)
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers of its permission table", path)
	}
	want := permissionTable(t)
	if "\n"+want != rest[:len(rest)-len(after)-len(tableEnd)] {
		if os.Getenv("KEYHOLD_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(before+tableBegin+"\n"+want+tableEnd+after), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s's permission table differs from the code; run KEYHOLD_UPDATE_DOCS=1 go test ./service -run TestSecurityDoc", path)
	}
}
