package keyhold_test

import (
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

func TestTokenValue(t *testing.T) {
	seen := map[string]bool{}
	for _, kind := range []keyhold.TokenKind{keyhold.TokenKindSystemAccount, keyhold.TokenKindPersonal} {
		for i := 0; i < 200; i++ {
			v, err := keyhold.GenerateTokenValue(kind)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v, kind.Prefix()) || len(v) != len(kind.Prefix())+49 {
				t.Fatalf("bad shape %q", v)
			}
			if got, ok := keyhold.ParseTokenValue(v); !ok || got != kind {
				t.Fatalf("ParseTokenValue(%q) = %q, %v", v, got, ok)
			}
			if seen[v] {
				t.Fatalf("duplicate %q", v)
			}
			seen[v] = true
		}
	}
}

func TestTokenValueRejectsGarbage(t *testing.T) {
	v, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	flipped := []byte(v)
	if flipped[10] == 'a' {
		flipped[10] = 'b'
	} else {
		flipped[10] = 'a'
	}
	for _, bad := range []string{"", "spat_", "spat_" + strings.Repeat("0", 49), string(flipped), v + "x", "xpat_" + v[5:], strings.Replace(v, v[8:9], "!", 1)} {
		if _, ok := keyhold.ParseTokenValue(bad); ok {
			t.Errorf("ParseTokenValue(%q) accepted garbage", bad)
		}
	}
}

func TestParseAndDigestDoNotAllocate(t *testing.T) {
	v, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := keyhold.ParseTokenValue(v); !ok {
			t.Fatal("refused")
		}
		_ = keyhold.TokenDigestArray(v)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per parse and digest, want 0", allocs)
	}
	if d := keyhold.TokenDigestArray(v); string(d[:]) != string(keyhold.TokenDigest(v)) {
		t.Error("digest forms disagree")
	}
}
