package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"image"
	_ "image/png"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A short soak against an in-process server: every kind of operation
// happens, none fails, and the CSV and the PNG hold the samples.
func TestSoakSmoke(t *testing.T) {
	url, admin, _ := seedDB(t, 10)
	s := startStack(t, url, 100*time.Millisecond)
	var out, progress bytes.Buffer
	res, err := Soak(context.Background(), SoakConfig{URL: s.server.URL, Admin: admin, Duration: 8 * time.Second,
		Sample: time.Second, Warmup: 2 * time.Second, Concurrency: 4, Accounts: 5, CSV: &out, Progress: &progress})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if res.Errors != 0 {
		t.Errorf("%d errors: %q", res.Errors, res.FirstErrors)
	}
	if res.Decisions == 0 || res.Reads == 0 || res.Writes == 0 || res.Allowed == 0 || res.Denied == 0 {
		t.Errorf("decisions %d (%d allowed, %d denied), reads %d, writes %d; want some of each",
			res.Decisions, res.Allowed, res.Denied, res.Reads, res.Writes)
	}
	if res.Mints == 0 || res.Rotations == 0 || res.Deletions == 0 {
		t.Errorf("%d mints, %d rotations, %d deletions; want some of each", res.Mints, res.Rotations, res.Deletions)
	}

	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 7 || len(rows) > 10 || strings.Join(rows[0], ",") != strings.Join(SoakCSVHeader, ",") {
		t.Fatalf("%d CSV rows, header %q; want 7 to 9 samples under %q", len(rows), rows[0], SoakCSVHeader)
	}
	for _, row := range rows[1:] {
		for _, col := range []string{"rss_bytes", "goroutines", "fds", "heap_bytes", "decisions", "p50_us", "p99_us"} {
			j := indexOf(SoakCSVHeader, col)
			if v, err := strconv.ParseFloat(row[j], 64); err != nil || v <= 0 {
				t.Errorf("row %q: %s is %q, want positive", row, col, row[j])
			}
		}
		if row[indexOf(SoakCSVHeader, "errors")] != "0" {
			t.Errorf("row %q has errors", row)
		}
	}

	var png bytes.Buffer
	if err := res.WritePNG(&png); err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(&png)
	if err != nil || format != "png" || cfg.Width < 600 || cfg.Height < 600 {
		t.Errorf("plot: %s %dx%d (%v); want a PNG of 600x600 or more", format, cfg.Width, cfg.Height, err)
	}
	v := res.Verdict()
	if v.Errors != 0 || v.TooFew || !strings.Contains(v.String(), "result ok=") {
		t.Errorf("verdict:\n%s", v)
	}
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	panic("no column " + x)
}

// The verdict tells a flat run from a leaking one, and leaves the warm-up
// out.
func TestSoakVerdict(t *testing.T) {
	run := func(rss, goroutines, fds func(i int) float64, errors int64) SoakVerdict {
		r := &SoakResult{Warmup: 2 * time.Minute, Errors: errors}
		for i := range 180 { // 30 minutes, a sample every 10 s
			r.Samples = append(r.Samples, SoakSample{At: time.Duration(i+1) * 10 * time.Second,
				RSS: rss(i), Goroutines: goroutines(i), FDs: fds(i), Heap: 20 << 20,
				P99: time.Millisecond + time.Duration(i%3)*100*time.Microsecond})
		}
		return r.Verdict()
	}
	// RSS noisy around 100 MiB, goroutines and descriptors steady; the
	// warm-up climbs from nothing.
	noisy := func(i int) float64 {
		if i < 12 {
			return float64(i) * 8 * (1 << 20)
		}
		return 100<<20 + float64((i*7919)%11-5)*(1<<20)
	}
	steady := func(n float64) func(int) float64 {
		return func(i int) float64 {
			if i < 12 {
				return float64(i)
			}
			return n + float64(i%2)
		}
	}
	leak := func(base, perSample float64) func(int) float64 {
		return func(i int) float64 { return base + perSample*float64(i) }
	}
	if v := run(noisy, steady(40), steady(12), 0); !v.OK {
		t.Errorf("a flat run fails:\n%s", v)
	}
	if v := run(noisy, steady(40), steady(12), 1); v.OK {
		t.Errorf("a run with an error passes:\n%s", v)
	}
	// 0.2 MiB per sample: 72 MiB an hour over 100 MiB.
	if v := run(leak(100<<20, 0.2*(1<<20)), steady(40), steady(12), 0); v.OK || v.RSS.Flat {
		t.Errorf("an RSS leak passes:\n%s", v)
	}
	// A goroutine a minute.
	if v := run(noisy, leak(40, 1.0/6), steady(12), 0); v.OK || v.Goroutines.Flat {
		t.Errorf("a goroutine leak passes:\n%s", v)
	}
	if v := run(noisy, steady(40), leak(12, 0.25), 0); v.OK || v.FDs.Flat {
		t.Errorf("a descriptor leak passes:\n%s", v)
	}
	short := &SoakResult{Warmup: time.Minute, Samples: []SoakSample{{At: 2 * time.Minute, RSS: 1}}}
	if v := short.Verdict(); v.OK || !v.TooFew {
		t.Errorf("a run of one sample after the warm-up passes:\n%s", v)
	}
}

func TestParseMetrics(t *testing.T) {
	text := "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 42\n" +
		"go_gc_duration_seconds{quantile=\"0\"} 1e-05\nprocess_open_fds 9\nprocess_resident_memory_bytes 1.2345e+07\n"
	m, err := parseMetrics(strings.NewReader(text), "go_goroutines", "process_open_fds", "process_resident_memory_bytes")
	if err != nil || m["go_goroutines"] != 42 || m["process_open_fds"] != 9 || m["process_resident_memory_bytes"] != 12345000 {
		t.Errorf("%v, %v", m, err)
	}
	if _, err := parseMetrics(strings.NewReader(text), "go_memstats_heap_inuse_bytes"); err == nil ||
		!strings.Contains(err.Error(), "no metric go_memstats_heap_inuse_bytes") {
		t.Errorf("a missing metric: %v", err)
	}
}
