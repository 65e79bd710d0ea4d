package service

import (
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/ldapfilter"
)

// The directory's filters are evaluated by internal/ldapfilter, the one
// evaluator the protocol layer shares for its own two entries.

// checkFilter refuses what the directory does not evaluate.
func checkFilter(f *keyhold.Filter) error { return ldapfilter.Check(f) }

// matches evaluates a checked filter on an entry; nil matches everything.
func matches(f *keyhold.Filter, e *entry) bool {
	return ldapfilter.Match(f, func(name string) []string { return e.attrs[name] })
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
