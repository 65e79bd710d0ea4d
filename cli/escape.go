package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"

	"github.com/keyhold/keyhold"
)

// What the server holds reaches a terminal only escaped, whatever the
// server let in (docs/cli.md): control characters could move the cursor,
// retitle the window or clear the screen, and invisible or bidirectional
// formatting characters could make a name read other than it is. Each is
// written as a visible escape: \t, \n and \r, \x1b for the other C0
// controls and for bytes that are not UTF-8; \u007f for DEL, the C1
// controls and the characters of keyhold.Hidden. The \u forms are valid in
// JSON strings and in YAML's double-quoted scalars too, where they decode
// to the same value, so the same escaping keeps -o json and -o yaml exact:
// neither encoder writes a C0 control or a byte that is not UTF-8 raw.

// unsafeRune reports whether r is escaped; tabs and line feeds are not
// when keepLayout is set.
func unsafeRune(r rune, keepLayout bool) bool {
	if keepLayout && (r == '\t' || r == '\n') {
		return false
	}
	return keyhold.Control(r) || keyhold.Hidden(r)
}

// needsEscape reports whether escape would change s.
func needsEscape(s string, keepLayout bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r, keepLayout) {
			return true
		}
		i += n
	}
	return false
}

// escape returns s with its unsafe characters, and every byte that is not
// UTF-8, escaped; s itself when it has none.
func escape(s string, keepLayout bool) string {
	if !needsEscape(s, keepLayout) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafeRune(r, keepLayout):
			b.WriteString(s[i : i+n])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// clean escapes one value for a table cell or a line of text, line breaks
// and tabs included, so that a value cannot forge another row or line.
func clean(s string) string { return escape(s, false) }

// cleanArgs cleans the strings among args, for a format of the CLI's own.
func cleanArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = clean(s)
		}
		out[i] = a
	}
	return out
}

// escaper is the CLI's standard output and standard error: every write is
// escaped but for the tabs and line feeds the CLI lays its output out
// with, so that no print path can pass a control character through. A
// write is escaped on its own; the CLI writes whole lines, and a character
// split across two writes would be escaped as the bytes it was cut into,
// not passed through.
type escaper struct{ w io.Writer }

func (e escaper) Write(p []byte) (int, error) {
	s := string(p)
	if !needsEscape(s, true) {
		return e.w.Write(p)
	}
	if _, err := io.WriteString(e.w, escape(s, true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// quoteUnsafe marks every scalar of a YAML document that holds a character
// escape would change as double-quoted: the encoder writes the invisible
// formatting characters as they are, and only in a double-quoted scalar
// does their escape, which the escaper then writes, mean the same value.
func quoteUnsafe(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && needsEscape(n.Value, true) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteUnsafe(c)
	}
}
