package authz

import (
	"encoding/binary"
	"math/bits"
	"runtime"
)

// slot is one token in the table: exactly one 64-byte cache line, so that
// a lookup at a million tokens costs one miss for the token instead of the
// two or three a map of pointers costs. A slot is in use when owner is set;
// the token's kind follows from its owner's type.
//
// A slot holds no pointer: the owner is an index into Index.owners, so
// that the garbage collector never scans the table, which at a million
// tokens is most of the heap.
type slot struct {
	digest  [32]byte
	id      [16]byte // the token's UUID
	owner   uint32   // 1 + the owner's index in Index.owners; 0 marks a free slot
	expires uint32   // seconds since epoch2020, rounded down; 0 never
	issued  uint32   // seconds since epoch2020; the top bit is restrictedBit
	// used is when a decision last reported a use of the token to be
	// recorded (seconds since epoch2020; 0 never). Decisions read and
	// write it atomically under the read lock.
	used uint32
}

// epoch2020 offsets the 32-bit second counts of slots (good until 2156).
const epoch2020 = 1577836800

// table is an open-addressing hash table keyed by token digest, with
// linear probing and backward-shift deletion (no tombstones). Digests are
// SHA-256 outputs of random tokens, so their first bytes are a uniform
// hash that no one can steer.
type table struct {
	slots []slot
	n     int
	// mem holds the mapping behind slots (slots_linux.go); a cleanup
	// returns it when the table is garbage, and grow returns each one it
	// replaces at once.
	mem *mapping
}

// mapping is the memory behind a table's slots, nil from the Go heap.
type mapping struct{ b []byte }

const (
	minTableSize = 1024
	maxLoadNum   = 3 // grow when n > 3/4 of the slots
	maxLoadDen   = 4
)

func newTable() *table {
	t := &table{mem: &mapping{}}
	t.slots, t.mem.b = newSlots(minTableSize)
	runtime.AddCleanup(t, func(m *mapping) { freeSlots(m.b) }, t.mem)
	return t
}

// home maps a digest onto the table with a multiply-shift, so that the
// table size need not be a power of two.
func (t *table) home(d *[32]byte) int {
	h := binary.LittleEndian.Uint64(d[:8])
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

func (t *table) find(d *[32]byte) *slot {
	n := len(t.slots)
	for i := t.home(d); ; i++ {
		if i == n {
			i = 0
		}
		s := &t.slots[i]
		if s.owner == 0 {
			return nil
		}
		if s.digest == *d {
			return s
		}
	}
}

// put inserts or replaces; it returns the previous slot value and whether
// there was one. A replaced slot keeps its used stamp, so that changing a
// token does not report its next use again.
func (t *table) put(v slot) (slot, bool) {
	if (t.n+1)*maxLoadDen > len(t.slots)*maxLoadNum {
		t.grow()
	}
	n := len(t.slots)
	for i := t.home(&v.digest); ; i++ {
		if i == n {
			i = 0
		}
		s := &t.slots[i]
		if s.owner == 0 {
			*s = v
			t.n++
			return slot{}, false
		}
		if s.digest == v.digest {
			old := *s
			v.used = old.used
			*s = v
			return old, true
		}
	}
}

// remove deletes a digest, shifting the rest of its cluster back so that
// every remaining key stays reachable from its home.
func (t *table) remove(d *[32]byte) (slot, bool) {
	n := len(t.slots)
	i := t.home(d)
	for ; ; i++ {
		if i == n {
			i = 0
		}
		if t.slots[i].owner == 0 {
			return slot{}, false
		}
		if t.slots[i].digest == *d {
			break
		}
	}
	old := t.slots[i]
	j := i
	for {
		t.slots[i] = slot{}
		for {
			j++
			if j == n {
				j = 0
			}
			if t.slots[j].owner == 0 {
				t.n--
				return old, true
			}
			h := t.home(&t.slots[j].digest)
			// Move slot j into the hole at i unless its home lies
			// cyclically in (i, j].
			if (i <= j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
				break
			}
		}
		t.slots[i] = t.slots[j]
		i = j
	}
}

func (t *table) grow() {
	old, oldMem := t.slots, t.mem.b
	t.slots, t.mem.b = newSlots(len(old)*3/2 + 1)
	t.n = 0
	for i := range old {
		if old[i].owner != 0 {
			t.put(old[i])
		}
	}
	freeSlots(oldMem)
}

func (t *table) len() int { return t.n }
