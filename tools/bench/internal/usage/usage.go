// Package usage samples what a benchmark costs the machine while it runs: the
// CPU time and resident set of the stack's processes (the launcher, which
// embeds NATS, and the services it started), the CPU time of every PostgreSQL
// process, and the consumer and outbox backlogs the services report on their
// ops /metrics. The bench prints the summary beside its figures.
package usage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/procfs"
)

// Process is one process's (or, for postgres, all its processes') use of the
// machine over the sampled window.
type Process struct {
	Name string
	// CPU is the CPU time used in the window as a percentage of one core.
	CPU float64
	// PeakRSS is the highest resident set seen, in bytes (0: not sampled, as
	// for postgres, whose shared memory would be counted once per backend).
	PeakRSS uint64
}

// Summary is what a Sampler saw. CPU of processes that ended during the
// window (a short-lived Postgres backend) is not counted.
type Summary struct {
	Window    time.Duration
	Processes []Process // highest CPU first
	// PeakPending is the highest NumPending seen per durable consumer.
	PeakPending map[string]float64
	// PeakOutbox is the highest outbox backlog seen per service.
	PeakOutbox map[string]float64
	// CPUSeconds is the CPU time all sampled processes used in the window.
	CPUSeconds float64
	// Statements is the SQL statements each service sent in the window
	// (whistle_sql_statements_total on its ops endpoint), by service name.
	Statements map[string]float64
	// Lateness is how late the SLA breach timers that fired in the window
	// were (the whistle_timer_lateness histogram, on the services' clock).
	Lateness Histogram
	// TimeScale is how many times faster than real time the services' clock
	// ran (WHISTLE_TIME_SCALE; 0 or 1: real time); Lines reports lateness in
	// real seconds.
	TimeScale float64
}

// Histogram is a cumulative histogram: Counts[i] observations ≤ Bounds[i].
type Histogram struct {
	Bounds []float64
	Counts []float64
}

// Total is the number of observations.
func (h Histogram) Total() float64 {
	if len(h.Counts) == 0 {
		return 0
	}
	return h.Counts[len(h.Counts)-1]
}

// Quantile is the upper bound of the bucket that holds quantile q (the
// observations are known only to lie at or under it), or +Inf above the
// last bound.
func (h Histogram) Quantile(q float64) float64 {
	want := q * h.Total()
	for i, c := range h.Counts {
		if c >= want && c > 0 {
			return h.Bounds[i]
		}
	}
	return math.Inf(1)
}

// minus is h − earlier, bucket by bucket (earlier has the same bounds or none).
func (h Histogram) minus(earlier Histogram) Histogram {
	out := Histogram{Bounds: h.Bounds, Counts: slices.Clone(h.Counts)}
	if len(earlier.Counts) == len(h.Counts) {
		for i := range out.Counts {
			out.Counts[i] -= earlier.Counts[i]
		}
	}
	return out
}

// histogramOf sums every series of a histogram family (e.g. all clocks).
func histogramOf(f *dto.MetricFamily) Histogram {
	var h Histogram
	for _, m := range f.GetMetric() {
		buckets := m.GetHistogram().GetBucket()
		if h.Bounds == nil {
			for _, b := range buckets {
				h.Bounds = append(h.Bounds, b.GetUpperBound())
			}
			h.Bounds = append(h.Bounds, math.Inf(1))
			h.Counts = make([]float64, len(h.Bounds))
		}
		if len(buckets)+1 != len(h.Bounds) {
			continue // another bucket layout: not comparable
		}
		for i, b := range buckets {
			h.Counts[i] += float64(b.GetCumulativeCount())
		}
		h.Counts[len(buckets)] += float64(m.GetHistogram().GetSampleCount())
	}
	return h
}

// Sampler samples until Stop.
type Sampler struct {
	fs       procfs.FS
	root     int
	rootName string
	// postmaster is the stack's database server's main process (0: count
	// every postgres process).
	postmaster int
	ops        []string // base URLs of the services' ops endpoints
	every      time.Duration
	cancel     context.CancelFunc
	done       chan struct{}

	mu      sync.Mutex
	start   time.Time
	first   map[string]float64 // CPU seconds at the first sample, by name
	last    map[string]float64
	peakRSS map[string]uint64
	pending map[string]float64
	outbox  map[string]float64
	// statements holds each ops endpoint's first and last statement count.
	stmtFirst, stmtLast map[string]float64
	// lateFirst and lateLast are each endpoint's timer lateness histogram.
	lateFirst, lateLast map[string]Histogram
}

// Start samples every interval the process root (named rootName in the
// summary) and its descendants, the postgres processes of the server whose
// postmaster is postmaster (0: every postgres process on the machine), and
// the ops endpoints at opsAddrs (host:port).
func Start(root int, rootName string, postmaster int, opsAddrs []string, every time.Duration) (*Sampler, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sampler{
		fs: fs, root: root, rootName: rootName, postmaster: postmaster, every: every, cancel: cancel, done: make(chan struct{}),
		first: map[string]float64{}, last: map[string]float64{}, peakRSS: map[string]uint64{},
		pending: map[string]float64{}, outbox: map[string]float64{},
		stmtFirst: map[string]float64{}, stmtLast: map[string]float64{},
		lateFirst: map[string]Histogram{}, lateLast: map[string]Histogram{},
	}
	for _, a := range opsAddrs {
		s.ops = append(s.ops, "http://"+a+"/metrics")
	}
	s.sample(ctx)
	go s.run(ctx)
	return s, nil
}

func (s *Sampler) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sample(ctx)
		}
	}
}

// Stop takes a last sample and returns the summary.
func (s *Sampler) Stop() Summary {
	s.cancel()
	<-s.done
	s.sample(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{Window: time.Since(s.start), PeakPending: s.pending, PeakOutbox: s.outbox, Statements: map[string]float64{}}
	for name, last := range s.stmtLast {
		sum.Statements[name] = last - s.stmtFirst[name]
	}
	for name, last := range s.lateLast {
		d := last.minus(s.lateFirst[name])
		if sum.Lateness.Bounds == nil {
			sum.Lateness = Histogram{Bounds: d.Bounds, Counts: make([]float64, len(d.Counts))}
		}
		if len(d.Counts) == len(sum.Lateness.Counts) {
			for i := range d.Counts {
				sum.Lateness.Counts[i] += d.Counts[i]
			}
		}
	}
	for name, end := range s.last {
		sum.CPUSeconds += end - s.first[name]
		p := Process{Name: name, PeakRSS: s.peakRSS[name]}
		if w := sum.Window.Seconds(); w > 0 {
			p.CPU = 100 * (end - s.first[name]) / w
		}
		sum.Processes = append(sum.Processes, p)
	}
	slices.SortFunc(sum.Processes, func(a, b Process) int { return cmp.Compare(b.CPU, a.CPU) })
	return sum
}

// sample reads every process once and every ops endpoint once.
func (s *Sampler) sample(ctx context.Context) {
	cpu, rss := s.readProcs()
	s.mu.Lock()
	firstSample := s.start.IsZero()
	if firstSample {
		s.start = time.Now()
	}
	for name, sec := range cpu {
		if _, seen := s.first[name]; !seen {
			// A process that appears later started in the window: all its time counts.
			s.first[name] = 0
			if firstSample {
				s.first[name] = sec
			}
		}
		s.last[name] = sec
	}
	for name, b := range rss {
		s.peakRSS[name] = max(s.peakRSS[name], b)
	}
	s.mu.Unlock()
	for _, url := range s.ops {
		s.scrape(ctx, url)
	}
}

// readProcs returns the CPU seconds of the stack's processes by name (the
// postgres processes summed) and their current resident sets.
func (s *Sampler) readProcs() (cpu map[string]float64, rss map[string]uint64) {
	cpu, rss = map[string]float64{}, map[string]uint64{}
	procs, err := s.fs.AllProcs()
	if err != nil {
		return cpu, rss
	}
	parent := map[int]int{}
	stats := map[int]procfs.ProcStat{}
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil {
			continue // ended meanwhile
		}
		parent[p.PID], stats[p.PID] = st.PPID, st
	}
	descends := func(pid int) bool {
		for range 8 {
			if pid == s.root {
				return true
			}
			if pid = parent[pid]; pid <= 1 {
				return false
			}
		}
		return false
	}
	for pid, st := range stats {
		name := st.Comm
		switch {
		case name == "postgres":
			// Another server's processes (a second cluster on the machine)
			// are not the stack's.
			if s.postmaster == 0 || pid == s.postmaster || parent[pid] == s.postmaster {
				cpu[name] += st.CPUTime()
			}
		case descends(pid):
			if pid == s.root {
				name = s.rootName
			}
			cpu[name] += st.CPUTime()
			rss[name] += uint64(st.ResidentMemory())
		}
	}
	return cpu, rss
}

// scrape records the consumer and outbox backlogs an ops endpoint reports.
func (s *Sampler) scrape(ctx context.Context, url string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	peak(families["whistle_consumer_pending"], "consumer", s.pending)
	peak(families["whistle_outbox_backlog"], "service", s.outbox)
	if f, ok := families["whistle_sql_statements_total"]; ok {
		name := serviceName(families, url)
		var n float64
		for _, m := range f.GetMetric() {
			n += m.GetCounter().GetValue()
		}
		if _, seen := s.stmtFirst[name]; !seen {
			s.stmtFirst[name] = n
		}
		s.stmtLast[name] = n
	}
	for fname, f := range families {
		if !strings.HasPrefix(fname, "whistle_timer_lateness") || f.GetType() != dto.MetricType_HISTOGRAM {
			continue
		}
		name := serviceName(families, url)
		h := histogramOf(f)
		if _, seen := s.lateFirst[name]; !seen {
			s.lateFirst[name] = h
		}
		s.lateLast[name] = h
	}
}

// serviceName is the service an ops endpoint belongs to (the service_name of
// its target_info), or the endpoint's URL when it does not say.
func serviceName(families map[string]*dto.MetricFamily, url string) string {
	for _, m := range families["target_info"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "service_name" && l.GetValue() != "" {
				return l.GetValue()
			}
		}
	}
	return url
}

// peak keeps, per value of label, the highest gauge value of f seen.
func peak(f *dto.MetricFamily, label string, into map[string]float64) {
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				into[l.GetValue()] = max(into[l.GetValue()], m.GetGauge().GetValue())
			}
		}
	}
}

// Lines renders the summary for the report, e.g. "CPU (% of one core):
// postgres 75, intake 28 …".
func (sum Summary) Lines() []string {
	var cpu, mem []string
	for _, p := range sum.Processes {
		cpu = append(cpu, fmt.Sprintf("%s %.0f", p.Name, p.CPU))
		if p.PeakRSS > 0 {
			mem = append(mem, fmt.Sprintf("%s %.0f", p.Name, float64(p.PeakRSS)/(1<<20)))
		}
	}
	lines := []string{
		"CPU, % of one core: " + strings.Join(cpu, ", "),
		"peak RSS, MB: " + strings.Join(mem, ", "),
		"peak consumer pending: " + joinPeaks(sum.PeakPending),
		"peak outbox backlog: " + joinPeaks(sum.PeakOutbox),
	}
	if n := sum.Lateness.Total(); n > 0 {
		scale := max(sum.TimeScale, 1)
		real := func(q float64) string {
			v := sum.Lateness.Quantile(q)
			if math.IsInf(v, 1) {
				return "> last bucket"
			}
			return fmt.Sprintf("≤ %g s", v/scale)
		}
		lines = append(lines, fmt.Sprintf("SLA breach timers fired: %.0f, lateness (real time) p50 %s, p99 %s, max %s",
			n, real(0.5), real(0.99), real(1)))
	}
	return lines
}

// PerWhistle renders the run's cost per whistle: CPU across the sampled
// processes, SQL statements across the services (with the split) and the
// NATS messages counted by the caller (natsMsgs < 0: not counted).
func (sum Summary) PerWhistle(whistles int, natsMsgs float64, natsSplit string) string {
	if whistles <= 0 {
		return "per whistle: no whistles"
	}
	n := float64(whistles)
	var total float64
	for _, v := range sum.Statements {
		total += v
	}
	line := fmt.Sprintf("per whistle: CPU %.2f ms (all processes, postgres included)", 1000*sum.CPUSeconds/n)
	if len(sum.Statements) > 0 {
		per := map[string]float64{}
		for k, v := range sum.Statements {
			per[k] = v / n
		}
		line += fmt.Sprintf(", %.1f SQL statements (%s)", total/n, joinFloats(per, "%.1f"))
	}
	if natsMsgs >= 0 {
		line += fmt.Sprintf(", %.1f NATS messages (%s)", natsMsgs/n, natsSplit)
	}
	return line
}

// joinFloats is m as "key value, …" in key order, each value formatted
// with format (e.g. "%.1f").
func joinFloats(m map[string]float64, format string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+fmt.Sprintf(format, m[k]))
	}
	return strings.Join(parts, ", ")
}

// joinPeaks is the peaks of m as whole numbers, or "none reported".
func joinPeaks(m map[string]float64) string {
	if len(m) == 0 {
		return "none reported"
	}
	return joinFloats(m, "%.0f")
}

// Postmaster is the main process of the PostgreSQL server at dbURL (the
// parent of a backend it serves), so that only that server's processes are
// counted when the machine runs more than one.
func Postmaster(ctx context.Context, dbURL string) (int, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, fmt.Errorf("usage: connect: %w", err)
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0, fmt.Errorf("usage: backend pid: %w", err)
	}
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	p, err := fs.Proc(backend)
	if err != nil {
		return 0, fmt.Errorf("usage: backend %d (is the server on this machine?): %w", backend, err)
	}
	st, err := p.Stat()
	if err != nil {
		return 0, fmt.Errorf("usage: backend %d: %w", backend, err)
	}
	return st.PPID, nil
}
