package keyhold_test

import (
	"testing"

	"github.com/keyhold/keyhold"
)

// A change's values are canonical JSON: a struct's fields and a map's keys
// sorted, no HTML escaping, so that a verifier that decodes and encodes
// an event again rebuilds the same leaf; an unchanged field is left out.
func TestChangesAreCanonical(t *testing.T) {
	type role struct {
		Z string `json:"z"`
		A string `json:"a"`
	}
	c := keyhold.Changes{}.Add("role", nil, role{Z: "<z>", A: "a&"}).Add("same", "x", "x").Add("labels", map[string]string{}, map[string]string{"b": "1", "a": "2"})
	if len(c) != 2 {
		t.Fatalf("changes = %v, want role and labels only", c)
	}
	if got := string(c["role"].After); got != `{"a":"a&","z":"<z>"}` {
		t.Errorf("role after = %s", got)
	}
	if got := string(c["role"].Before); got != `null` {
		t.Errorf("role before = %s", got)
	}
	if got := string(c["labels"].After); got != `{"a":"2","b":"1"}` {
		t.Errorf("labels after = %s", got)
	}
	for field, ch := range c {
		for _, v := range [][]byte{ch.Before, ch.After} {
			canon, err := keyhold.CanonicalJSON(v)
			if err != nil || string(canon) != string(v) {
				t.Errorf("%s: %s is not canonical (%s, %v)", field, v, canon, err)
			}
		}
	}
}
