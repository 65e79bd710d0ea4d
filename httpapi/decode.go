package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
)

var errBadBody = keyhold.Invalid(keyhold.FieldError{Field: "body", Reason: "request format is invalid", Source: "body"})

// object reads a JSON object field by field, so that every wrong type,
// missing field or unknown property becomes a precise field error.
type object struct {
	m    map[string]json.RawMessage
	errs []keyhold.FieldError
}

// decodeObject reads the request body as one JSON object. Bodies over the
// limit give 413; anything that is not one JSON object gives 400.
func decodeObject(r *http.Request) (*object, error) {
	raw, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, keyhold.Errorf(keyhold.ETOOLARGE, "The request body is larger than %d bytes", tooLarge.Limit)
	} else if err != nil {
		return nil, errBadBody
	}
	return parseObject(raw, false)
}

// decodeOptionalObject is decodeObject for bodies that may be empty.
func decodeOptionalObject(r *http.Request) (*object, error) {
	raw, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, keyhold.Errorf(keyhold.ETOOLARGE, "The request body is larger than %d bytes", tooLarge.Limit)
	} else if err != nil {
		return nil, errBadBody
	}
	return parseObject(raw, true)
}

func parseObject(raw []byte, emptyOK bool) (*object, error) {
	o := &object{}
	if emptyOK && len(bytes.TrimSpace(raw)) == 0 {
		o.m = map[string]json.RawMessage{}
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if len(bytes.TrimSpace(raw)) == 0 || dec.Decode(&o.m) != nil || o.m == nil || dec.More() {
		return nil, errBadBody
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errBadBody
	}
	return o, nil
}

func (o *object) fail(field, reason, rule string) {
	o.errs = append(o.errs, keyhold.FieldError{Field: field, Reason: reason, Rule: rule, Source: "body"})
}

// err returns the collected field errors, if any.
func (o *object) err() error {
	if len(o.errs) == 0 {
		return nil
	}
	return keyhold.Invalid(o.errs...)
}

// restrictions reads a token's optional scope (roles in the shape of
// assigned roles) and allowed networks (CIDRs, or single addresses).
func (o *object) restrictions() ([]keyhold.ScopeRole, []netip.Prefix) {
	var scope []keyhold.ScopeRole
	var perms []permission
	if o.get("scope", false, &perms, "is_array", "must be an array of roles") {
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

// has reports whether the field is present, even as null.
func (o *object) has(name string) bool { _, ok := o.m[name]; return ok }

// isNull reports whether the field is present and null.
func (o *object) isNull(name string) bool { v, ok := o.m[name]; return ok && string(v) == "null" }

func (o *object) get(name string, required bool, v any, rule, reason string) bool {
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

// only reports every property not in allowed, for schemas that forbid
// additional properties.
func (o *object) only(allowed ...string) {
	for k := range o.m {
		if !slices.Contains(allowed, k) {
			o.fail(k, "is not a known property", "unknown_property")
		}
	}
}
