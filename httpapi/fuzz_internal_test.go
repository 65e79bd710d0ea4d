package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// CheckAnswer returns why a response breaks the API's promise to any
// input, or nil: the answer is a success (below 400), or a 4xx in
// problem+json whose body parses and names the same status. Never a 5xx.
// The fuzz targets of both test packages share it.
func CheckAnswer(status int, h http.Header, body []byte) error {
	switch {
	case status >= 500 || status < 100:
		return fmt.Errorf("status %d; body: %.2000s", status, body)
	case status < 400:
		return nil
	}
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "application/problem+json" {
		return fmt.Errorf("%d with Content-Type %q, want application/problem+json; body: %.2000s", status, h.Get("Content-Type"), body)
	}
	var p struct {
		Status *int   `json:"status"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("%d with a problem+json body that does not parse (%w): %.2000s", status, err, body)
	}
	if p.Status == nil || *p.Status != status || p.Title == "" {
		return fmt.Errorf("%d with a problem+json body that names another status or no title: %.2000s", status, body)
	}
	return nil
}

// wantInvalidAnswer fails unless err is a 400 whose every field error came
// from source, and writeError renders it as problem+json.
func wantInvalidAnswer(t *testing.T, err error, source string) {
	t.Helper()
	if code := keyhold.ErrorCode(err); code != keyhold.EINVALID {
		t.Fatalf("error %v has code %q, want %q", err, code, keyhold.EINVALID)
	}
	fields := keyhold.ErrorFields(err)
	if len(fields) == 0 {
		t.Fatalf("400 without field errors: %v", err)
	}
	// A field's name may be empty: a body may have a property named "".
	for _, fe := range fields {
		if fe.Reason == "" || (source != "" && fe.Source != source) {
			t.Fatalf("field error %+v: want a reason and source %q", fe, source)
		}
	}
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("GET", "/", nil), err)
	if err := CheckAnswer(rec.Code, rec.Header(), rec.Body.Bytes()); err != nil || rec.Code != http.StatusBadRequest {
		t.Fatalf("writeError: %d, %v", rec.Code, err)
	}
}

// FuzzCredentials reads any Authorization header, and checks that Bearer
// and Basic values built from any strings read back as they were written.
func FuzzCredentials(f *testing.F) {
	f.Fuzz(func(t *testing.T, header, user, pass string) {
		read := func(h string) keyhold.Credentials {
			return credentials(&http.Request{Header: http.Header{"Authorization": {h}}})
		}
		c := read(header)
		if c.ClientIP != "" {
			t.Fatalf("credentials(%q) sets a client address", header)
		}
		if c.Bearer != "" && (c.BasicUser != "" || c.BasicPass != "") {
			t.Fatalf("credentials(%q) = %+v: both Bearer and Basic", header, c)
		}
		if c.Bearer != "" {
			scheme, _, _ := strings.Cut(header, " ")
			if !strings.EqualFold(scheme, "Bearer") || c.Bearer != strings.TrimSpace(c.Bearer) {
				t.Fatalf("credentials(%q) = Bearer %q", header, c.Bearer)
			}
		}
		if c.BasicUser != "" || c.BasicPass != "" {
			if u, p, ok := (&http.Request{Header: http.Header{"Authorization": {header}}}).BasicAuth(); !ok || u != c.BasicUser || p != c.BasicPass {
				t.Fatalf("credentials(%q) = Basic %q:%q, not what the header holds", header, c.BasicUser, c.BasicPass)
			}
		}
		lower := strings.ToLower(header)
		if c != (keyhold.Credentials{}) && !strings.HasPrefix(lower, "bearer ") && !strings.HasPrefix(lower, "basic ") {
			t.Fatalf("credentials(%q) = %+v from a header of no known scheme", header, c)
		}

		// Round trips: any token as Bearer, in any case of the scheme.
		for _, scheme := range []string{"Bearer ", "bearer ", "BEARER "} {
			if got := read(scheme + user); got != (keyhold.Credentials{Bearer: strings.TrimSpace(user)}) {
				t.Fatalf("credentials(%q) = %+v", scheme+user, got)
			}
		}
		// Any name without a colon and any password as Basic.
		if strings.Contains(user, ":") {
			return
		}
		enc := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		for _, scheme := range []string{"Basic ", "basic "} {
			got := read(scheme + enc)
			if got != (keyhold.Credentials{BasicUser: user, BasicPass: pass}) {
				t.Fatalf("credentials(%q) = %+v, want Basic %q:%q", scheme+enc, got, user, pass)
			}
		}
	})
}

// querySpecs are the filter specifications of every list in the API.
var querySpecs = map[string]filterSpec{
	"accounts":            accountFilters,
	"teams":               teamFilters,
	"users":               userFilters,
	"audit":               auditFilters,
	"name":                {"name": filterString},
	"none":                {},
	"assigned-roles":      {"entity_id": filterEq, "role_name": filterEq, "entity_type_name": filterEq},
	"team-assigned-roles": {"role_name": filterEq, "entity_type_name": filterEq},
}

// FuzzParseQuery parses any query string with every list's filters: a
// refusal is a 400 naming query fields; an acceptance has paging in range
// and records exactly the filters sent, with the values sent.
func FuzzParseQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // as r.URL.Query does
		for name, spec := range querySpecs {
			q, err := parseQuery(v, spec)
			again, err2 := parseQuery(v, spec)
			if !reflect.DeepEqual(q, again) || !reflect.DeepEqual(err, err2) {
				t.Fatalf("%s: parseQuery(%q) is not deterministic", name, raw)
			}
			if err != nil {
				wantInvalidAnswer(t, err, "query")
				continue
			}
			checkQuery(t, name, spec, v, q)
		}
	})
}

func checkQuery(t *testing.T, name string, spec filterSpec, v url.Values, q *query) {
	t.Helper()
	if p := q.page; p.Size < 1 || p.Size > keyhold.MaxPageSize || p.Number < 1 || p.Number > 1<<30 {
		t.Fatalf("%s: page %+v out of range for %v", name, p, v)
	}
	if v.Get("page[size]") == "" && q.page.Size != keyhold.DefaultPageSize {
		t.Fatalf("%s: page size %d without page[size]", name, q.page.Size)
	}
	labels := 0
	for key, vals := range v {
		if !strings.HasPrefix(key, "filter[") {
			continue
		}
		field, op, ok := splitFilter(key)
		if !ok {
			t.Fatalf("%s: %q accepted, but it is not a filter", name, key)
		}
		value := vals[0]
		if !utf8.ValidString(field+value) || strings.ContainsRune(field+value, 0) {
			t.Fatalf("%s: %q=%q accepted with invalid UTF-8 or NUL", name, key, value)
		}
		if len(vals) != 1 || utf8.RuneCountInString(key) > maxFilterLen || utf8.RuneCountInString(value) > maxFilterLen {
			t.Fatalf("%s: %q=%q accepted given %d times, or longer than %d characters", name, key, vals, len(vals), maxFilterLen)
		}
		if _, ok := strings.CutPrefix(field, "labels."); ok {
			if _, allowed := spec["labels"]; !allowed {
				t.Fatalf("%s: label filter %q accepted", name, key)
			}
			labels++
			continue
		}
		kind, ok := spec[field]
		if !ok {
			t.Fatalf("%s: filter %q accepted on a list without it", name, key)
		}
		if op == "" {
			op = keyhold.OpEq
		}
		got, ok := q.filters[field+"/"+op]
		if !ok || got.value != value || got.op != op {
			t.Fatalf("%s: %q=%q recorded as %+v", name, key, value, got)
		}
		switch kind {
		case filterBool:
			if b := q.boolean(field); b == nil || (*b) != (value == "true") {
				t.Fatalf("%s: %q=%q read as %v", name, key, value, b)
			}
		case filterTime:
			if tm := q.time(field, op); tm == nil || tm.Location() != time.UTC {
				t.Fatalf("%s: %q=%q read as %v", name, key, value, tm)
			}
		default:
			if s := q.str(field); s == nil || s.Value != value || s.Op != op {
				t.Fatalf("%s: %q=%q read as %+v", name, key, value, s)
			}
		}
	}
	if len(q.labels) != labels {
		t.Fatalf("%s: %d label filters sent, %d recorded", name, labels, len(q.labels))
	}
	// The readers of each list take any accepted query.
	_, _, _ = accountFilter(q), teamFilter(q), userFilter(q)
}

// bodyFields are the properties the API's bodies read, so that the typed
// getters meet each under the type it is read with and under others.
var bodyFields = []string{"name", "description", "konnect_managed", "create_team", "expires_at", "intent", "scope",
	"allowed_cidrs", "auto_rotate", "overlap_seconds", "revoke_when_idle_seconds", "token", "client_ip", "checks",
	"tokens", "source", "max_lifetime_seconds", "default_lifetime_seconds", "allow_non_expiring", "role_name",
	"entity_id", "entity_type_name", "entity_region", "labels", "id", "email", "full_name", "preferred_name",
	"password", "ttl_seconds", "url", "event_types", "system_account_id", "enabled"}

// FuzzParseObject decodes any body: it accepts only one JSON object of
// valid UTF-8 without a repeated key. Then it reads every property with
// every typed getter: each returns a value exactly when the property is
// present, not null and of its type, and records a body field error
// otherwise; allowed_cidrs reads as keyhold.ParseCIDR reads each item,
// scope as permissions; and err reports exactly the properties no getter
// read as unknown.
func FuzzParseObject(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte, emptyOK bool) {
		o, err := parseObject(raw, emptyOK)
		if err != nil {
			if emptyOK && len(bytes.TrimSpace(raw)) == 0 {
				t.Fatalf("parseObject(%q, true) refused an empty body", raw)
			}
			wantInvalidAnswer(t, err, "body")
			return
		}
		if o.m == nil {
			t.Fatalf("parseObject(%q) returned no map", raw)
		}
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) > 0 && (!json.Valid(raw) || trimmed[0] != '{' || !utf8.Valid(raw)) {
			t.Fatalf("parseObject(%q) accepted something that is not one JSON object of valid UTF-8", raw)
		}
		if len(trimmed) == 0 && (!emptyOK || len(o.m) != 0) {
			t.Fatalf("parseObject(%q, %v) accepted an empty body", raw, emptyOK)
		}
		if key, ok := repeatedKey(raw); ok {
			t.Fatalf("parseObject(%q) accepted the repeated key %q", raw, key)
		}
		keys := slices.Sorted(maps.Keys(o.m))
		for _, name := range slices.Concat(bodyFields, keys) {
			checkGetters(t, o, name)
		}
		checkRestrictions(t, o)
		checkPermissions(t, o, "checks")
		if err := o.err(); (err == nil) != (len(o.errs) == 0) {
			t.Fatalf("err() = %v with %d field errors", err, len(o.errs))
		} else if err != nil {
			wantInvalidAnswer(t, err, "body")
		}

		// Read only the known fields of a fresh copy: every other property,
		// and only those, is an unknown one.
		o, _ = parseObject(raw, emptyOK)
		for _, name := range bodyFields {
			o.present(name)
		}
		var unknown []string
		for _, fe := range keyhold.ErrorFields(o.err()) {
			if fe.Rule == "unknown_property" {
				unknown = append(unknown, fe.Field)
			}
		}
		want := slices.DeleteFunc(keys, func(k string) bool { return slices.Contains(bodyFields, k) })
		if !slices.Equal(unknown, want) {
			t.Fatalf("parseObject(%q): unknown properties %q, want %q", raw, unknown, want)
		}
	})
}

// repeatedKey walks a JSON document with encoding/json's tokenizer and
// returns a key that one object holds twice, compared unescaped.
func repeatedKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	type level struct {
		object bool
		keys   map[string]bool
		expect bool // the next string in an object is a key
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true // the value is done once it closes
				}
				stack = append(stack, &level{object: v == '{', keys: map[string]bool{}, expect: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.expect {
				if top.keys[v] {
					return v, true
				}
				top.keys[v] = true
				top.expect = false
				continue
			}
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
}

// getters are the typed getters, each with a new value of the type it
// reads.
var getters = []struct {
	name string
	read func(o *object, name string) any
	into func() any
}{
	{"str", func(o *object, n string) any { return o.str(n, false) }, func() any { return new(string) }},
	{"boolean", func(o *object, n string) any { return o.boolean(n) }, func() any { return new(bool) }},
	{"integer", func(o *object, n string) any { return o.integer(n, false) }, func() any { return new(int64) }},
	{"time", func(o *object, n string) any { return o.time(n, false) }, func() any { return new(time.Time) }},
	{"labels", func(o *object, n string) any { return o.labels(n) }, func() any { return new(map[string]*string) }},
}

// checkGetters reads one property with each typed getter: a value exactly
// when json.Unmarshal into the getter's type succeeds, and otherwise one
// body field error naming the property when it was sent and none when not.
func checkGetters(t *testing.T, o *object, name string) {
	t.Helper()
	raw, present := o.m[name]
	if o.present(name) != (present && string(raw) != "null") || o.isNull(name) != (present && string(raw) == "null") {
		t.Fatalf("present/isNull(%q) disagree with the map", name)
	}
	set := present && string(raw) != "null"
	for _, g := range getters {
		before := len(o.errs)
		got := g.read(o, name)
		recorded := o.errs[before:]
		want := g.into()
		ok := set && json.Unmarshal(raw, want) == nil
		gv := reflect.ValueOf(got)
		if gv.Kind() != reflect.Pointer {
			want = reflect.ValueOf(want).Elem().Interface()
		}
		switch {
		case ok && (gv.IsNil() || !reflect.DeepEqual(got, want) || len(recorded) != 0):
			t.Fatalf("%s(%q) of %s = %v with errors %+v; json.Unmarshal gives %v", g.name, name, raw, got, recorded, want)
		case !ok && !gv.IsNil():
			t.Fatalf("%s(%q) of %s = %v, which json.Unmarshal refuses", g.name, name, raw, got)
		case !ok && set && (len(recorded) != 1 || recorded[0].Field != name || recorded[0].Source != "body" || recorded[0].Rule == ""):
			t.Fatalf("%s(%q) refused %s with %+v, want one body error naming it", g.name, name, raw, recorded)
		case !set && len(recorded) != 0:
			t.Fatalf("%s(%q) of an absent or null property recorded %+v", g.name, name, recorded)
		}
	}
	// A required property that is absent or null is one "required" error.
	before := len(o.errs)
	if s := o.str(name, true); s == nil && !set && (len(o.errs)-before != 1 || o.errs[before].Rule != "required") {
		t.Fatalf("str(%q, required) of an absent or null property: %+v", name, o.errs[before:])
	}
}

// checkRestrictions reads scope and allowed_cidrs and holds every network
// to keyhold.ParseCIDR, and every refused item to a field error naming it.
func checkRestrictions(t *testing.T, o *object) {
	t.Helper()
	before := len(o.errs)
	_, nets := o.restrictions()
	errs := o.errs[before:]
	raw, present := o.m["allowed_cidrs"]
	var items []string
	isList := present && string(raw) != "null" && json.Unmarshal(raw, &items) == nil
	if !isList {
		if nets != nil {
			t.Fatalf("allowed_cidrs %s read as %v", raw, nets)
		}
		return
	}
	if len(nets) != len(items) {
		t.Fatalf("allowed_cidrs %s: %d items, %d networks", raw, len(items), len(nets))
	}
	hasErr := func(field string) bool {
		return slices.ContainsFunc(errs, func(fe keyhold.FieldError) bool { return fe.Field == field && fe.Source == "body" })
	}
	for i, item := range items {
		field := fmt.Sprintf("allowed_cidrs[%d]", i)
		p, ok := keyhold.ParseCIDR(item)
		if !ok {
			if !hasErr(field) {
				t.Fatalf("allowed_cidrs item %q refused by ParseCIDR without an error for %s", item, field)
			}
			continue
		}
		if hasErr(field) || nets[i] != p {
			t.Fatalf("allowed_cidrs item %q read as %v, want %v", item, nets[i], p)
		}
		if a, err := netip.ParseAddr(item); err == nil && !nets[i].Contains(a) {
			t.Fatalf("allowed_cidrs item %q read as %v, which does not contain it", item, nets[i])
		}
	}
}

// checkPermissions reads a property as an array of permissions, as scope
// and the checks of /v1/check are read, and holds the result and every
// field error to what the property holds.
func checkPermissions(t *testing.T, o *object, name string) {
	t.Helper()
	before := len(o.errs)
	perms, ok := o.permissions(name, false, "must be an array")
	var got []string
	for _, fe := range o.errs[before:] {
		got = append(got, fe.Field+" "+fe.Rule)
	}
	raw, present := o.m[name]
	var items []json.RawMessage
	var want []string
	switch {
	case !present || string(raw) == "null":
		if ok || len(got) != 0 {
			t.Fatalf("permissions(%q) of %s: %v, %q", name, raw, ok, got)
		}
		return
	case json.Unmarshal(raw, &items) != nil:
		if ok || !slices.Equal(got, []string{name + " is_array"}) {
			t.Fatalf("permissions(%q) of %s: %v, %q", name, raw, ok, got)
		}
		return
	}
	if !ok || len(perms) != len(items) {
		t.Fatalf("permissions(%q) of %s: %v, %d permissions", name, raw, ok, len(perms))
	}
	for i, item := range items {
		at := fmt.Sprintf("%s[%d]", name, i)
		var m map[string]json.RawMessage
		if json.Unmarshal(item, &m) != nil || m == nil {
			want = append(want, at+" is_object")
			continue
		}
		var p keyhold.RoleQuery
		fields := map[string]*string{"role_name": &p.RoleName, "entity_type_name": &p.EntityTypeName, "entity_id": &p.EntityID, "entity_region": &p.EntityRegion}
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			if v, ok := m[k]; ok && string(v) != "null" && json.Unmarshal(v, fields[k]) != nil {
				want = append(want, at+"."+k+" is_string")
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if _, known := fields[k]; !known {
				want = append(want, at+"."+k+" unknown_property")
			}
		}
		if perms[i] != p {
			t.Fatalf("permissions(%q) of %s: item %d read as %+v, want %+v", name, raw, i, perms[i], p)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("permissions(%q) of %s: errors %q, want %q", name, raw, got, want)
	}
}
