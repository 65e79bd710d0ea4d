package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"
)

// scanFrame is one open object or array of the document being scanned.
type scanFrame struct {
	object bool
	keys   map[string]struct{} // the object's keys so far
	key    string              // the object's current key
	index  int                 // the array's current index
}

// scanJSON finds what encoding/json accepts silently in a valid JSON
// document: a key repeated within one object (the last would win) and a
// \u escape of an unpaired UTF-16 surrogate (it would become U+FFFD). It
// returns the field at fault, e.g. "labels.env" or "scope[1].role_name",
// with the reason, or "" when there is none. raw must be valid JSON.
func scanJSON(raw []byte) (field, reason string) {
	var stack []scanFrame
	expectKey := false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{':
			stack = append(stack, scanFrame{object: true})
			expectKey = true
		case '[':
			stack = append(stack, scanFrame{})
			expectKey = false
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			if top := &stack[len(stack)-1]; top.object {
				expectKey = true
			} else {
				top.index++
			}
		case '"':
			end, ok := stringEnd(raw, i)
			if !ok {
				return scanPath(stack), "must not contain an unpaired UTF-16 surrogate escape"
			}
			if expectKey {
				expectKey = false
				top := &stack[len(stack)-1]
				key := string(raw[i+1 : end])
				if strings.IndexByte(key, '\\') >= 0 {
					_ = json.Unmarshal(raw[i:end+1], &key)
				}
				if _, dup := top.keys[key]; dup {
					top.key = key
					return scanPath(stack), "appears more than once"
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				top.keys[key] = struct{}{}
				top.key = key
			}
			i = end
		}
	}
	return "", ""
}

// stringEnd returns the index of the quote that closes the string opening
// at raw[start], and false if the string escapes an unpaired surrogate.
func stringEnd(raw []byte, start int) (int, bool) {
	for i := start + 1; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			return i, true
		case '\\':
			if raw[i+1] != 'u' {
				i++
				continue
			}
			switch r := hex4(raw[i+2 : i+6]); {
			case r >= 0xD800 && r < 0xDC00:
				if i+12 > len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
					return 0, false
				}
				if low := hex4(raw[i+8 : i+12]); low < 0xDC00 || low >= 0xE000 {
					return 0, false
				}
				i += 11
			case r >= 0xDC00 && r < 0xE000:
				return 0, false
			default:
				i += 5
			}
		}
	}
	return len(raw) - 1, true
}

func hex4(b []byte) int {
	n, _ := strconv.ParseUint(string(b), 16, 16)
	return int(n)
}

// scanPath names the current position, e.g. "scope[1].role_name".
func scanPath(stack []scanFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.object {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}
