// Package ldapfilter evaluates RFC 4515 search filters (keyhold.Filter)
// over directory entries. It is the one evaluator of keyhold's directory:
// the service's for the tree, the protocol layer's for the RootDSE and the
// schema entry; the LDAP library only parses filters.
//
// Every string attribute matches ignoring case (caseIgnoreMatch),
// DN-valued ones (member, memberOf) as normal DNs, and uidNumber and
// gidNumber as integers. An attribute an entry lacks matches nothing, not
// even presence.
package ldapfilter

import (
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/dn"
)

// numeric are the attributes compared as integers.
var numeric = map[string]bool{"uidnumber": true, "gidnumber": true}

// dnValued are the attributes whose values are DNs.
var dnValued = map[string]bool{"member": true, "memberof": true}

// MaxDepth bounds a filter's nesting, so that a hostile one cannot
// exhaust the stack.
const MaxDepth = 64

// Check refuses what the directory does not evaluate: extensible matches
// (EUNWILLING, unwillingToPerform), and malformed or too deep filters
// (EINVALID).
func Check(f *keyhold.Filter) error { return check(f, 0) }

func check(f *keyhold.Filter, depth int) error {
	if f == nil {
		return nil
	}
	if depth > MaxDepth {
		return keyhold.Errorf(keyhold.EINVALID, "The filter is nested more than %d deep", MaxDepth)
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
		if err := check(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// Match evaluates a checked filter on an entry whose values values gives
// by lower-case attribute name; nil matches everything.
func Match(f *keyhold.Filter, values func(name string) []string) bool {
	if f == nil {
		return true
	}
	switch f.Op {
	case keyhold.FilterAnd:
		for _, c := range f.Children {
			if !Match(c, values) {
				return false
			}
		}
		return true
	case keyhold.FilterOr:
		for _, c := range f.Children {
			if Match(c, values) {
				return true
			}
		}
		return false
	case keyhold.FilterNot:
		return len(f.Children) == 1 && !Match(f.Children[0], values)
	}
	name := strings.ToLower(f.Attr)
	have := values(name)
	if len(have) == 0 {
		return false
	}
	switch f.Op {
	case keyhold.FilterPresent:
		return true
	case keyhold.FilterEqual, keyhold.FilterApprox:
		for _, v := range have {
			if equal(name, v, f.Value) {
				return true
			}
		}
	case keyhold.FilterSubstrings:
		for _, v := range have {
			if substrings(strings.ToLower(v), strings.ToLower(f.Initial), f.Any, strings.ToLower(f.Final)) {
				return true
			}
		}
	case keyhold.FilterGreater, keyhold.FilterLess:
		for _, v := range have {
			c, ok := compare(name, v, f.Value)
			if ok && (f.Op == keyhold.FilterGreater && c >= 0 || f.Op == keyhold.FilterLess && c <= 0) {
				return true
			}
		}
	}
	return false
}

// Entry is Match over a keyhold.DirectoryEntry.
func Entry(f *keyhold.Filter, e keyhold.DirectoryEntry) bool {
	return Match(f, func(name string) []string {
		for _, a := range e.Attributes {
			if strings.ToLower(a.Name) == name {
				return a.Values
			}
		}
		return nil
	})
}

func equal(name, have, want string) bool {
	switch {
	case numeric[name]:
		c, ok := compare(name, have, want)
		return ok && c == 0
	case dnValued[name]:
		if a, err := dn.Normalize(want); err == nil {
			b, _ := dn.Normalize(have)
			return a == b
		}
	}
	return strings.EqualFold(have, want)
}

// compare orders two values: as integers for numeric attributes (ok false
// when the asserted value is not one), otherwise ignoring case.
func compare(name, have, want string) (int, bool) {
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

// substrings matches initial*any*…*final in a lower-case value, each part
// after the one before.
func substrings(v, initial string, any []string, final string) bool {
	if !strings.HasPrefix(v, initial) {
		return false
	}
	v = v[len(initial):]
	for _, a := range any {
		a = strings.ToLower(a)
		i := strings.Index(v, a)
		if i < 0 {
			return false
		}
		v = v[i+len(a):]
	}
	return strings.HasSuffix(v, final)
}
