package ldapserver

import (
	"fmt"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
	"github.com/keyhold/keyhold"
)

// parseFilter turns a filter in RFC 4515 text (gldap hands the search's
// filter over as text, written by go-ldap's DecompileFilter) into a
// keyhold.Filter for the service. go-ldap's CompileFilter parses it; this
// only walks the result.
func parseFilter(text string) (*keyhold.Filter, error) {
	p, err := ldap.CompileFilter(text)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return fromBER(p)
}

func fromBER(p *ber.Packet) (*keyhold.Filter, error) {
	str := func(q *ber.Packet) string {
		if s, ok := q.Value.(string); ok {
			return s
		}
		return q.Data.String()
	}
	pair := func(op keyhold.FilterOp) (*keyhold.Filter, error) {
		if len(p.Children) != 2 {
			return nil, fmt.Errorf("filter: %s needs an attribute and a value", op)
		}
		return &keyhold.Filter{Op: op, Attr: str(p.Children[0]), Value: str(p.Children[1])}, nil
	}
	switch p.Tag {
	case ldap.FilterAnd, ldap.FilterOr, ldap.FilterNot:
		op := map[ber.Tag]keyhold.FilterOp{ldap.FilterAnd: keyhold.FilterAnd, ldap.FilterOr: keyhold.FilterOr,
			ldap.FilterNot: keyhold.FilterNot}[p.Tag]
		if len(p.Children) == 0 || (op == keyhold.FilterNot && len(p.Children) != 1) {
			return nil, fmt.Errorf("filter: bad %s", op)
		}
		f := &keyhold.Filter{Op: op}
		for _, c := range p.Children {
			cf, err := fromBER(c)
			if err != nil {
				return nil, err
			}
			f.Children = append(f.Children, cf)
		}
		return f, nil
	case ldap.FilterEqualityMatch:
		return pair(keyhold.FilterEqual)
	case ldap.FilterGreaterOrEqual:
		return pair(keyhold.FilterGreater)
	case ldap.FilterLessOrEqual:
		return pair(keyhold.FilterLess)
	case ldap.FilterApproxMatch:
		return pair(keyhold.FilterApprox)
	case ldap.FilterPresent:
		return &keyhold.Filter{Op: keyhold.FilterPresent, Attr: str(p)}, nil
	case ldap.FilterSubstrings:
		if len(p.Children) != 2 {
			return nil, fmt.Errorf("filter: bad substrings")
		}
		f := &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: str(p.Children[0])}
		for _, c := range p.Children[1].Children {
			switch c.Tag {
			case ldap.FilterSubstringsInitial:
				f.Initial = str(c)
			case ldap.FilterSubstringsAny:
				f.Any = append(f.Any, str(c))
			case ldap.FilterSubstringsFinal:
				f.Final = str(c)
			}
		}
		return f, nil
	case ldap.FilterExtensibleMatch:
		// The service refuses extensible matches (unwillingToPerform); the
		// attribute and value are kept for its message and its audit.
		f := &keyhold.Filter{Op: keyhold.FilterExtensible}
		for _, c := range p.Children {
			switch c.Tag {
			case ldap.MatchingRuleAssertionType:
				f.Attr = str(c)
			case ldap.MatchingRuleAssertionMatchValue:
				f.Value = str(c)
			}
		}
		return f, nil
	}
	return nil, fmt.Errorf("filter: unknown filter kind %d", p.Tag)
}
