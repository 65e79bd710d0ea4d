// Package gctune keeps the garbage collector from running needlessly often
// while the live heap is small.
//
// The GC starts a cycle when the heap has grown by GOGC percent of the live
// heap. keyhold's live heap is mostly its decision index: tens of megabytes
// or less for a small organization, while every request leaves a few
// hundred bytes of garbage. At GOGC=100 and a 10 MiB live heap the GC then
// runs many times a second, and its fixed costs show in the CPU each request
// takes. gctune raises GOGC after each cycle so that the next one starts no
// sooner than a fixed headroom of garbage has accumulated, and lowers it
// back to 100 as the live heap grows past that headroom, where the default
// is right. It is the same idea as a heap ballast, without one.
//
// An operator's GOGC or GOMEMLIMIT in the environment wins: gctune does
// nothing when GOGC is set, and the memory limit stays in force either way.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultHeadroom is the garbage allowed to accumulate between cycles
// while the live heap is smaller than it.
const DefaultHeadroom = 64 << 20

// maxPercent bounds GOGC however small the live heap.
const maxPercent = 2000

// Start tunes GOGC after every GC cycle until the returned stop is called.
// With GOGC set in the environment it does nothing.
func Start(headroom uint64) (stop func()) {
	if os.Getenv("GOGC") != "" || headroom == 0 {
		return func() {}
	}
	t := &tuner{headroom: headroom, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		debug.SetGCPercent(100)
	}
}

type tuner struct {
	headroom uint64
	mu       sync.Mutex // orders stop against a finalizer's tuning
	stopped  bool
	percent  int
	sample   []metrics.Sample
}

// arm sets a finalizer on a fresh object: it runs after the next cycle
// finds the object unreachable, and arms the next one.
func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{t}, func(s *sentinel) {
		s.t.mu.Lock()
		defer s.t.mu.Unlock()
		if s.t.stopped {
			return
		}
		s.t.tune()
		s.t.arm()
	})
}

type sentinel struct{ t *tuner }

func (t *tuner) tune() {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	p := Percent(t.sample[0].Value.Uint64(), t.headroom)
	if p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
}

// Percent is the GOGC that lets headroom bytes of garbage accumulate over
// a live heap of live bytes: at least 100, at most maxPercent, rounded to
// a multiple of 25 so that a live heap moving a little does not retune.
func Percent(live, headroom uint64) int {
	if live == 0 {
		return maxPercent
	}
	p := headroom * 100 / live
	p = p / 25 * 25
	return int(min(max(p, 100), maxPercent))
}
