package service_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store/storetest"
	"github.com/keyhold/keyhold/web"
)

// interfaceMethods parses the root package and returns the methods of
// every interface type it declares, by interface: the service interfaces
// of services.go and their siblings.
func interfaceMethods(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				return true
			}
			for _, m := range it.Methods.List {
				for _, name := range m.Names {
					out[ts.Name.Name] = append(out[ts.Name.Name], name.Name)
				}
			}
			return false
		})
	}
	if len(out["SystemAccountService"]) == 0 || len(out["WebhookService"]) == 0 {
		t.Fatalf("parsed no service interfaces: %v", out)
	}
	return out
}

// maxPieceMethods bounds the exported methods of one piece of the service.
const maxPieceMethods = 20

// Every method of every service interface, and every exported method of
// every piece of the service, has a row in the permission table; every
// row is a method.
func TestEveryOperationHasARow(t *testing.T) {
	rules := service.Rules()
	for iface, methods := range interfaceMethods(t) {
		for _, m := range methods {
			if _, ok := rules[m]; !ok {
				t.Errorf("%s.%s has no row in the permission table (service/permissions.go)", iface, m)
			}
		}
	}
	methods := map[string]bool{}
	for piece := range reflect.TypeFor[service.Service]().Fields() {
		n := 0
		for m := range piece.Type.Methods() {
			methods[m.Name] = true
			n++
			if _, ok := rules[m.Name]; !ok {
				t.Errorf("(%s).%s has no row in the permission table", piece.Type, m.Name)
			}
		}
		// A piece that grows past this is doing more than one job.
		if n > maxPieceMethods {
			t.Errorf("%s has %d exported methods; split it (at most %d)", piece.Type, n, maxPieceMethods)
		}
	}
	for op, r := range rules {
		if !methods[op] {
			t.Errorf("the permission table has a row for %s, which the service does not have", op)
		}
		if (r.Access == service.AccessPermission || r.Access == service.AccessSelfOr) && r.Perm == "" {
			t.Errorf("%s: a %s row names no permission", op, r.Access)
		}
		if r.Access == service.AccessSelfOr && r.Self == "" {
			t.Errorf("%s: a self-or row does not say what self is", op)
		}
	}
}

// The transports' service interfaces expose no internal or system
// operation: no request can reach keyhold's machinery or act as keyhold
// itself.
func TestTransportsReachNoInternalOperation(t *testing.T) {
	rules := service.Rules()
	for _, services := range []reflect.Type{reflect.TypeFor[httpapi.Services](), reflect.TypeFor[web.Services]()} {
		for f := range services.Fields() {
			if f.Type.Kind() != reflect.Interface {
				t.Errorf("%s.%s is not an interface", services, f.Name)
				continue
			}
			for m := range f.Type.Methods() {
				r, ok := rules[m.Name]
				switch {
				case !ok:
					t.Errorf("%s.%s offers %s, which has no row in the permission table", services, f.Name, m.Name)
				case r.Access == service.AccessInternal || r.Access == service.AccessSystem:
					t.Errorf("%s.%s offers %s, a %s operation no transport may call", services, f.Name, m.Name, r.Access)
				}
			}
		}
	}
}

// callers are the contexts each operation is called with, zero arguments
// but the context: the check must come first, before any argument is
// looked at.
func callZero(t *testing.T, svc *service.Service, name string, ctx context.Context) (err error, called bool) {
	t.Helper()
	var m reflect.Value
	for _, piece := range reflect.ValueOf(svc).Elem().Fields() {
		if pm := piece.MethodByName(name); pm.IsValid() {
			m = pm
		}
	}
	if !m.IsValid() {
		t.Fatalf("no piece of the service has %s", name)
	}
	mt := m.Type()
	if mt.NumIn() == 0 || mt.In(0) != reflect.TypeFor[context.Context]() {
		return nil, false
	}
	args := []reflect.Value{reflect.ValueOf(ctx)}
	for i := 1; i < mt.NumIn(); i++ {
		args = append(args, reflect.Zero(mt.In(i)))
	}
	defer func() {
		if v := recover(); v != nil {
			t.Errorf("%s with zero arguments panicked (%v): it must check its caller before it looks at them", name, v)
		}
	}()
	out := m.Call(args)
	if last := out[len(out)-1]; mt.Out(mt.NumOut()-1) == reflect.TypeFor[error]() && !last.IsNil() {
		err = last.Interface().(error)
	}
	return err, true
}

// Every operation that needs a caller refuses a context without a
// principal (EUNAUTHENTICATED), and every operation that needs a
// permission refuses a principal that holds none (EFORBIDDEN), before it
// reads its arguments; refused changes are audited as denied.
func TestOperationsCheckTheirCallerFirst(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.Open(t, backend)
			svc := service.New(service.Config{Store: db})
			ctx := context.Background()
			if _, err := svc.Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"}); err != nil {
				t.Fatal(err)
			}
			if err := svc.Feed.LoadIndex(ctx); err != nil {
				t.Fatal(err)
			}
			// A real account that holds nothing.
			acct, err := svc.Accounts.CreateSystemAccount(service.AsSystem(ctx), keyhold.SystemAccountCreate{Name: "nobody"})
			if err != nil {
				t.Fatal(err)
			}
			nobody := keyhold.NewContextWithPrincipal(keyhold.NewContextWithRequest(ctx, keyhold.RequestInfo{ClientIP: "192.0.2.7"}),
				&keyhold.Principal{Type: keyhold.PrincipalSystemAccount, ID: acct.ID, Name: acct.Name, TokenID: "00000000-0000-4000-8000-000000000001"})

			var writes []string
			for _, op := range service.Operations() {
				r := service.Rules()[op]
				if r.Access == service.AccessPublic || r.Access == service.AccessInternal {
					continue
				}
				err, called := callZero(t, svc, op, ctx)
				if !called {
					t.Errorf("%s takes no context, so it cannot check its caller", op)
					continue
				}
				if code := keyhold.ErrorCode(err); code != keyhold.EUNAUTHENTICATED {
					t.Errorf("%s without a principal: %v (%s), want EUNAUTHENTICATED", op, err, code)
				}
				if r.Access == service.AccessAuthenticated {
					continue
				}
				err, _ = callZero(t, svc, op, nobody)
				if code := keyhold.ErrorCode(err); code != keyhold.EFORBIDDEN {
					t.Errorf("%s by a principal that holds nothing: %v (%s), want EFORBIDDEN", op, err, code)
				}
				if r.Action != "" && r.Access != service.AccessSystem {
					writes = append(writes, op)
				}
			}
			svc.Decider.Flush(ctx, true)
			denied := "denied"
			events, err := svc.Audit.ListAuditEvents(service.AsSystem(ctx), keyhold.AuditFilter{Outcome: &denied, ActorID: &acct.ID, Page: keyhold.Page{Number: 1, Size: keyhold.MaxPageSize}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, e := range events.Items {
				for _, a := range strings.Split(e.Action, ", ") {
					got[a] = true
				}
				if e.Reason == "" || e.ActorName != "nobody" || e.ClientIP != "192.0.2.7" {
					t.Errorf("denied event %+v lacks its reason, actor or address", e)
				}
			}
			for _, op := range writes {
				actions := strings.Split(service.Rules()[op].Action, ", ")
				if !slices.ContainsFunc(actions, func(a string) bool { return got[a] }) {
					t.Errorf("the refusal of %s left no denied %v event; got %v", op, actions, slices.Sorted(maps.Keys(got)))
				}
			}
			if len(writes) < 25 {
				t.Fatalf("only %d changing operations were tried", len(writes))
			}
		})
	}
}

// Every route of the API and of the console names an operation of the
// table, needs credentials unless that operation is public, and never
// names an internal or system operation.
func TestRoutesNameTheirOperation(t *testing.T) {
	rules := service.Rules()
	for _, r := range httpapi.New(httpapi.Config{}).Routes() {
		rule, ok := rules[r.Op]
		switch {
		case r.Op == "" && r.Public:
		case !ok:
			t.Errorf("API %s %s names %q, which has no row in the permission table", r.Method, r.Path, r.Op)
		case rule.Access == service.AccessInternal || rule.Access == service.AccessSystem:
			t.Errorf("API %s %s performs %s, a %s operation", r.Method, r.Path, r.Op, rule.Access)
		case r.Public && rule.Access != service.AccessPublic:
			t.Errorf("API %s %s needs no credentials, but %s is %s", r.Method, r.Path, r.Op, rule.Access)
		}
	}
	for _, r := range web.New(web.Config{}).Routes() {
		rule, ok := rules[r.Op]
		switch {
		case r.Op == "public" || r.Op == "authenticated":
		case !ok:
			t.Errorf("console %s %s names %q, which has no row in the permission table", r.Method, r.Path, r.Op)
		case rule.Access == service.AccessInternal || rule.Access == service.AccessSystem:
			t.Errorf("console %s %s performs %s, a %s operation", r.Method, r.Path, r.Op, rule.Access)
		}
	}
}
