package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{0, 64 * mib, maxPercent},
		{1 * mib, 64 * mib, maxPercent}, // 6400% capped
		{8 * mib, 64 * mib, 800},        // 64 MiB of garbage over 8 MiB live
		{10 * mib, 64 * mib, 625},       // rounded down to a multiple of 25
		{64 * mib, 64 * mib, 100},       // at the headroom: the default
		{1024 * mib, 64 * mib, 100},     // never below the default
		{30 * mib, 64 * mib, 200},       // 213 → 200
	} {
		if got := Percent(c.live, c.headroom); got != c.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", c.live/mib, c.headroom/mib, got, c.want)
		}
	}
}

// After a GC cycle, GOGC reflects the live heap; stopping restores 100.
func TestStartTunesAfterACycle(t *testing.T) {
	t.Setenv("GOGC", "")
	stop := Start(DefaultHeadroom)
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		runtime.Gosched()
		if p := debug.SetGCPercent(-1); p > 100 {
			debug.SetGCPercent(p)
			break
		} else {
			debug.SetGCPercent(p)
		}
		if time.Now().After(deadline) {
			t.Fatal("GOGC was not raised over a small live heap")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("after stop GOGC = %d, want 100", p)
	}
}

func TestStartLeavesAnOperatorsGOGC(t *testing.T) {
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	defer debug.SetGCPercent(100)
	stop := Start(DefaultHeadroom)
	defer stop()
	runtime.GC()
	runtime.GC()
	if p := debug.SetGCPercent(50); p != 50 {
		t.Errorf("GOGC = %d with GOGC=50 in the environment, want 50", p)
	}
}
