package bench

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// soakSeries is one line of a panel: a name and a value per sample.
type soakSeries struct {
	name  string
	value func(i int) float64 // of the i-th sample
}

// WritePNG draws the run as four stacked panels over time, the warm-up
// shaded: the server's RSS and heap in use (MiB); its goroutines and open
// descriptors; the decisions' p50, p99 and p99.9 (µs, log scale); and the
// operations per second of each kind. The plotting library is the
// benchmark's alone: the server links none of it (deps_test.go).
func (r *SoakResult) WritePNG(w io.Writer) error {
	if len(r.Samples) == 0 {
		return errors.New("soak plot: no samples")
	}
	ss := r.Samples
	mib := func(v float64) float64 { return v / (1 << 20) }
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	// rate is a count over its interval, from the sample before.
	rate := func(n func(SoakSample) int64) func(int) float64 {
		return func(i int) float64 {
			from := time.Duration(0)
			if i > 0 {
				from = ss[i-1].At
			}
			return float64(n(ss[i])) / (ss[i].At - from).Seconds()
		}
	}
	panels := []struct {
		title, ylabel string
		log           bool
		series        []soakSeries
	}{
		{"Server memory", "MiB", false, []soakSeries{
			{"RSS", func(i int) float64 { return mib(ss[i].RSS) }},
			{"heap in use", func(i int) float64 { return mib(ss[i].Heap) }}}},
		{"Server goroutines and open descriptors", "count", false, []soakSeries{
			{"goroutines", func(i int) float64 { return ss[i].Goroutines }},
			{"open fds", func(i int) float64 { return ss[i].FDs }}}},
		{"Decision latency per interval (client side)", "µs", true, []soakSeries{
			{"p50", func(i int) float64 { return us(ss[i].P50) }},
			{"p99", func(i int) float64 { return us(ss[i].P99) }},
			{"p99.9", func(i int) float64 { return us(ss[i].P999) }}}},
		{"Operations per second", "ops/s", true, []soakSeries{
			{"decisions", rate(func(s SoakSample) int64 { return s.Decisions })},
			{"reads", rate(func(s SoakSample) int64 { return s.Reads })},
			{"writes", rate(func(s SoakSample) int64 { return s.Writes })},
			{"errors", rate(func(s SoakSample) int64 { return s.Errors })}}},
	}
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.title
		p.X.Label.Text = "seconds since start (warm-up shaded)"
		p.Y.Label.Text = pn.ylabel
		p.Legend.Top, p.Legend.Left = true, true
		lo, hi := math.Inf(1), math.Inf(-1)
		var lines []*plotter.Line
		var names []string
		for j, se := range pn.series {
			var xys plotter.XYs
			for i, s := range ss {
				v := se.value(i)
				if pn.log && v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					continue // a log scale has no place for zero
				}
				xys = append(xys, plotter.XY{X: s.At.Seconds(), Y: v})
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return fmt.Errorf("soak plot: %w", err)
			}
			l.LineStyle.Color, l.LineStyle.Width = plotutil.Color(j), vg.Points(1.2)
			lines, names = append(lines, l), append(names, se.name)
		}
		if len(lines) == 0 {
			lo, hi = 1, 10
		}
		if pn.log {
			p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		} else {
			lo = math.Min(lo, 0)
		}
		if hi <= lo {
			hi = lo + 1
		}
		p.Y.Min, p.Y.Max = lo, hi
		p.X.Min, p.X.Max = 0, r.Samples[len(r.Samples)-1].At.Seconds()
		if r.Warmup > 0 {
			shade, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: lo}, {X: r.Warmup.Seconds(), Y: lo},
				{X: r.Warmup.Seconds(), Y: hi}, {X: 0, Y: hi}})
			if err != nil {
				return fmt.Errorf("soak plot: %w", err)
			}
			shade.Color, shade.LineStyle.Width = color.Gray{Y: 225}, 0
			p.Add(shade)
		}
		p.Add(plotter.NewGrid())
		for k, l := range lines {
			p.Add(l)
			p.Legend.Add(names[k], l)
		}
		plots[i] = []*plot.Plot{p}
	}
	img := vgimg.New(vg.Points(900), vg.Points(260*float64(len(panels))))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("soak plot: %w", err)
	}
	return nil
}
