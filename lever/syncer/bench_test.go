package syncer_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// BenchmarkSyncEndToEnd is a full sync from the fake Lever (no latency, no
// rate limit) through the client and engine into a bbolt store on disk.
func BenchmarkSyncEndToEnd(b *testing.B) {
	const opportunities = 20000
	fake := startBenchFake(b, fakelever.Config{Seed: 1, Opportunities: opportunities, Rate: -1})
	client := benchClient(b, fake.URL(), -1)
	records := 0
	for b.Loop() {
		b.StopTimer()
		st := openBenchStore(b)
		b.StartTimer()
		state, err := syncer.NewEngine(client, st, syncer.Options{}).Run(context.Background(), nil)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range state.Totals {
			records += n
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// Lever's documented limit, which the fake applies in the rate figures.
const (
	leverRate  = 10
	leverBurst = 20
)

// baselineCap stops a baseline run that would take minutes at high latency;
// its figures are rates, measured over what it did.
const baselineCap = 30 * time.Second

// BenchmarkReport measures every figure of the README's performance table,
// each beside a sequential single-cursor baseline that uses the same client
// and store, and prints the table. It takes several minutes; run it with
// scripts/bench.sh, which also sets LEVERSYNC_FAKE_BIN (a leversync binary)
// so the heap figures are measured with the fake Lever in a separate
// process.
func BenchmarkReport(b *testing.B) {
	if os.Getenv("LEVERSYNC_BENCH_REPORT") == "" {
		b.Skip("set LEVERSYNC_BENCH_REPORT=1 (scripts/bench.sh does) to measure the whole table")
	}
	// LEVERSYNC_BENCH_ONLY=lists,detail,... measures only those parts.
	only := os.Getenv("LEVERSYNC_BENCH_ONLY")
	part := func(name string) bool { return only == "" || slices.Contains(strings.Split(only, ","), name) }
	latencies := []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, time.Second}
	for b.Loop() {
		rows := map[string][]row{}
		measure := func(name string, f func() []row) {
			if part(name) {
				rows[name] = f()
			}
		}
		// The newest candidates first: the disk's flushing of the hundreds
		// of MB the other figures write would slow its commits.
		measure("newest", func() []row { return []row{measureNewest(b)} })
		measure("lists", func() (rs []row) {
			for _, latency := range latencies {
				rs = append(rs, measureListUtilization(b, latency))
			}
			return rs
		})
		measure("detail", func() (rs []row) {
			for _, latency := range latencies {
				rs = append(rs, measureDetailUtilization(b, latency))
			}
			return rs
		})
		measure("429", func() (rs []row) {
			for _, latency := range latencies {
				rs = append(rs, measure429s(b, latency))
			}
			return rs
		})
		measure("incremental", func() []row { return []row{measureIncremental(b)} })
		measure("overhead", func() []row { return []row{measureOverhead(b), measureStoreAlone(b)} })
		measure("file", func() []row { return measureFileSize(b, 100000) })
		measure("heap", func() []row {
			bin := os.Getenv("LEVERSYNC_FAKE_BIN")
			if bin == "" {
				return []row{{"peak Go heap at 100,000 and 1,000,000 opportunities", "needs LEVERSYNC_FAKE_BIN (scripts/bench.sh)", ""}}
			}
			return []row{measureHeap(b, bin, 100000), measureHeap(b, bin, 1000000)}
		})
		var t report
		for _, name := range []string{"lists", "detail", "429", "overhead", "newest", "incremental", "file", "heap"} {
			t.add(rows[name]...)
		}
		t.print()
	}
}

// row is one line of the table.
type row struct{ figure, engine, baseline string }

type report struct{ rows []row }

func (t *report) add(rs ...row) { t.rows = append(t.rows, rs...) }

func (t *report) print() {
	fmt.Println()
	fmt.Println("| figure | leversync | one cursor (baseline) |")
	fmt.Println("|---|---|---|")
	for _, r := range t.rows {
		fmt.Printf("| %s | %s | %s |\n", r.figure, r.engine, r.baseline)
	}
	fmt.Println()
}

func startBenchFake(b *testing.B, cfg fakelever.Config) *fakelever.Server {
	b.Helper()
	fake, err := fakelever.Start(cfg, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fake.Close() })
	return fake
}

// benchClient is the client a sync uses, at rate requests/s (negative: no
// limit) and Lever's burst.
func benchClient(b *testing.B, baseURL string, rate float64) *lever.Client {
	b.Helper()
	c, err := lever.NewClient(lever.Options{BaseURL: baseURL, Key: lever.NewAPIKey(fakelever.KeyFull), Rate: rate, Burst: leverBurst})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func openBenchStore(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// scope closes the fakes and stores of one figure once it is measured, so
// the next figure's heap holds nothing of them.
type scope struct {
	b       *testing.B
	closers []func() error
}

func newScope(b *testing.B) *scope { return &scope{b: b} }

func (sc *scope) fake(cfg fakelever.Config) *fakelever.Server {
	sc.b.Helper()
	fake, err := fakelever.Start(cfg, "")
	if err != nil {
		sc.b.Fatal(err)
	}
	sc.closers = append(sc.closers, fake.Close)
	return fake
}

func (sc *scope) store() *store.Store {
	sc.b.Helper()
	path := filepath.Join(sc.b.TempDir(), "bench.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		sc.b.Fatal(err)
	}
	// Closed first, then removed: the files of a million records are large.
	sc.closers = append(sc.closers, func() error { return os.Remove(path) }, st.Close)
	return st
}

func (sc *scope) close() {
	for _, c := range slices.Backward(sc.closers) {
		_ = c()
	}
	sc.closers = nil
}

// utilization is accepted requests over what the limiter could have
// accepted from the first to the last of them.
func utilization(s fakelever.Span) float64 {
	if s.Accepted == 0 {
		return 0
	}
	return float64(s.Accepted) / (leverBurst + leverRate*s.Last.Sub(s.First).Seconds())
}

func overall(st fakelever.Stats) fakelever.Span {
	return fakelever.Span{Accepted: st.Accepted, First: st.FirstAccepted, Last: st.LastAccepted}
}

// detailSpan sums the per-opportunity detail requests.
func detailSpan(st fakelever.Stats) fakelever.Span {
	var out fakelever.Span
	for path, s := range st.AcceptedByPath {
		if !strings.HasPrefix(path, "GET /opportunities/:id/") {
			continue
		}
		out.Accepted += s.Accepted
		if out.First.IsZero() || s.First.Before(out.First) {
			out.First = s.First
		}
		if s.Last.After(out.Last) {
			out.Last = s.Last
		}
	}
	return out
}

func describe(s fakelever.Span, requests int64, capped bool) string {
	d := s.Last.Sub(s.First).Round(100 * time.Millisecond)
	text := fmt.Sprintf("**%.2f** (%d requests in %v)", utilization(s), requests, d)
	if capped {
		text += ", stopped after " + baselineCap.String()
	}
	return text
}

const benchOpportunities = 20000

func measureListUtilization(b *testing.B, latency time.Duration) row {
	sc := newScope(b)
	defer sc.close()
	cfg := fakelever.Config{Seed: 1, Opportunities: benchOpportunities, Latency: latency, Rate: leverRate, Burst: leverBurst}
	fake := sc.fake(cfg)
	if _, err := syncer.NewEngine(benchClient(b, fake.URL(), leverRate), sc.store(), syncer.Options{}).Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	engine := fake.Stats()

	fake = sc.fake(cfg)
	capped := runBaseline(b, benchClient(b, fake.URL(), leverRate), sc.store(), baseline{})
	base := fake.Stats()
	return row{
		fmt.Sprintf("rate utilization, lists (20,000 opportunities), %v per request", latency),
		describe(overall(engine), engine.Requests, false),
		describe(overall(base), base.Requests, capped),
	}
}

// detailOpportunities keeps the detail figures to minutes: three requests
// per opportunity at 10/s.
const detailOpportunities = 200

func measureDetailUtilization(b *testing.B, latency time.Duration) row {
	sc := newScope(b)
	defer sc.close()
	// The opportunities are stored first from a fake without latency or
	// limit; the same seed serves the same ids.
	prepared := func() *store.Store {
		fast := sc.fake(fakelever.Config{Seed: 2, Opportunities: detailOpportunities, Rate: -1})
		st := sc.store()
		if _, err := syncer.NewEngine(benchClient(b, fast.URL(), -1), st, syncer.Options{}).Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		return st
	}
	cfg := fakelever.Config{Seed: 2, Opportunities: detailOpportunities, Latency: latency, Rate: leverRate, Burst: leverBurst}
	fake := sc.fake(cfg)
	if _, err := syncer.NewEngine(benchClient(b, fake.URL(), leverRate), prepared(), syncer.Options{Details: true}).Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	engine := fake.Stats()

	fake = sc.fake(cfg)
	capped := runBaseline(b, benchClient(b, fake.URL(), leverRate), prepared(), baseline{detailsOnly: true})
	base := fake.Stats()
	return row{
		fmt.Sprintf("rate utilization, detail (%d opportunities x 3), %v per request", detailOpportunities, latency),
		describe(detailSpan(engine), detailSpan(engine).Accepted, false),
		describe(detailSpan(base), detailSpan(base).Accepted, capped),
	}
}

func measure429s(b *testing.B, latency time.Duration) row {
	sc := newScope(b)
	defer sc.close()
	cfg := fakelever.Config{Seed: 1, Opportunities: benchOpportunities, Latency: latency, Rate: 7, Burst: leverBurst}
	share := func(st fakelever.Stats) string {
		return fmt.Sprintf("**%.1f%%** (%d of %d requests)", 100*float64(st.Served429)/float64(st.Requests), st.Served429, st.Requests)
	}
	fake := sc.fake(cfg)
	if _, err := syncer.NewEngine(benchClient(b, fake.URL(), leverRate), sc.store(), syncer.Options{}).Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	engine := share(fake.Stats())
	fake = sc.fake(cfg)
	capped := runBaseline(b, benchClient(b, fake.URL(), leverRate), sc.store(), baseline{})
	base := share(fake.Stats())
	if capped {
		base += ", stopped after " + baselineCap.String()
	}
	return row{fmt.Sprintf("429s as a share of requests: client at 10/s, Lever allowing 7/s (20,000 opportunities), %v per request", latency), engine, base}
}

func measureOverhead(b *testing.B) row {
	sc := newScope(b)
	defer sc.close()
	cfg := fakelever.Config{Seed: 1, Opportunities: benchOpportunities, Rate: -1}
	fake := sc.fake(cfg)
	start := time.Now()
	state, err := syncer.NewEngine(benchClient(b, fake.URL(), -1), sc.store(), syncer.Options{}).Run(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	engine := float64(sum(state.Totals)) / time.Since(start).Seconds()

	fake = sc.fake(cfg)
	st := sc.store()
	start = time.Now()
	runBaseline(b, benchClient(b, fake.URL(), -1), st, baseline{})
	counts, err := st.Counts()
	if err != nil {
		b.Fatal(err)
	}
	base := float64(sum(counts)) / time.Since(start).Seconds()
	return row{"records/s end to end, no latency, no rate limit (20,000 opportunities, fake in process)",
		fmt.Sprintf("**%.0f**", engine), fmt.Sprintf("%.0f", base)}
}

// measureStoreAlone commits the pages of 20,000 opportunities, read and
// decoded beforehand, into a fresh store: the ceiling the store's commit
// path puts on any sync, one page per transaction as the baseline commits
// and eight as the engine's committer groups them when pages queue up.
func measureStoreAlone(b *testing.B) row {
	sc := newScope(b)
	defer sc.close()
	fake := sc.fake(fakelever.Config{Seed: 1, Opportunities: benchOpportunities, Rate: -1})
	client := benchClient(b, fake.URL(), -1)
	var pages []syncer.Batch
	q := url.Values{"confidentiality": {"all"}, "expand": {"applications"}}
	for page, err := range lever.Pages(context.Background(), client, "/opportunities", q, "") {
		if err != nil {
			b.Fatal(err)
		}
		bt := syncer.Batch{Resource: lever.Opportunities, Checkpoint: syncer.Checkpoint{Stream: "opportunities", Offset: page.Next}}
		for _, raw := range page.Data {
			rec, err := lever.DecodeRecord(lever.Opportunities, raw, "")
			if err != nil {
				b.Fatal(err)
			}
			bt.Upserts = append(bt.Upserts, rec)
		}
		pages = append(pages, bt)
	}
	rate := func(group int) float64 {
		st := sc.store()
		start := time.Now()
		for i := 0; i < len(pages); i += group {
			if err := st.Commit(pages[i:min(i+group, len(pages))]...); err != nil {
				b.Fatal(err)
			}
		}
		return benchOpportunities / time.Since(start).Seconds()
	}
	grouped, single := rate(8), rate(1)
	return row{"records/s the store alone commits (the same 20,000 opportunities, decoded beforehand)",
		fmt.Sprintf("%.0f (8 pages per transaction)", grouped), fmt.Sprintf("%.0f (a page per transaction)", single)}
}

func sum(m map[lever.Resource]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// watchSink tells when every one of a set of opportunities is stored.
type watchSink struct {
	syncer.Sink
	start time.Time

	mu      sync.Mutex
	want    map[string]bool
	reached time.Duration
	done    chan struct{}
}

func (w *watchSink) Commit(batches ...syncer.Batch) error {
	err := w.Sink.Commit(batches...)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, bt := range batches {
		if bt.Resource != lever.Opportunities || len(w.want) == 0 {
			continue
		}
		for _, rec := range bt.Upserts {
			delete(w.want, rec.ID)
		}
		if len(w.want) == 0 {
			w.reached = time.Since(w.start)
			close(w.done)
		}
	}
	return nil
}

// newest returns the ids of the n newest opportunities the fake serves.
func newest(b *testing.B, fake *fakelever.Server, n int) map[string]bool {
	type opp struct {
		id      string
		created int64
	}
	var all []opp
	for id, raw := range fake.Expected("opportunities") {
		rec, err := lever.DecodeRecord(lever.Opportunities, raw, "")
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, opp{id, rec.CreatedAt})
	}
	slices.SortFunc(all, func(a, b opp) int { return int(b.created - a.created) })
	want := map[string]bool{}
	for _, o := range all[:n] {
		want[o.id] = true
	}
	return want
}

func measureNewest(b *testing.B) row {
	sc := newScope(b)
	defer sc.close()
	const latency = 300 * time.Millisecond
	cfg := fakelever.Config{Seed: 1, Opportunities: benchOpportunities, Latency: latency, Rate: leverRate, Burst: leverBurst}
	// timed runs a sync until the 1,000 newest opportunities are stored.
	timed := func(run func(ctx context.Context, client lever.Lister, sink syncer.Sink)) string {
		fake := sc.fake(cfg)
		client := benchClient(b, fake.URL(), leverRate)
		w := &watchSink{Sink: sc.store(), want: newest(b, fake, 1000), done: make(chan struct{})}
		ctx, cancel := context.WithTimeout(context.Background(), baselineCap)
		defer cancel()
		go func() {
			select {
			case <-w.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		w.start = time.Now()
		run(ctx, client, w)
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.reached == 0 {
			return "not within " + baselineCap.String()
		}
		return w.reached.Round(10 * time.Millisecond).String()
	}
	engine := timed(func(ctx context.Context, client lever.Lister, sink syncer.Sink) {
		_, _ = syncer.NewEngine(client, sink, syncer.Options{}).Run(ctx, nil)
	})
	base := timed(func(ctx context.Context, client lever.Lister, sink syncer.Sink) {
		_ = baselineSync(ctx, client, sink, baseline{})
	})
	return row{"time to store the newest 1,000 candidates (20,000 opportunities, 300 ms)", "**" + engine + "**", base}
}

func measureIncremental(b *testing.B) row {
	sc := newScope(b)
	defer sc.close()
	cfg := fakelever.Config{Seed: 1, Opportunities: benchOpportunities, Rate: -1}
	share := func(initial, incremental int64) string {
		return fmt.Sprintf("%.1f%% (%d of %d requests)", 100*float64(incremental)/float64(initial), incremental, initial)
	}
	fake := sc.fake(cfg)
	st := sc.store()
	engine := syncer.NewEngine(benchClient(b, fake.URL(), -1), st, syncer.Options{})
	if _, err := engine.Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	initial := fake.Stats().Requests
	fake.UpdateOpportunities(benchOpportunities / 100)
	fake.ResetStats()
	if _, err := engine.Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	engineShare := share(initial, fake.Stats().Requests)

	fake = sc.fake(cfg)
	client := benchClient(b, fake.URL(), -1)
	st = sc.store()
	since := time.Now().Add(-5 * time.Minute).UnixMilli()
	runBaseline(b, client, st, baseline{})
	initial = fake.Stats().Requests
	fake.UpdateOpportunities(benchOpportunities / 100)
	fake.ResetStats()
	runBaseline(b, client, st, baseline{updatedSince: since})
	return row{"requests of an incremental sync after 1% of 20,000 opportunities changed, as a share of the initial sync's",
		"**" + engineShare + "**", share(initial, fake.Stats().Requests)}
}

func measureFileSize(b *testing.B, n int) []row {
	cfg := fakelever.Config{Seed: 1, Opportunities: n, Rate: -1}
	// size runs sync into a new file and measures the file once closed.
	size := func(sync func(root, path string)) (perRecord, share float64) {
		sc := newScope(b)
		defer sc.close()
		fake := sc.fake(cfg)
		path := filepath.Join(b.TempDir(), "size.db")
		sync(fake.URL(), path)
		st, err := store.Open(path, store.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		records, raw := 0, 0
		for _, r := range lever.AllResources {
			if err := st.Export(r, false, func(_ string, data []byte) error {
				records++
				raw += len(data)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		return float64(fi.Size()) / float64(records), float64(fi.Size()) / float64(raw)
	}
	// leversync's sync is the one every command runs (app.Start), which
	// packs the file after a full read.
	ePer, eShare := size(func(root, path string) {
		run, err := app.Start(context.Background(), app.SyncJob{
			Target: app.Target{Env: lever.Custom, BaseURL: root}, Key: lever.NewAPIKey(fakelever.KeyFull),
			DBPath: path, Client: lever.Options{Rate: -1, Burst: leverBurst},
		})
		if err != nil {
			b.Fatal(err)
		}
		for range run.Events() {
		}
		if _, err := run.Wait(); err != nil {
			b.Fatal(err)
		}
	})
	bPer, bShare := size(func(root, path string) {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := baselineSync(context.Background(), benchClient(b, root, -1), st, baseline{}); err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	})
	what := fmt.Sprintf("(%s opportunities, after a full sync)", thousands(n))
	return []row{
		{"data file bytes per record " + what, fmt.Sprintf("%.0f", ePer), fmt.Sprintf("%.0f", bPer)},
		{"data file size as a share of the raw JSON it holds " + what, fmt.Sprintf("**%.2fx**", eShare), fmt.Sprintf("%.2fx", bShare)},
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// measureHeap syncs n opportunities from a fake Lever run as its own process
// (the leversync binary bin), so only the sync's heap is measured.
func measureHeap(b *testing.B, bin string, n int) row {
	fakeURL, stop := startFakeProcess(b, bin, n)
	defer stop()
	// LEVERSYNC_BENCH_HEAPPROFILE=dir keeps a heap profile of the
	// engine's peak, dir/heap-<n>.pprof.
	var profile string
	if dir := os.Getenv("LEVERSYNC_BENCH_HEAPPROFILE"); dir != "" {
		profile = filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", n))
	}
	peak := func(profile string, run func(client lever.Lister, sink syncer.Sink)) string {
		sc := newScope(b)
		defer sc.close()
		st := sc.store()
		runtime.GC()
		h := startHeapSampler(b, profile)
		run(benchClient(b, fakeURL, -1), st)
		live, inUse := h.finish()
		return fmt.Sprintf("%.1f MB live, %.1f MB in use", float64(live)/1e6, float64(inUse)/1e6)
	}
	engine := peak(profile, func(client lever.Lister, sink syncer.Sink) {
		if _, err := syncer.NewEngine(client, sink, syncer.Options{}).Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	})
	base := peak("", func(client lever.Lister, sink syncer.Sink) {
		if err := baselineSync(context.Background(), client, sink, baseline{}); err != nil {
			b.Fatal(err)
		}
	})
	return row{fmt.Sprintf("peak Go heap, %s opportunities, fake in its own process", thousands(n)), "**" + engine + "**", base}
}

// startFakeProcess runs `bin fake-lever` without a rate limit and returns
// its API root and how to stop it.
func startFakeProcess(b *testing.B, bin string, n int) (string, func()) {
	b.Helper()
	cmd := exec.Command(bin, "fake-lever", "--addr", "127.0.0.1:0", "--rate", "-1", "--opportunities", fmt.Sprint(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		b.Fatalf("the fake Lever process printed no API root: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return strings.TrimSpace(line), stop
}

// baseline is how the one-cursor sync runs.
type baseline struct {
	// detailsOnly reads only the per-opportunity detail of the stored
	// opportunities.
	detailsOnly bool
	// updatedSince filters opportunities on updated_at (0: all).
	updatedSince int64
}

// runBaseline syncs the way a connector that pages one cursor at a time
// does: each list in turn, each page after the last, each page committed
// with its position, with the same client and store as the engine. It stops
// after baselineCap and reports whether it did.
func runBaseline(b *testing.B, client lever.Lister, sink syncer.Sink, o baseline) (capped bool) {
	ctx, cancel := context.WithTimeout(context.Background(), baselineCap)
	defer cancel()
	err := baselineSync(ctx, client, sink, o)
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if err != nil {
		b.Fatal(err)
	}
	return false
}

// baselineSync reads as a one-cursor connector does, then finishes the run,
// so the store completes what it defers to a sync's end (a new file's
// search index) as it does for leversync's.
func baselineSync(ctx context.Context, client lever.Lister, sink syncer.Sink, o baseline) error {
	if err := baselineRead(ctx, client, sink, o); err != nil {
		return err
	}
	return sink.FinishRun(syncer.RunState{})
}

func baselineRead(ctx context.Context, client lever.Lister, sink syncer.Sink, o baseline) error {
	read := func(name string, res lever.Resource, path, parent string, q url.Values, replace bool) error {
		first := true
		for page, err := range lever.Pages(ctx, client, path, q, "") {
			if err != nil {
				return err
			}
			bt := syncer.Batch{Resource: res, Checkpoint: syncer.Checkpoint{Stream: name, Offset: page.Next, Done: !page.HasNext}}
			if replace && first {
				bt.Replace = parent
			}
			first = false
			for _, raw := range page.Data {
				rec, err := lever.DecodeRecord(res, raw, parent)
				if err != nil {
					return err
				}
				bt.Upserts = append(bt.Upserts, rec)
			}
			if err := sink.Commit(bt); err != nil {
				return err
			}
		}
		return nil
	}
	if !o.detailsOnly {
		all := url.Values{"confidentiality": {"all"}}
		opp := url.Values{"confidentiality": {"all"}, "expand": {"applications"}}
		if o.updatedSince > 0 {
			opp.Set("updated_at_start", fmt.Sprint(o.updatedSince))
		}
		for _, l := range []struct {
			name string
			res  lever.Resource
			q    url.Values
		}{
			{"users", lever.Users, url.Values{"includeDeactivated": {"true"}}},
			{"stages", lever.Stages, nil},
			{"archive_reasons", lever.ArchiveReasons, nil},
			{"sources", lever.Sources, nil},
			{"tags", lever.Tags, nil},
			{"requisitions", lever.Requisitions, all},
			{"postings", lever.Postings, all},
			{"postings/internal", lever.Postings, url.Values{"confidentiality": {"all"}, "distributionChannel": {"internal"}}},
			{"opportunities", lever.Opportunities, opp},
		} {
			if err := read(l.name, l.res, "/"+strings.SplitN(l.name, "/", 2)[0], "", l.q, false); err != nil {
				return err
			}
		}
		end := time.Now().UnixMilli()
		deleted := url.Values{"deleted_at_start": {fmt.Sprint(end - 29*24*3600*1000)}, "deleted_at_end": {fmt.Sprint(end)}}
		for _, path := range []string{"/opportunities/deleted", "/postings/deleted"} {
			for page, err := range lever.Pages(ctx, client, path, deleted, "") {
				if err != nil {
					return err
				}
				_ = page
			}
		}
		return nil
	}
	after := ""
	for {
		ids, err := sink.OpportunityIDs(after, 0, 100)
		if err != nil {
			return err
		}
		for _, id := range ids {
			for _, res := range lever.DetailResources {
				if err := read("details", res, "/opportunities/"+id+"/"+string(res), id, nil, true); err != nil {
					return err
				}
			}
			after = id
		}
		if len(ids) < 100 {
			return nil
		}
	}
}

// heapSampler records the peak Go heap while a sync runs: the live heap
// after each collection, and the heap in use by objects (live plus not yet
// swept), from runtime/metrics. bbolt's memory map is not Go heap and is
// not counted; RSS would count it.
type heapSampler struct {
	stop     chan struct{}
	done     chan struct{}
	live, in uint64
}

// startHeapSampler samples the heap until finish. With profile set, it
// writes a heap profile there whenever the live heap has grown by a
// twentieth, so the last one shows what the peak held.
func startHeapSampler(b *testing.B, profile string) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(h.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var profiled uint64
		for {
			metrics.Read(samples)
			live := samples[0].Value.Uint64()
			if profile != "" && live > profiled*21/20 {
				profiled = live
				if err := writeHeapProfile(profile); err != nil {
					b.Error(err)
				}
			}
			h.live = max(h.live, live)
			h.in = max(h.in, samples[1].Value.Uint64())
			select {
			case <-t.C:
			case <-h.stop:
				return
			}
		}
	}()
	return h
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (h *heapSampler) finish() (live, inUse uint64) {
	close(h.stop)
	<-h.done
	return h.live, h.in
}
