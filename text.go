package keyhold

import (
	"strings"
	"unicode"
)

// Hidden reports whether r is one of the invisible format characters that
// names and descriptions refuse and the CLI escapes: the zero-width space
// (U+200B), the word joiner (U+2060), the byte order mark (U+FEFF) and the
// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which can make text read other than it is. The
// zero-width non-joiner and joiner (U+200C, U+200D) are not among them:
// Persian, the Indic scripts and emoji sequences need them.
func Hidden(r rune) bool {
	switch {
	case r == 0x200B, r == 0x2060, r == 0xFEFF:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Control reports whether r is in the Unicode category Cc: C0 (U+0000–
// U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
func Control(r rune) bool { return unicode.IsControl(r) }

// FoldID returns an id in lower case. keyhold's ids, and the entity ids of
// role assignments, are UUIDs, accepted in any case and compared in lower
// case. Only ASCII letters fold, as a UUID has no other. s itself is
// returned, without allocating, when it has no upper-case letter.
func FoldID(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			var b strings.Builder // one allocation
			b.Grow(len(s))
			b.WriteString(s[:i])
			for ; i < len(s); i++ {
				c := s[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
			return b.String()
		}
	}
	return s
}
