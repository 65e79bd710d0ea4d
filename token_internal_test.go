package keyhold

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

func TestCRCMatchesStdlib(t *testing.T) {
	for n := 0; n < 100; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rand.IntN(256))
		}
		if got, want := ^crcUpdate(^uint32(0), string(b)), crc32.ChecksumIEEE(b); got != want {
			t.Fatalf("len %d: %08x, want %08x", n, got, want)
		}
	}
}
