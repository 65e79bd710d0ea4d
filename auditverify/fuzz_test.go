package auditverify_test

import (
	"bytes"
	"testing"

	"github.com/keyhold/keyhold/auditverify"
)

// A bundle is untrusted input: whatever it holds, reading and verifying it
// never panics, and a bundle that verifies has a valid checkpoint.
func FuzzVerifyBundle(f *testing.F) {
	f.Add([]byte(`{"version":1,"size":1,"leaves":[{"seq":0,"leaf_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","event":null}],"checkpoints":[{"checkpoint":"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o AAAA\n"}]}`))
	f.Add([]byte(`{"version":1,"size":-5,"leaves":[{"seq":-1}]}`))
	f.Add([]byte(`{"version":1,"filter":"x","pages":[{"data":[{"seq":3,"changes":{"a":{"before":1}}}],"audit_log":{"checkpoint":"x","size":9,"inclusion":[{"seq":3,"proof":["zz"]}]}}]}`))
	f.Add([]byte(`{"version":1,"size":3,"keys":[{"verifier_key":"a+b+c"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := auditverify.ReadBundle(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if b.Size > 1<<16 {
			return // a claimed size is allocated for; bounded by what a test may hold
		}
		r := auditverify.Verify(b, auditverify.Options{Trusted: raw})
		if r.OK() && r.ValidCheckpoints == 0 {
			t.Fatal("verified without a valid checkpoint")
		}
	})
}
