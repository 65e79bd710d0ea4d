package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
)

var errBadBody = keyhold.Invalid(keyhold.FieldError{Field: "body", Reason: "request format is invalid", Source: "body"})

// object reads a JSON object field by field, so that every wrong type,
// missing field or unknown property becomes a precise field error. It
// remembers which fields were read: err reports every other one as an
// unknown property, so a handler cannot forget to refuse a misspelt
// field (a token created with "allowed_cidr" must not come out
// unrestricted).
type object struct {
	m      map[string]json.RawMessage
	read   map[string]bool
	prefix string // the path of a nested object, e.g. "scope[0]."
	errs   []keyhold.FieldError
}

// decodeObject reads the request body as one JSON object. Bodies over the
// limit give 413, a body that is not JSON 415, and anything that is not
// one JSON object of valid UTF-8 without repeated keys 400.
func decodeObject(r *http.Request) (*object, error) {
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return parseObject(raw, false)
}

// decodeOptionalObject is decodeObject for bodies that may be empty.
func decodeOptionalObject(r *http.Request) (*object, error) {
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return parseObject(raw, true)
}

// noBody serves operations that take no body: it accepts none, or an
// empty JSON object, and refuses every field as unknown.
func noBody(r *http.Request) error {
	o, err := decodeOptionalObject(r)
	if err != nil {
		return err
	}
	return o.err()
}

// readBody reads the whole body within the server's limit. A non-empty
// body must say it is JSON; an empty one is never checked, since clients
// send disable, enable and rotate without one.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, keyhold.Errorf(keyhold.ETOOLARGE, "The request body is larger than %d bytes", tooLarge.Limit)
	} else if err != nil {
		return nil, errBadBody
	}
	if len(raw) > 0 && !isJSONMediaType(r.Header.Get("Content-Type")) {
		return nil, errUnsupportedMediaType("application/json")
	}
	return raw, nil
}

func errUnsupportedMediaType(want string) error {
	return &statusError{status: http.StatusUnsupportedMediaType, msg: "The request body must be " + want}
}

// isJSONMediaType reports whether a Content-Type is application/json or
// application/<anything>+json, with no parameter but charset=utf-8.
func isJSONMediaType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	if !ok || sub != "json" && (len(sub) <= len("+json") || !strings.HasSuffix(sub, "+json")) {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

func parseObject(raw []byte, emptyOK bool) (*object, error) {
	o := &object{read: map[string]bool{}}
	if emptyOK && len(bytes.TrimSpace(raw)) == 0 {
		o.m = map[string]json.RawMessage{}
		return o, nil
	}
	if !utf8.Valid(raw) {
		// encoding/json would turn each bad byte into U+FFFD and store it.
		return nil, keyhold.Invalid(keyhold.FieldError{Field: "body", Reason: "must be valid UTF-8", Rule: "invalid", Source: "body"})
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if len(bytes.TrimSpace(raw)) == 0 || dec.Decode(&o.m) != nil || o.m == nil || dec.More() {
		return nil, errBadBody
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errBadBody
	}
	if field, reason := scanJSON(raw); field != "" {
		return nil, keyhold.Invalid(keyhold.FieldError{Field: field, Reason: reason, Rule: "invalid", Source: "body"})
	}
	return o, nil
}

func (o *object) fail(field, reason, rule string) {
	o.errs = append(o.errs, keyhold.FieldError{Field: o.prefix + field, Reason: reason, Rule: rule, Source: "body"})
}

// err returns the collected field errors, if any, and one unknown_property
// error for every field that was not read.
func (o *object) err() error {
	for _, k := range slices.Sorted(maps.Keys(o.m)) {
		if !o.read[k] {
			o.fail(k, "is not a known property", "unknown_property")
		}
	}
	if len(o.errs) == 0 {
		return nil
	}
	return keyhold.Invalid(o.errs...)
}

// restrictions reads a token's optional scope (roles in the shape of
// assigned roles) and allowed networks (CIDRs, or single addresses).
func (o *object) restrictions() ([]keyhold.ScopeRole, []netip.Prefix) {
	var scope []keyhold.ScopeRole
	if perms, ok := o.permissions("scope", false, "must be an array of roles"); ok {
		scope = make([]keyhold.ScopeRole, len(perms))
		for i, p := range perms {
			scope[i] = keyhold.ScopeRole(p)
		}
	}
	var nets []netip.Prefix
	var cidrs []string
	if o.get("allowed_cidrs", false, &cidrs, "is_array", "must be an array of networks in CIDR notation") {
		nets = make([]netip.Prefix, len(cidrs))
		for i, c := range cidrs {
			p, ok := keyhold.ParseCIDR(c)
			if !ok {
				o.fail("allowed_cidrs["+strconv.Itoa(i)+"]", "must be a network in CIDR notation, such as 10.0.0.0/8, or an address", "invalid")
			}
			nets[i] = p
		}
	}
	return scope, nets
}

// permissions reads an array of permissions, each an object of role_name,
// entity_type_name, entity_id and entity_region, with no other field. A
// null item is refused as not an object.
func (o *object) permissions(name string, required bool, reason string) ([]keyhold.RoleQuery, bool) {
	var items []json.RawMessage
	if !o.get(name, required, &items, "is_array", reason) {
		return nil, false
	}
	out := make([]keyhold.RoleQuery, len(items))
	for i, raw := range items {
		item := &object{read: map[string]bool{}, prefix: o.prefix + name + "[" + strconv.Itoa(i) + "]."}
		if json.Unmarshal(raw, &item.m) != nil || item.m == nil {
			o.fail(name+"["+strconv.Itoa(i)+"]", "must be an object", "is_object")
			continue
		}
		out[i] = keyhold.RoleQuery{RoleName: deref(item.str("role_name", false)), EntityTypeName: deref(item.str("entity_type_name", false)),
			EntityID: deref(item.str("entity_id", false)), EntityRegion: deref(item.str("entity_region", false))}
		_ = item.err()
		o.errs = append(o.errs, item.errs...)
	}
	return out, true
}

// present reports whether the field is present and not null: null on an
// optional field means the same as leaving it out.
func (o *object) present(name string) bool {
	o.read[name] = true
	v, ok := o.m[name]
	return ok && string(v) != "null"
}

// isNull reports whether the field is present and null.
func (o *object) isNull(name string) bool {
	o.read[name] = true
	v, ok := o.m[name]
	return ok && string(v) == "null"
}

// get decodes a field into v. Absent or null, it reports false, and a
// required field is refused as missing.
func (o *object) get(name string, required bool, v any, rule, reason string) bool {
	o.read[name] = true
	raw, ok := o.m[name]
	if !ok || string(raw) == "null" {
		if required {
			o.fail(name, "is required", "required")
		}
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		o.fail(name, reason, rule)
		return false
	}
	return true
}

// str returns a string field, or nil when absent or null.
func (o *object) str(name string, required bool) *string {
	var v string
	if !o.get(name, required, &v, "is_string", "must be a string") {
		return nil
	}
	return &v
}

func (o *object) boolean(name string) *bool {
	var v bool
	if !o.get(name, false, &v, "is_boolean", "must be a boolean") {
		return nil
	}
	return &v
}

func (o *object) integer(name string, required bool) *int64 {
	var v int64
	if !o.get(name, required, &v, "is_integer", "must be an integer") {
		return nil
	}
	return &v
}

func (o *object) time(name string, required bool) *time.Time {
	var v time.Time
	if !o.get(name, required, &v, "is_date_time", "must be an RFC 3339 date-time") {
		return nil
	}
	return &v
}

// labels reads a map of label values, where a null value removes a label.
func (o *object) labels(name string) map[string]*string {
	var v map[string]*string
	if !o.get(name, false, &v, "is_object", "must be an object of strings") {
		return nil
	}
	return v
}

// isUUID reports whether s is a UUID in its canonical 36-character form,
// the only form the API's ids take.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
