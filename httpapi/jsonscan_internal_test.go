package httpapi

import (
	"encoding/json"
	"testing"
)

// scanJSON finds repeated keys at any depth, and escaped unpaired
// surrogates, and nothing in documents that have neither.
func TestScanJSON(t *testing.T) {
	for _, c := range []struct{ doc, field, reason string }{
		{`{}`, "", ""},
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, "", ""},
		{`{"a":[{},"x",{},"x"],"b":["a","a"]}`, "", ""},
		{`{"a":{},"b":"a","c":"b"}`, "", ""},
		{`{"a":"\"a\"","\"a\"":1}`, "", ""},
		{`{"e":"\ud83d\ude00 \u00e9 \\ud800"}`, "", ""},
		{`{"a":1,"a":2}`, "a", "appears more than once"},
		{`{"a":1,"\u0061":2}`, "a", "appears more than once"},
		{`{"l":{"k":"x","k":"y"}}`, "l.k", "appears more than once"},
		{`{"s":[{"r":1},{"r":1,"r":2}]}`, "s[1].r", "appears more than once"},
		{`{"s":[[],{"x":{}},{"q":[1,{"z":1,"z":2}]}]}`, "s[2].q[1].z", "appears more than once"},
		{`{"n":"\ud800"}`, "n", "must not contain an unpaired UTF-16 surrogate escape"},
		{`{"n":"\ud800\u0041"}`, "n", "must not contain an unpaired UTF-16 surrogate escape"},
		{`{"n":["ok","\udfff"]}`, "n[1]", "must not contain an unpaired UTF-16 surrogate escape"},
	} {
		if !json.Valid([]byte(c.doc)) {
			t.Fatalf("test document %s is not JSON", c.doc)
		}
		field, reason := scanJSON([]byte(c.doc))
		if field != c.field || reason != c.reason {
			t.Errorf("%s: %q %q, want %q %q", c.doc, field, reason, c.field, c.reason)
		}
	}
}
