// Package metrics exposes keyhold's Prometheus metrics: decisions by
// surface and outcome with their latency, HTTP requests by route and
// status, the size of the decision index, the lag of the change feed,
// background job runs, and database pool statistics.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics implements service.Observer and httpapi.RequestObserver.
type Metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	lag       prometheus.Histogram
	jobs      *prometheus.CounterVec
	// The label children of the per-request metrics, so that a request
	// costs one map load instead of hashing labels into each vector.
	decisionChildren sync.Map // decisionKey → decisionChild
	requestChildren  sync.Map // requestKey → requestChild
	// The children used last: a busy gateway asks the same thing over and
	// over, and a comparison is cheaper than hashing an interface key.
	lastDecision atomic.Pointer[keyedDecision]
	lastRequest  atomic.Pointer[keyedRequest]
}

type keyedDecision struct {
	key decisionKey
	decisionChild
}

type keyedRequest struct {
	key requestKey
	requestChild
}

type decisionKey struct{ surface, outcome string }

type decisionChild struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

type requestKey struct {
	route, method string
	status        int
}

type requestChild struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// New registers every metric in a registry of its own, with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keyhold_decisions_total", Help: "Authorization decisions by surface and outcome.",
	}, []string{"surface", "outcome"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "keyhold_decision_duration_seconds", Help: "Time to decide, in process, by surface.",
		Buckets: []float64{250e-9, 500e-9, 1e-6, 2e-6, 5e-6, 10e-6, 50e-6, 250e-6, 1e-3, 10e-3},
	}, []string{"surface"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keyhold_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "keyhold_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 4, 9),
	}, []string{"route"})
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "keyhold_index_change_lag_seconds", Help: "Time from a change's commit to its arrival in this replica's index.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30},
	})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keyhold_background_job_runs_total", Help: "Runs of single-run background jobs claimed by this replica.",
	}, []string{"job"})
	m.reg.MustRegister(m.decisions, m.latency, m.requests, m.duration, m.lag, m.jobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Decision implements service.Observer.
func (m *Metrics) Decision(surface, outcome string, took time.Duration) {
	k := decisionKey{surface, outcome}
	var dc decisionChild
	if last := m.lastDecision.Load(); last != nil && last.key == k {
		dc = last.decisionChild
	} else {
		c, ok := m.decisionChildren.Load(k)
		if !ok {
			c, _ = m.decisionChildren.LoadOrStore(k, decisionChild{
				count: m.decisions.WithLabelValues(surface, outcome), latency: m.latency.WithLabelValues(surface)})
		}
		dc = c.(decisionChild)
		m.lastDecision.Store(&keyedDecision{k, dc})
	}
	dc.count.Inc()
	dc.latency.Observe(took.Seconds())
}

// IndexLag implements service.Observer.
func (m *Metrics) IndexLag(d time.Duration) { m.lag.Observe(max(d, 0).Seconds()) }

// JobRun implements service.Observer.
func (m *Metrics) JobRun(name string) { m.jobs.WithLabelValues(name).Inc() }

// Request implements httpapi.RequestObserver.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{route, method, status}
	var rc requestChild
	if last := m.lastRequest.Load(); last != nil && last.key == k {
		rc = last.requestChild
	} else {
		c, ok := m.requestChildren.Load(k)
		if !ok {
			c, _ = m.requestChildren.LoadOrStore(k, requestChild{
				count: m.requests.WithLabelValues(route, method, strconv.Itoa(status)), duration: m.duration.WithLabelValues(route)})
		}
		rc = c.(requestChild)
		m.lastRequest.Store(&keyedRequest{k, rc})
	}
	rc.count.Inc()
	rc.duration.Observe(took.Seconds())
}

// Index registers gauges of what the decision index holds.
func (m *Metrics) Index(sizes func() (tokens, principals, teams, tableBytes int)) {
	gauge := func(name, help string, pick func(a, b, c, d int) int) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			a, b, c, d := sizes()
			return float64(pick(a, b, c, d))
		}))
	}
	gauge("keyhold_index_tokens", "Tokens in the decision index.", func(a, _, _, _ int) int { return a })
	gauge("keyhold_index_principals", "Users and system accounts in the decision index.", func(_, b, _, _ int) int { return b })
	gauge("keyhold_index_teams", "Teams in the decision index.", func(_, _, c, _ int) int { return c })
	gauge("keyhold_index_table_bytes", "Bytes of the decision index's token table, which on Linux lives outside the Go heap (it counts in process_resident_memory_bytes, not in go_memstats_*).",
		func(_, _, _, d int) int { return d })
}

// TLS registers the state of the served certificate: its expiry, and how
// many pairs were loaded and how many reloads failed since the start.
func (m *Metrics) TLS(state func() (notAfter time.Time, loads, failures int64)) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "keyhold_tls_certificate_expiry_timestamp_seconds",
			Help: "When the served TLS certificate expires, in seconds since the Unix epoch."},
			func() float64 { t, _, _ := state(); return float64(t.Unix()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "keyhold_tls_certificate_loads_total",
			Help: "TLS certificate pairs put in service, the first one included."},
			func() float64 { _, n, _ := state(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "keyhold_tls_reload_failures_total",
			Help: "TLS certificate reloads that failed, leaving the previous pair in service."},
			func() float64 { _, _, n := state(); return float64(n) }))
}

// DB registers the statistics of a database pool under a name.
func (m *Metrics) DB(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
