package keyhold

import (
	"crypto/sha256"
	"hash/crc32"
	"math/big"
	"net/netip"
	"strings"
	"testing"
)

// referenceParse is ParseTokenValue written the obvious way, with the
// standard library's CRC32 and big-number base62: the fast parser must
// agree with it on every input.
func referenceParse(v string) (TokenKind, bool) {
	for _, k := range []TokenKind{TokenKindSystemAccount, TokenKindPersonal} {
		body, ok := strings.CutPrefix(v, k.Prefix())
		if !ok {
			continue
		}
		if len(body) != tokenBodyLen || strings.Trim(body, base62Alphabet) != "" {
			return "", false
		}
		cut := len(v) - tokenChecksumLen
		if tokenChecksum(v[:cut]) != v[cut:] {
			return "", false
		}
		return k, true
	}
	return "", false
}

// formatToken builds a token of kind k from 32 random bytes, as
// GenerateTokenValue does with bytes from crypto/rand.
func formatToken(k TokenKind, random [32]byte) string {
	r := base62(new(big.Int).SetBytes(random[:]), tokenRandomLen)
	return k.Prefix() + r + tokenChecksum(k.Prefix()+r)
}

// FuzzParseTokenValue holds the token parser to a reference parser on any
// string, and checks that every token built from any 32 random bytes
// parses, re-formats to itself, and stops parsing when any one byte
// changes (CRC32 detects every error within one byte).
func FuzzParseTokenValue(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string, random []byte, pos uint16, repl byte) {
		kind, ok := ParseTokenValue(v)
		rkind, rok := referenceParse(v)
		if ok != rok || kind != rkind {
			t.Fatalf("ParseTokenValue(%q) = %q, %v; the reference parser says %q, %v", v, kind, ok, rkind, rok)
		}
		if got, want := ^crcUpdate(^uint32(0), v), crc32.ChecksumIEEE([]byte(v)); got != want {
			t.Fatalf("crcUpdate(%q) = %08x, want %08x", v, got, want)
		}
		if got, want := TokenDigestArray(v), sha256.Sum256([]byte(v)); got != want {
			t.Fatalf("TokenDigestArray(%q) differs from SHA-256", v)
		}
		if ok {
			// Re-formatting the parsed token yields the same string.
			cut := len(v) - tokenChecksumLen
			if again := v[:cut] + tokenChecksum(v[:cut]); again != v {
				t.Fatalf("%q re-formats to %q", v, again)
			}
		}

		var b [32]byte
		copy(b[:], random)
		k := TokenKindSystemAccount
		if len(random)%2 == 1 {
			k = TokenKindPersonal
		}
		tok := formatToken(k, b)
		if got, ok := ParseTokenValue(tok); !ok || got != k {
			t.Fatalf("ParseTokenValue(%q) = %q, %v; want %q", tok, got, ok, k)
		}
		if len(tok) != len(k.Prefix())+tokenBodyLen {
			t.Fatalf("%q has length %d", tok, len(tok))
		}
		i := int(pos) % len(tok)
		if tok[i] == repl {
			return
		}
		changed := tok[:i] + string([]byte{repl}) + tok[i+1:]
		if got, ok := ParseTokenValue(changed); ok {
			t.Fatalf("%q (byte %d of %q changed) parses as %q", changed, i, tok, got)
		}
	})
}

// FuzzParseCIDR checks that a parsed network is masked, contains the
// address it was given, and reads back to itself from its own string; and
// that a refused string is neither a prefix nor a zoneless address.
func FuzzParseCIDR(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParseCIDR(s)
		prefix, perr := netip.ParsePrefix(s)
		addr, aerr := netip.ParseAddr(s)
		if !ok {
			if perr == nil || (aerr == nil && addr.Zone() == "") {
				t.Fatalf("ParseCIDR(%q) refused a prefix or an address", s)
			}
			return
		}
		if !p.IsValid() || p != p.Masked() {
			t.Fatalf("ParseCIDR(%q) = %v, not a valid masked prefix", s, p)
		}
		switch {
		case perr == nil:
			if p != prefix.Masked() || !p.Contains(prefix.Addr().WithZone("")) {
				t.Fatalf("ParseCIDR(%q) = %v, want %v containing %v", s, p, prefix.Masked(), prefix.Addr())
			}
		case aerr == nil:
			if addr.Zone() != "" || p.Bits() != addr.BitLen() || !p.Contains(addr) || p.Addr() != addr {
				t.Fatalf("ParseCIDR(%q) = %v, want the single address %v", s, p, addr)
			}
		default:
			t.Fatalf("ParseCIDR(%q) = %v, but it is neither a prefix nor an address", s, p)
		}
		if again, ok := ParseCIDR(p.String()); !ok || again != p {
			t.Fatalf("ParseCIDR(%q) = %v; its string %q reads back as %v, %v", s, p, p.String(), again, ok)
		}
	})
}
