package dn

import (
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want DN
	}{
		{"", DN{}},
		{"cn=nas,ou=users,dc=keyhold,dc=local", DN{{{"cn", "nas"}}, {{"ou", "users"}}, {{"dc", "keyhold"}}, {{"dc", "local"}}}},
		{"CN=Nas, OU=Users ,dc = keyhold", DN{{{"CN", "Nas"}}, {{"OU", "Users"}}, {{"dc", "keyhold"}}}},
		{`cn=a\,b\+c\"d\\e\<f\>g\;h\=i,dc=x`, DN{{{"cn", `a,b+c"d\e<f>g;h=i`}}, {{"dc", "x"}}}},
		{`cn=\ lead\#,dc=x`, DN{{{"cn", " lead#"}}, {{"dc", "x"}}}},
		{`cn=\#hash`, DN{{{"cn", "#hash"}}}},
		{`cn=trail\ `, DN{{{"cn", "trail "}}}},
		{`cn=trail\  `, DN{{{"cn", "trail "}}}},
		{`cn=a=b`, DN{{{"cn", "a=b"}}}},
		{`cn=caf\C3\A9`, DN{{{"cn", "café"}}}},
		{`cn=x+uid=y,dc=z`, DN{{{"cn", "x"}, {"uid", "y"}}, {{"dc", "z"}}}},
		{`entryUUID=0a4a8ccf-9ad6-4b0b-8a0b-d4c0e6f0f2a1`, DN{{{"entryUUID", "0a4a8ccf-9ad6-4b0b-8a0b-d4c0e6f0f2a1"}}}},
		{`2.5.4.3=x`, DN{{{"2.5.4.3", "x"}}}},
		{`cn=`, DN{{{"cn", ""}}}},
	} {
		got, err := Parse(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"cn", "=x", "cn=x,", "1cn=x", "cn=a\\", `cn=\zz`, `cn=\4`, `cn=a"b`, "cn=a<b", "cn=#04024869",
		`cn=\FF`, "c n=x", "2..5=x", "cn=x,,dc=y", "cn=a\x00b"} {
		if d, err := Parse(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %#v, %v; want a syntax error", bad, d, err)
		}
	}
}

func TestEscapeValue(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             "plain",
		`a,b+c"d\e<f>g;h=i`: `a\,b\+c\"d\\e\<f\>g\;h\=i`,
		" lead":             `\ lead`,
		"#hash":             `\#hash`,
		"mid#dle":           "mid#dle",
		"trail ":            `trail\ `,
		" ":                 `\ `,
		"a\x00b":            `a\00b`,
		"café":              "café",
	} {
		if got := EscapeValue(in); got != want {
			t.Errorf("EscapeValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormal(t *testing.T) {
	a, _ := Normalize("CN=Nas , OU=Users,DC=Keyhold,DC=Local")
	b, _ := Normalize("cn=nas,ou=users,dc=keyhold,dc=local")
	if a != b || a != "cn=nas,ou=users,dc=keyhold,dc=local" {
		t.Fatalf("%q != %q", a, b)
	}
	x, _ := Normalize("uid=y+cn=x")
	y, _ := Normalize("CN=X+UID=Y")
	if x != y {
		t.Fatalf("multi-valued RDNs: %q != %q", x, y)
	}
}

// FuzzParseDN: Parse never panics; what it parses, String writes so that
// Parse reads it back the same; and any UTF-8 value escaped reads back as
// itself.
func FuzzParseDN(f *testing.F) {
	for _, s := range []string{"cn=nas,ou=users,dc=keyhold,dc=local", `cn=a\,b\+c\"d\\e\<f\>g\;h\=i`, `cn=\ x\ `, "cn=x+uid=y", `cn=\C3\A9`, "", "cn= x ,dc=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err == nil {
			again, err := Parse(d.String())
			if err != nil || !reflect.DeepEqual(again, d) {
				t.Fatalf("Parse(%q) = %#v; its String %q parses as %#v, %v", s, d, d.String(), again, err)
			}
		}
		if utf8.ValidString(s) {
			d, err := Parse("cn=" + EscapeValue(s))
			if err != nil || len(d) != 1 || len(d[0]) != 1 || d[0][0].Value != s {
				t.Fatalf("escaped %q parses as %#v, %v", s, d, err)
			}
		}
	})
}
