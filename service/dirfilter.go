package service

import (
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/dn"
)

// The directory's filters (RFC 4515), evaluated by keyhold over its own
// entries: the protocol layer only parses them. Every string attribute
// matches ignoring case (caseIgnoreMatch), DN-valued ones (member,
// memberOf) as normal DNs, and uidNumber and gidNumber as integers. An
// attribute an entry lacks, or one the directory does not know, matches
// nothing, not even presence.

// numeric are the attributes compared as integers.
var numeric = map[string]bool{"uidnumber": true, "gidnumber": true}

// dnValued are the attributes whose values are DNs.
var dnValued = map[string]bool{"member": true, "memberof": true}

// maxFilterDepth bounds a filter's nesting, so that a hostile one cannot
// exhaust the stack.
const maxFilterDepth = 64

// checkFilter refuses what the directory does not evaluate: extensible
// matches (unwillingToPerform), and malformed or too deep filters.
func checkFilter(f *keyhold.Filter) error {
	return checkFilterAt(f, 0)
}

func checkFilterAt(f *keyhold.Filter, depth int) error {
	if f == nil {
		return nil
	}
	if depth > maxFilterDepth {
		return keyhold.Errorf(keyhold.EINVALID, "The filter is nested more than %d deep", maxFilterDepth)
	}
	switch f.Op {
	case keyhold.FilterExtensible:
		return keyhold.Errorf(keyhold.EUNWILLING, "Extensible matches are not supported")
	case keyhold.FilterAnd, keyhold.FilterOr:
	case keyhold.FilterNot:
		if len(f.Children) != 1 {
			return keyhold.Errorf(keyhold.EINVALID, "A not filter has exactly one child")
		}
	case keyhold.FilterEqual, keyhold.FilterApprox, keyhold.FilterPresent, keyhold.FilterSubstrings,
		keyhold.FilterGreater, keyhold.FilterLess:
		if f.Attr == "" {
			return keyhold.Errorf(keyhold.EINVALID, "A %s filter names no attribute", f.Op)
		}
	default:
		return keyhold.Errorf(keyhold.EINVALID, "Unknown filter kind %q", f.Op)
	}
	for _, c := range f.Children {
		if err := checkFilterAt(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// matches evaluates a checked filter on an entry; nil matches everything.
func matches(f *keyhold.Filter, e *entry) bool {
	if f == nil {
		return true
	}
	switch f.Op {
	case keyhold.FilterAnd:
		for _, c := range f.Children {
			if !matches(c, e) {
				return false
			}
		}
		return true
	case keyhold.FilterOr:
		for _, c := range f.Children {
			if matches(c, e) {
				return true
			}
		}
		return false
	case keyhold.FilterNot:
		return !matches(f.Children[0], e)
	}
	name := strings.ToLower(f.Attr)
	values := e.attrs[name]
	if len(values) == 0 {
		return false
	}
	switch f.Op {
	case keyhold.FilterPresent:
		return true
	case keyhold.FilterEqual, keyhold.FilterApprox:
		for _, v := range values {
			if equalValue(name, v, f.Value) {
				return true
			}
		}
	case keyhold.FilterSubstrings:
		for _, v := range values {
			if substrings(strings.ToLower(v), strings.ToLower(f.Initial), f.Any, strings.ToLower(f.Final)) {
				return true
			}
		}
	case keyhold.FilterGreater, keyhold.FilterLess:
		for _, v := range values {
			c, ok := compareValue(name, v, f.Value)
			if ok && (f.Op == keyhold.FilterGreater && c >= 0 || f.Op == keyhold.FilterLess && c <= 0) {
				return true
			}
		}
	}
	return false
}

func equalValue(name, have, want string) bool {
	switch {
	case numeric[name]:
		c, ok := compareValue(name, have, want)
		return ok && c == 0
	case dnValued[name]:
		if a, err := dn.Normalize(want); err == nil {
			b, _ := dn.Normalize(have)
			return a == b
		}
	}
	return strings.EqualFold(have, want)
}

// compareValue orders two values: as integers for numeric attributes (ok
// false when the asserted value is not one), otherwise ignoring case.
func compareValue(name, have, want string) (int, bool) {
	if numeric[name] {
		h, err1 := strconv.ParseInt(have, 10, 64)
		w, err2 := strconv.ParseInt(strings.TrimSpace(want), 10, 64)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		switch {
		case h < w:
			return -1, true
		case h > w:
			return 1, true
		}
		return 0, true
	}
	return strings.Compare(strings.ToLower(have), strings.ToLower(want)), true
}

// substrings matches initial*any*…*final, each part after the last.
func substrings(v, initial string, any []string, final string) bool {
	if !strings.HasPrefix(v, initial) {
		return false
	}
	v = v[len(initial):]
	for _, a := range any {
		i := strings.Index(v, strings.ToLower(a))
		if i < 0 {
			return false
		}
		v = v[i+len(a):]
	}
	return strings.HasSuffix(v, final)
}

// filterKey writes a filter canonically, for a search's cookie key.
func filterKey(f *keyhold.Filter) string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("(" + string(f.Op) + " " + strings.ToLower(f.Attr) + " " + strconv.Quote(f.Value) + " " +
		strconv.Quote(f.Initial) + " " + strconv.Quote(f.Final))
	for _, a := range f.Any {
		b.WriteString(" " + strconv.Quote(a))
	}
	for _, c := range f.Children {
		b.WriteString(filterKey(c))
	}
	b.WriteString(")")
	return b.String()
}
