package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The soak's tolerances. A series after the warm-up is flat when its
// least-squares line changes by at most FlatPerHour of the series' mean
// per hour, or when the change that line makes over the measured window
// is within NoiseSigmas standard deviations of the samples around it (the
// slope is within the noise). Goroutines and descriptors, small integers,
// are also flat when their range after the warm-up is at most
// GoroutineRange and FDRange: a connection more or less is not a leak.
// The per-interval p99 of decisions is stable under the same rule as RSS.
const (
	FlatPerHour    = 0.05
	NoiseSigmas    = 2.0
	GoroutineRange = 10
	FDRange        = 5
	// minVerdictSamples is the fewest samples after the warm-up that a
	// verdict is drawn from.
	minVerdictSamples = 3
)

// Trend is the least-squares line of one series after the warm-up.
type Trend struct {
	Name             string
	N                int
	Mean, Min, Max   float64
	SlopePerHour     float64 // units per hour
	PercentPerHour   float64 // of the mean, per hour
	Drift, Residual  float64 // the line's change over the window; the samples' standard deviation around it
	Flat             bool
	Range            float64 // a range within which the series is flat whatever its slope; 0: none
	formatMiB, asDur bool
}

// SoakVerdict is the run's acceptance: no errors, RSS, goroutines and
// descriptors flat after the warm-up, p99 stable.
type SoakVerdict struct {
	Errors                   int64
	RSS, Heap, Goroutines    Trend
	FDs, P99                 Trend
	P99MaxOverMin            float64
	TooFew                   bool // fewer than minVerdictSamples after the warm-up
	OK                       bool
	Decisions, Reads, Writes int64
}

// Verdict judges a run.
func (r *SoakResult) Verdict() SoakVerdict {
	var xs []float64
	var rss, heap, gor, fds, p99 []float64
	for _, s := range r.Samples {
		if s.At <= r.Warmup {
			continue
		}
		xs = append(xs, s.At.Hours())
		rss, heap, gor, fds = append(rss, s.RSS), append(heap, s.Heap), append(gor, s.Goroutines), append(fds, s.FDs)
		p99 = append(p99, float64(s.P99))
	}
	v := SoakVerdict{Errors: r.Errors, Decisions: r.Decisions, Reads: r.Reads, Writes: r.Writes}
	v.RSS = trend("RSS", xs, rss, 0)
	v.RSS.formatMiB = true
	v.Heap = trend("heap in use", xs, heap, 0)
	v.Heap.formatMiB = true
	v.Goroutines = trend("goroutines", xs, gor, GoroutineRange)
	v.FDs = trend("open descriptors", xs, fds, FDRange)
	v.P99 = trend("decision p99", xs, p99, 0)
	v.P99.asDur = true
	if v.P99.Min > 0 {
		v.P99MaxOverMin = v.P99.Max / v.P99.Min
	}
	v.TooFew = len(xs) < minVerdictSamples
	v.OK = v.Errors == 0 && !v.TooFew && v.RSS.Flat && v.Goroutines.Flat && v.FDs.Flat && v.P99.Flat
	return v
}

// trend fits y = a + b·x by least squares, x in hours.
func trend(name string, xs, ys []float64, flatRange float64) Trend {
	t := Trend{Name: name, N: len(xs), Range: flatRange}
	if len(xs) == 0 {
		return t
	}
	t.Min, t.Max = ys[0], ys[0]
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
		t.Min, t.Max = math.Min(t.Min, ys[i]), math.Max(t.Max, ys[i])
	}
	n := float64(len(xs))
	mx, my = mx/n, my/n
	t.Mean = my
	var sxx, sxy float64
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
	}
	if sxx > 0 {
		t.SlopePerHour = sxy / sxx
	}
	var ss float64
	for i := range xs {
		e := ys[i] - (my + t.SlopePerHour*(xs[i]-mx))
		ss += e * e
	}
	if len(xs) > 2 {
		t.Residual = math.Sqrt(ss / (n - 2))
	}
	t.Drift = t.SlopePerHour * (xs[len(xs)-1] - xs[0])
	if t.Mean != 0 {
		t.PercentPerHour = 100 * t.SlopePerHour / math.Abs(t.Mean)
	}
	t.Flat = math.Abs(t.PercentPerHour) <= 100*FlatPerHour ||
		math.Abs(t.Drift) <= NoiseSigmas*t.Residual ||
		(flatRange > 0 && t.Max-t.Min <= flatRange)
	return t
}

func (t Trend) value(v float64) string {
	switch {
	case t.formatMiB:
		return fmt.Sprintf("%.1fMiB", v/(1<<20))
	case t.asDur:
		return round(time.Duration(v)).String()
	}
	return fmt.Sprintf("%.0f", v)
}

func (t Trend) String() string { return t.line("flat", "NOT FLAT") }

// line prints the trend, with ok or bad as its judgement.
func (t Trend) line(ok, bad string) string {
	word := bad
	if t.Flat {
		word = ok
	}
	return fmt.Sprintf("%-17s %-8s mean %s, min %s, max %s; slope %s/h (%+.1f%% of the mean per hour), drift %s over the window vs scatter ±%s",
		t.Name+":", word, t.value(t.Mean), t.value(t.Min), t.value(t.Max), signed(t.value(t.SlopePerHour)), t.PercentPerHour,
		signed(t.value(t.Drift)), t.value(t.Residual))
}

func signed(s string) string {
	if strings.HasPrefix(s, "-") {
		return s
	}
	return "+" + s
}

// String prints the verdict for a reader, and a last line of key=value
// pairs for scripts.
func (v SoakVerdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "operations: %d decisions, %d reads, %d writes; errors: %d\n", v.Decisions, v.Reads, v.Writes, v.Errors)
	if v.TooFew {
		fmt.Fprintf(&b, "too few samples after the warm-up for a verdict (%d, want %d or more)\n", v.RSS.N, minVerdictSamples)
	}
	for _, t := range []Trend{v.RSS, v.Goroutines, v.FDs} {
		fmt.Fprintln(&b, t)
	}
	fmt.Fprintf(&b, "%s; max/min %.2f\n", v.P99.line("stable", "UNSTABLE"), v.P99MaxOverMin)
	fmt.Fprintf(&b, "%s (not judged)\n", v.Heap)
	word := "PASS"
	if !v.OK {
		word = "FAIL"
	}
	fmt.Fprintf(&b, "verdict: %s\n", word)
	fmt.Fprintf(&b, "result ok=%t errors=%d samples=%d rss_pct_per_h=%.2f goroutines_pct_per_h=%.2f fds_pct_per_h=%.2f heap_pct_per_h=%.2f p99_pct_per_h=%.2f p99_max_over_min=%.2f rss_flat=%t goroutines_flat=%t fds_flat=%t p99_stable=%t\n",
		v.OK, v.Errors, v.RSS.N, v.RSS.PercentPerHour, v.Goroutines.PercentPerHour, v.FDs.PercentPerHour, v.Heap.PercentPerHour,
		v.P99.PercentPerHour, v.P99MaxOverMin, v.RSS.Flat, v.Goroutines.Flat, v.FDs.Flat, v.P99.Flat)
	return b.String()
}
