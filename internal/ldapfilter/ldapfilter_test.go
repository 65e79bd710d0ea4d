package ldapfilter_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/ldapfilter"
)

func TestMatch(t *testing.T) {
	e := keyhold.DirectoryEntry{DN: "cn=nas,ou=users,dc=keyhold,dc=local", Attributes: []keyhold.DirectoryAttribute{
		{Name: "objectClass", Values: []string{"top", "posixAccount"}},
		{Name: "cn", Values: []string{"NAS-Box"}},
		{Name: "uidNumber", Values: []string{"2010"}},
		{Name: "memberOf", Values: []string{"cn=Ops,ou=groups,dc=keyhold,dc=local"}},
		{Name: "description", Values: []string{"Straße"}},
	}}
	eq := func(a, v string) *keyhold.Filter { return &keyhold.Filter{Op: keyhold.FilterEqual, Attr: a, Value: v} }
	for _, c := range []struct {
		name string
		f    *keyhold.Filter
		want bool
	}{
		{"nil matches", nil, true},
		{"equality ignores case of name and value", eq("OBJECTCLASS", "POSIXACCOUNT"), true},
		{"equality", eq("cn", "nas"), false},
		{"approx is equality", &keyhold.Filter{Op: keyhold.FilterApprox, Attr: "cn", Value: "nas-box"}, true},
		{"numbers as numbers", eq("uidNumber", " 2010"), true},
		{"numbers are not strings", eq("uidNumber", "02010"), true},
		{"ge numeric", &keyhold.Filter{Op: keyhold.FilterGreater, Attr: "uidNumber", Value: "999"}, true},
		{"le numeric", &keyhold.Filter{Op: keyhold.FilterLess, Attr: "uidNumber", Value: "999"}, false},
		{"a number that is none", &keyhold.Filter{Op: keyhold.FilterGreater, Attr: "uidNumber", Value: "x"}, false},
		{"DN values as DNs", eq("memberOf", "CN=ops, OU=groups,dc=keyhold,dc=local"), true},
		{"present", &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "memberof"}, true},
		{"absent", &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "mail"}, false},
		{"substrings", &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: "cn", Initial: "na", Any: []string{"S-"}, Final: "box"}, true},
		{"substrings in order", &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: "cn", Initial: "box"}, false},
		{"substrings past a non-ASCII letter", &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: "description", Any: []string{"STRASSE", "ß"}}, false},
		{"substrings with a non-ASCII any", &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: "description", Initial: "str", Any: []string{"ẞ"}, Final: "e"}, true},
		{"and", &keyhold.Filter{Op: keyhold.FilterAnd, Children: []*keyhold.Filter{eq("cn", "nas-box"), eq("uidNumber", "2010")}}, true},
		{"or", &keyhold.Filter{Op: keyhold.FilterOr, Children: []*keyhold.Filter{eq("cn", "x"), eq("uidNumber", "2010")}}, true},
		{"not", &keyhold.Filter{Op: keyhold.FilterNot, Children: []*keyhold.Filter{eq("cn", "nas-box")}}, false},
	} {
		if got := ldapfilter.Entry(c.f, e); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	deep := &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "cn"}
	for range ldapfilter.MaxDepth + 1 {
		deep = &keyhold.Filter{Op: keyhold.FilterNot, Children: []*keyhold.Filter{deep}}
	}
	for _, c := range []struct {
		name string
		f    *keyhold.Filter
		code string
	}{
		{"extensible", &keyhold.Filter{Op: keyhold.FilterExtensible, Attr: "cn"}, keyhold.EUNWILLING},
		{"not with two", &keyhold.Filter{Op: keyhold.FilterNot, Children: []*keyhold.Filter{{Op: keyhold.FilterPresent, Attr: "a"}, {Op: keyhold.FilterPresent, Attr: "b"}}}, keyhold.EINVALID},
		{"no attribute", &keyhold.Filter{Op: keyhold.FilterEqual}, keyhold.EINVALID},
		{"unknown kind", &keyhold.Filter{Op: "fuzzy", Attr: "cn"}, keyhold.EINVALID},
		{"too deep", deep, keyhold.EINVALID},
		{"fine", &keyhold.Filter{Op: keyhold.FilterAnd, Children: []*keyhold.Filter{{Op: keyhold.FilterPresent, Attr: "cn"}}}, ""},
	} {
		if got := keyhold.ErrorCode(ldapfilter.Check(c.f)); got != c.code {
			t.Errorf("%s: %q, want %q", c.name, got, c.code)
		}
	}
}
