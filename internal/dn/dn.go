// Package dn parses and writes LDAP distinguished names (RFC 4514), for
// the directory: bind DNs and search bases are parsed, and every DN the
// directory answers with is written with its values escaped.
//
// It is small and careful rather than complete: a value written as a
// hexstring (#04…, a BER encoding) is refused, since no keyhold name is
// one. Clients commonly put spaces after commas and around "="; those
// unescaped spaces are ignored, as OpenLDAP and go-ldap ignore them.
package dn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// AVA is one attribute type and value of an RDN: the type as written, the
// value unescaped.
type AVA struct {
	Type, Value string
}

// RDN is a relative distinguished name: one or more AVAs joined by "+".
type RDN []AVA

// DN is a distinguished name, its most specific RDN first. The empty DN
// (the RootDSE) has no RDN.
type DN []RDN

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid DN syntax")

func syntax(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, args...)...)
}

// Parse parses s. The empty string is the empty DN.
func Parse(s string) (DN, error) {
	if strings.TrimSpace(s) == "" {
		return DN{}, nil
	}
	if !utf8.ValidString(s) {
		return nil, syntax("not UTF-8")
	}
	var out DN
	var rdn RDN
	i := 0
	for {
		ava, next, sep, err := parseAVA(s, i)
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, ava)
		i = next
		switch sep {
		case '+':
			continue
		case ',', ';', 0:
			out = append(out, rdn)
			rdn = nil
		}
		if sep == 0 {
			return out, nil
		}
	}
}

// parseAVA reads type=value from s[i:] and returns the index after the
// separator that ends it ('+', ',' or ';'; 0 at the end of s).
func parseAVA(s string, i int) (AVA, int, byte, error) {
	eq := strings.IndexByte(s[i:], '=')
	if eq < 0 {
		return AVA{}, 0, 0, syntax("%q has no \"=\"", s[i:])
	}
	typ := strings.TrimSpace(s[i : i+eq])
	if !validType(typ) {
		return AVA{}, 0, 0, syntax("%q is not an attribute type", typ)
	}
	i += eq + 1
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i < len(s) && s[i] == '#' {
		return AVA{}, 0, 0, syntax("hexstring values are not supported")
	}
	var b strings.Builder
	lastKept := 0 // length of b up to its last escaped byte, which trailing-space trimming keeps
	for i < len(s) {
		c := s[i]
		switch c {
		case ',', ';', '+':
			v, err := finish(b.String(), lastKept)
			return AVA{Type: typ, Value: v}, i + 1, c, err
		case '\\':
			if i+1 >= len(s) {
				return AVA{}, 0, 0, syntax("a value ends with a lone \"\\\"")
			}
			switch n := s[i+1]; {
			case isHex(n):
				if i+2 >= len(s) || !isHex(s[i+2]) {
					return AVA{}, 0, 0, syntax("\\%c is not a pair of hex digits", n)
				}
				b.WriteByte(unhex(n)<<4 | unhex(s[i+2]))
				i += 3
			case strings.IndexByte(` "#+,;<=>\`, n) >= 0:
				b.WriteByte(n)
				i += 2
			default:
				return AVA{}, 0, 0, syntax("\\%c is not an escape", n)
			}
			lastKept = b.Len()
		case '"', '<', '>', 0:
			return AVA{}, 0, 0, syntax("%q must be escaped in a value", c)
		default:
			b.WriteByte(c)
			i++
		}
	}
	v, err := finish(b.String(), lastKept)
	return AVA{Type: typ, Value: v}, len(s), 0, err
}

// finish drops a value's unescaped trailing spaces (those after its last
// escaped byte, at kept) and checks that its escapes made UTF-8.
func finish(v string, kept int) (string, error) {
	t := strings.TrimRight(v, " ")
	if len(t) < kept {
		t = v[:kept]
	}
	if !utf8.ValidString(t) {
		return "", syntax("an escaped value is not UTF-8")
	}
	return t, nil
}

// validType: a descr (a letter, then letters, digits and hyphens) or a
// numeric OID.
func validType(t string) bool {
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" || len(part) > 1 && part[0] == '0' {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || (c < '0' || c > '9') && c != '-') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// EscapeValue escapes an attribute value for a DN string (RFC 4514 §2.4):
// a leading space or "#", a trailing space, and every ", + \" \\ < > ; ="
// get a backslash, NUL is written \00.
func EscapeValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == 0:
			b.WriteString(`\00`)
			continue
		case strings.IndexByte(`,+"\<>;=`, c) >= 0,
			i == 0 && (c == ' ' || c == '#'),
			i == len(v)-1 && c == ' ':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// String writes d with its values escaped, types as they are.
func (d DN) String() string {
	rdns := make([]string, len(d))
	for i, r := range d {
		avas := make([]string, len(r))
		for j, a := range r {
			avas[j] = a.Type + "=" + EscapeValue(a.Value)
		}
		rdns[i] = strings.Join(avas, "+")
	}
	return strings.Join(rdns, ",")
}

// Normal is d in the form two DNs of the directory compare in: types and
// values in lower case, the AVAs of each RDN sorted. The directory's
// values all compare ignoring case (caseIgnoreMatch).
func (d DN) Normal() string {
	n := make(DN, len(d))
	for i, r := range d {
		nr := make(RDN, len(r))
		for j, a := range r {
			nr[j] = AVA{Type: strings.ToLower(a.Type), Value: strings.ToLower(a.Value)}
		}
		slices.SortFunc(nr, func(x, y AVA) int { return strings.Compare(x.Type+"="+x.Value, y.Type+"="+y.Value) })
		n[i] = nr
	}
	return n.String()
}

// Normalize parses s and returns its normal form.
func Normalize(s string) (string, error) {
	d, err := Parse(s)
	if err != nil {
		return "", err
	}
	return d.Normal(), nil
}
