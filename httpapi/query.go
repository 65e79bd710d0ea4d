package httpapi

import (
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// filterKind says which operators a filter field takes.
type filterKind int

const (
	filterString filterKind = iota // eq, contains, and the bare form
	filterEq                       // eq and the bare form
	filterBool                     // the bare form only
	filterTime                     // gte, lt
	filterLabels                   // labels.<key> with eq, contains, exists
)

// filterSpec names the filters one list accepts.
type filterSpec map[string]filterKind

// query is a parsed list query: paging and the filters it carries.
type query struct {
	page    keyhold.Page
	filters map[string]parsedFilter
	labels  []keyhold.LabelFilter
}

type parsedFilter struct{ op, value string }

// parseQuery reads page[size], page[number] and filter[...] parameters.
// Unknown filters and operators are 400, as in Konnect.
func parseQuery(v url.Values, spec filterSpec) (*query, error) {
	q := &query{page: keyhold.Page{Number: 1, Size: keyhold.DefaultPageSize}, filters: map[string]parsedFilter{}}
	var errs []keyhold.FieldError
	bad := func(fe keyhold.FieldError) {
		fe.Source = "query"
		errs = append(errs, fe)
	}
	if n, ok := pageParam(v, "page[size]", keyhold.MaxPageSize, bad); ok {
		q.page.Size = n
	}
	if n, ok := pageParam(v, "page[number]", maxPageNumber, bad); ok {
		q.page.Number = n
	}
	// Sorted, so that which of two clashing filters is refused does not
	// depend on map order.
	for _, key := range slices.Sorted(maps.Keys(v)) {
		if !strings.HasPrefix(key, "filter[") {
			continue
		}
		field, op, ok := splitFilter(key)
		switch {
		case !ok:
			bad(keyhold.FieldError{Field: key, Reason: "is not a valid filter", Rule: "invalid"})
		case len(v[key]) > 1:
			bad(keyhold.FieldError{Field: key, Reason: "must be given once", Rule: "invalid"})
		case utf8.RuneCountInString(key) > maxFilterLen || utf8.RuneCountInString(v[key][0]) > maxFilterLen:
			bad(keyhold.FieldError{Field: key, Reason: "must be at most " + strconv.Itoa(maxFilterLen) + " characters long",
				Rule: "max_length", Maximum: keyhold.Int64(maxFilterLen)})
		default:
			if reason := q.addFilter(spec, field, op, v[key][0]); reason != "" {
				bad(keyhold.FieldError{Field: key, Reason: reason, Rule: "invalid"})
			}
		}
	}
	if len(errs) > 0 {
		return nil, keyhold.Invalid(errs...)
	}
	return q, nil
}

// maxFilterLen caps a filter's value, and its name, in characters: every
// value a filter can match is shorter (names and descriptions 250, label
// keys and values 63), and a longer one only makes the database work.
const maxFilterLen = 256

// maxPageNumber caps page[number]: with page[size] at most 1000, every
// offset stays far below what the databases accept.
const maxPageNumber = 1 << 30

// pageParam reads page[size] or page[number]: given once, an integer from
// 1 to max. A number too large for any integer type is refused as above
// the maximum, not as no integer.
func pageParam(v url.Values, name string, max int, bad func(keyhold.FieldError)) (int, bool) {
	vs := v[name]
	if len(vs) == 0 || vs[0] == "" && len(vs) == 1 {
		return 0, false
	}
	if len(vs) > 1 {
		bad(keyhold.FieldError{Field: name, Reason: "must be given once", Rule: "invalid"})
		return 0, false
	}
	n, err := strconv.Atoi(vs[0])
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(vs[0], "-"), err == nil && n > max:
		bad(keyhold.FieldError{Field: name, Reason: "must be at most " + strconv.Itoa(max), Rule: "max", Maximum: keyhold.Int64(int64(max))})
	case err != nil && !errors.Is(err, strconv.ErrRange):
		bad(keyhold.FieldError{Field: name, Reason: "must be an integer", Rule: "is_integer"})
	case err != nil || n < 1:
		bad(keyhold.FieldError{Field: name, Reason: "must be at least 1", Rule: "min", Minimum: keyhold.Int64(1)})
	default:
		return n, true
	}
	return 0, false
}

// splitFilter splits "filter[name][op]" or "filter[name]".
func splitFilter(key string) (field, op string, ok bool) {
	rest := strings.TrimPrefix(key, "filter[")
	i := strings.IndexByte(rest, ']')
	if i <= 0 {
		return "", "", false
	}
	field, rest = rest[:i], rest[i+1:]
	if rest == "" {
		return field, "", true
	}
	if !strings.HasPrefix(rest, "[") || !strings.HasSuffix(rest, "]") || len(rest) < 3 {
		return "", "", false
	}
	return field, rest[1 : len(rest)-1], true
}

// addFilter records one filter; it returns why it is refused, or "".
func (q *query) addFilter(spec filterSpec, field, op, value string) string {
	// PostgreSQL refuses such parameters outright, which would be a 500.
	if s := field + value; !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "must be valid UTF-8 without NUL characters"
	}
	if key, ok := strings.CutPrefix(field, "labels."); ok {
		if _, allowed := spec["labels"]; !allowed || key == "" {
			return "is not a supported filter"
		}
		switch op {
		case "", keyhold.OpEq, keyhold.OpContains, keyhold.OpExists:
		default:
			return "[" + op + "] is not a supported filter operation"
		}
		if op == "" {
			op = keyhold.OpEq
		}
		q.labels = append(q.labels, keyhold.LabelFilter{Key: key, Op: op, Value: value})
		return ""
	}
	kind, ok := spec[field]
	if !ok || kind == filterLabels {
		return "is not a supported filter"
	}
	allowed := map[filterKind][]string{
		filterString: {"", keyhold.OpEq, keyhold.OpContains},
		filterEq:     {"", keyhold.OpEq},
		filterBool:   {"", keyhold.OpEq},
		filterTime:   {"gte", "lt"},
	}[kind]
	found := false
	for _, a := range allowed {
		found = found || a == op
	}
	if !found {
		return "[" + op + "] is not a supported filter operation"
	}
	if op == "" {
		op = keyhold.OpEq
	}
	// One operator per field, as Konnect's filter schemas allow: with two,
	// the later would silently replace the earlier.
	if _, dup := q.filters[field]; dup && kind != filterTime {
		return "only one operator may be given for a filter field"
	}
	switch kind {
	case filterBool:
		if value != "true" && value != "false" {
			return "must be true or false"
		}
	case filterTime:
		if _, err := time.Parse(time.RFC3339Nano, value); err != nil {
			return "must be an RFC 3339 date-time"
		}
	}
	q.filters[field+"/"+op] = parsedFilter{op: op, value: value}
	if kind != filterTime {
		q.filters[field] = parsedFilter{op: op, value: value}
	}
	return ""
}

// str returns a string filter on field, or nil.
func (q *query) str(field string) *keyhold.StringFilter {
	f, ok := q.filters[field]
	if !ok {
		return nil
	}
	return &keyhold.StringFilter{Op: f.op, Value: f.value}
}

// eq returns an exact-match filter value on field, or nil.
func (q *query) eq(field string) *string {
	f, ok := q.filters[field]
	if !ok {
		return nil
	}
	return &f.value
}

func (q *query) boolean(field string) *bool {
	f, ok := q.filters[field]
	if !ok {
		return nil
	}
	b := f.value == "true"
	return &b
}

func (q *query) time(field, op string) *time.Time {
	f, ok := q.filters[field+"/"+op]
	if !ok {
		return nil
	}
	t, _ := time.Parse(time.RFC3339Nano, f.value)
	t = t.UTC()
	return &t
}
