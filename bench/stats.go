package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Distribution is a sorted set of durations.
type Distribution []time.Duration

// NewDistribution sorts d in place and returns it.
func NewDistribution(d []time.Duration) Distribution {
	slices.Sort(d)
	return Distribution(d)
}

// Percentile returns the nearest-rank p-th percentile, 0 < p ≤ 100; zero
// for an empty distribution.
func (d Distribution) Percentile(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// Min is the smallest duration.
func (d Distribution) Min() time.Duration { return d.Percentile(0) }

// Max is the largest duration.
func (d Distribution) Max() time.Duration { return d.Percentile(100) }

// Summary prints min, p50, p90, p99 and max.
func (d Distribution) Summary() string {
	return fmt.Sprintf("min=%s p50=%s p90=%s p99=%s max=%s", round(d.Min()), round(d.Percentile(50)),
		round(d.Percentile(90)), round(d.Percentile(99)), round(d.Max()))
}

// Histogram draws the distribution as rows of a log-scale histogram, for a
// reader to see its shape rather than five numbers.
func (d Distribution) Histogram() string {
	if len(d) == 0 {
		return ""
	}
	var b strings.Builder
	lo := time.Microsecond * 100
	for bound := lo; ; bound *= 2 {
		n := 0
		for _, x := range d {
			if x < bound && (bound == lo || x >= bound/2) {
				n++
			}
		}
		from := "0"
		if bound != lo {
			from = round(bound / 2).String()
		}
		if n > 0 {
			fmt.Fprintf(&b, "  [%8s, %8s) %5d %s\n", from, round(bound), n, strings.Repeat("#", (n*60+len(d)-1)/len(d)))
		}
		if bound > d.Max() {
			break
		}
	}
	return b.String()
}

// round keeps three significant figures or so, for printing.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}
