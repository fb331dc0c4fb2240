package syncer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// syncHarness is a fake Lever, a client on it and a store in a temp dir.
type syncHarness struct {
	t         testing.TB
	fake      *fakelever.Server
	transport *http.Transport
	client    *lever.Client
	store     *store.Store
	engine    *syncer.Engine
}

func newSyncHarness(t testing.TB, cfg fakelever.Config, key string) *syncHarness {
	t.Helper()
	if cfg.Rate == 0 {
		cfg.Rate = -1
	}
	fake, err := fakelever.Start(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	h := &syncHarness{t: t, fake: fake, transport: &http.Transport{}}
	t.Cleanup(h.transport.CloseIdleConnections)
	h.client, err = lever.NewClient(lever.Options{
		BaseURL: fake.URL(), Key: lever.NewAPIKey(key), Rate: -1,
		HTTPClient:  &http.Client{Transport: h.transport},
		BaseBackoff: time.Millisecond, MaxRetryAfter: 20 * time.Millisecond,
		OnRetry: func(ri lever.RetryInfo) {
			if e := h.engine; e != nil {
				e.OnRetry(ri)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.store = openSyncStore(t, filepath.Join(t.TempDir(), "leversync.db"))
	return h
}

func openSyncStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// run syncs once; every event goes to onEvent, which may cancel.
func (h *syncHarness) run(ctx context.Context, o syncer.Options, onEvent func(syncer.Event)) (syncer.RunState, error) {
	return h.runWith(ctx, h.client, o, onEvent)
}

func (h *syncHarness) runWith(ctx context.Context, l lever.Lister, o syncer.Options, onEvent func(syncer.Event)) (syncer.RunState, error) {
	h.engine = syncer.NewEngine(l, h.store, o)
	events := make(chan syncer.Event, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			if onEvent != nil {
				onEvent(ev)
			}
		}
	}()
	st, err := h.engine.Run(ctx, events)
	close(events)
	<-done
	if cerr := h.store.Check(); cerr != nil {
		h.t.Errorf("store check after the run: %v", cerr)
	}
	return st, err
}

// exportRaw is id -> raw of a resource as stored.
func exportRaw(t testing.TB, st *store.Store, r lever.Resource, includeDeleted bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := st.Export(r, includeDeleted, func(id string, raw []byte) error {
		if _, dup := out[id]; dup {
			return fmt.Errorf("%s %s exported twice", r, id)
		}
		out[id] = string(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertMatchesFake compares every list resource with what the fake says a
// complete sync stores, id for id and byte for byte.
func assertMatchesFake(t *testing.T, st *store.Store, fake *fakelever.Server, keep func(lever.Resource, string) bool) {
	t.Helper()
	for _, r := range lever.ListResources {
		want := fake.Expected(string(r))
		got := exportRaw(t, st, r, false)
		n := 0
		for id, raw := range want {
			if keep != nil && !keep(r, string(raw)) {
				if _, ok := got[id]; ok {
					t.Errorf("%s %s stored but should be left out", r, id)
				}
				continue
			}
			n++
			if got[id] != string(raw) {
				t.Errorf("%s %s: stored %.120q, want %.120q", r, id, got[id], raw)
			}
		}
		if len(got) != n {
			t.Errorf("%s: stored %d records, want %d", r, len(got), n)
		}
	}
}

// cancellingLister cancels the sync right after Lever answers the page
// that stop picks, so that page is the last one stored.
type cancellingLister struct {
	lever.Lister
	cancel context.CancelFunc
	stop   func(path string, p lever.Page) bool
}

func (c cancellingLister) ListPage(ctx context.Context, path string, q url.Values, offset string) (lever.Page, error) {
	p, err := c.Lister.ListPage(ctx, path, q, offset)
	if err == nil && q.Get("limit") == "" && c.stop(path, p) {
		c.cancel()
	}
	return p, err
}

func isConfidential(raw string) bool {
	return strings.Contains(raw, `"confidentiality":"confidential"`)
}

func TestSyncStoresExactlyTheFakesData(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newSyncHarness(t, fakelever.Config{Seed: 7, Opportunities: 600}, fakelever.KeyFull)
	st, err := h.run(context.Background(), syncer.Options{}, nil)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	// Nothing the sync started outlives it.
	h.transport.CloseIdleConnections()
	h.fake.Close()
	goleak.VerifyNone(t, ignore)
	if st.Result != syncer.ResultOK {
		t.Errorf("result %q (%v), want ok", st.Result, st.Warnings)
	}
	assertMatchesFake(t, h.store, h.fake, nil)
	if st.Totals[lever.Opportunities] != 600 {
		t.Errorf("Totals[opportunities] = %d, want 600", st.Totals[lever.Opportunities])
	}

	// The data set holds every hard case, so the comparison above covers them.
	expected := map[lever.Resource]map[string]json.RawMessage{}
	for _, r := range []lever.Resource{lever.Opportunities, lever.Postings, lever.Users} {
		expected[r] = h.fake.Expected(string(r))
	}
	has := func(r lever.Resource, f func(string) bool) bool {
		for _, raw := range expected[r] {
			if f(string(raw)) {
				return true
			}
		}
		return false
	}
	cases := map[string]bool{
		"confidential opportunity": has(lever.Opportunities, isConfidential),
		"confidential posting":     has(lever.Postings, isConfidential),
		"internal-only posting":    has(lever.Postings, func(s string) bool { return strings.Contains(s, `"distributionChannels":["internal"]`) }),
		"closed posting, null channels": has(lever.Postings, func(s string) bool {
			return strings.Contains(s, `"distributionChannels":null`)
		}),
		"deactivated user": has(lever.Users, func(s string) bool {
			return strings.Contains(s, `"deactivatedAt":`) && !strings.Contains(s, `"deactivatedAt":null`)
		}),
		"opportunity with updatedAt null": has(lever.Opportunities, func(s string) bool { return strings.Contains(s, `"updatedAt":null`) }),
	}
	for name, ok := range cases {
		if !ok {
			t.Errorf("the fake's data has no %s; the test would not cover it", name)
		}
	}
}

func TestSyncInterruptedAndResumedEqualsUninterrupted(t *testing.T) {
	cfg := fakelever.Config{Seed: 11, Opportunities: 400}
	ref := newSyncHarness(t, cfg, fakelever.KeyFull)
	if _, err := ref.run(context.Background(), syncer.Options{}, nil); err != nil {
		t.Fatalf("uninterrupted sync: %v", err)
	}
	for _, cut := range []int{1, 3, 7, 12} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			h := newSyncHarness(t, cfg, fakelever.KeyFull)
			interrupted := 0
			for attempt := 0; ; attempt++ {
				if attempt > 60 {
					t.Fatal("the sync never finished")
				}
				ctx, cancel := context.WithCancel(context.Background())
				var pages atomic.Int64
				stopAt := func(string, lever.Page) bool { return pages.Add(1) == int64(cut) }
				_, err := h.runWith(ctx, cancellingLister{h.client, cancel, stopAt}, syncer.Options{}, nil)
				cancel()
				if err == nil {
					break
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				interrupted++
				cur, _, lerr := h.store.LoadRun()
				if lerr != nil || cur == nil || cur.Result != syncer.ResultInterrupted {
					t.Fatalf("after cancel the run in progress is %+v (%v), want interrupted", cur, lerr)
				}
			}
			if interrupted == 0 {
				t.Fatal("no run was interrupted")
			}
			for _, r := range lever.ListResources {
				want := exportRaw(t, ref.store, r, true)
				got := exportRaw(t, h.store, r, true)
				if len(got) != len(want) {
					t.Errorf("%s: %d records after %d interruptions, %d uninterrupted", r, len(got), interrupted, len(want))
				}
				for id, raw := range want {
					if got[id] != raw {
						t.Errorf("%s %s differs from the uninterrupted sync", r, id)
					}
				}
			}
		})
	}
}

// fakeClock is a settable clock for the fake's Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSyncResumesCleanlyAfterPageTokensExpire(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newSyncHarness(t, fakelever.Config{Seed: 3, Opportunities: 800, TokenMaxAge: time.Minute, Now: clock.Now}, fakelever.KeyFull)
	ctx, cancel := context.WithCancel(context.Background())
	// Stop right after a page that leaves a token to resume from.
	midStream := func(path string, p lever.Page) bool { return path == "/opportunities" && p.HasNext }
	_, err := h.runWith(ctx, cancellingLister{h.client, cancel, midStream}, syncer.Options{}, nil)
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run = %v, want cancelled", err)
	}
	clock.Advance(2 * time.Minute) // every saved page token is now too old

	var restarts atomic.Int64
	st, err := h.run(context.Background(), syncer.Options{}, func(ev syncer.Event) {
		if ev.Type == syncer.EventWarning && strings.Contains(ev.Message, "first page") {
			restarts.Add(1)
		}
	})
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if restarts.Load() == 0 {
		t.Error("no stream restarted: the saved tokens did not expire, so the test proves nothing")
	}
	if st.Result != syncer.ResultOK {
		t.Errorf("result %q, want ok", st.Result)
	}
	assertMatchesFake(t, h.store, h.fake, nil)
	if st.Totals[lever.Opportunities] != 800 {
		t.Errorf("Totals[opportunities] = %d, want 800", st.Totals[lever.Opportunities])
	}
}

func TestSyncIncrementalAppliesExactlyTheChanges(t *testing.T) {
	const n = 2000
	h := newSyncHarness(t, fakelever.Config{Seed: 5, Opportunities: n}, fakelever.KeyFull)
	if _, err := h.run(context.Background(), syncer.Options{}, nil); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	initial := h.fake.Stats().ByPath["GET /opportunities"]
	before := exportRaw(t, h.store, lever.Opportunities, false)

	updated := h.fake.UpdateOpportunities(n / 100)
	deleted := h.fake.DeleteOpportunities(n / 200)
	h.fake.ResetStats()

	st, err := h.run(context.Background(), syncer.Options{}, nil)
	if err != nil {
		t.Fatalf("incremental sync: %v", err)
	}
	if st.UpdatedSince == 0 || st.Full {
		t.Fatalf("second sync was not incremental: %+v", st)
	}
	assertMatchesFake(t, h.store, h.fake, nil)

	after := exportRaw(t, h.store, lever.Opportunities, false)
	changed := map[string]bool{}
	for id, raw := range before {
		if after[id] != raw {
			changed[id] = true
		}
	}
	for _, id := range updated {
		if !changed[id] {
			t.Errorf("updated %s unchanged in the store", id)
		}
		delete(changed, id)
	}
	withDeleted := exportRaw(t, h.store, lever.Opportunities, true)
	wantDeletedAt := h.fake.Deleted("opportunities")
	for _, id := range deleted {
		if _, ok := after[id]; ok {
			t.Errorf("deleted %s still stored", id)
		}
		var tomb lever.Deletion
		if err := json.Unmarshal([]byte(withDeleted[id]), &tomb); err != nil || tomb.DeletedAt != wantDeletedAt[id] {
			t.Errorf("deleted %s tombstone %q, want deletedAt %d", id, withDeleted[id], wantDeletedAt[id])
		}
		delete(changed, id)
	}
	if len(changed) != 0 {
		t.Errorf("%d opportunities changed that Lever did not change", len(changed))
	}
	if st.Totals[lever.Opportunities] != len(updated) {
		t.Errorf("incremental sync read %d opportunities, want the %d updated", st.Totals[lever.Opportunities], len(updated))
	}
	incremental := h.fake.Stats().ByPath["GET /opportunities"]
	if incremental == 0 || incremental*100 > initial*5 {
		t.Errorf("incremental sync made %d opportunity-list requests against %d initially; want at most 5%%", incremental, initial)
	}
	t.Logf("opportunity-list requests: initial %d, incremental %d", initial, incremental)
}

func TestSyncWithoutConfidentialAccessWarns(t *testing.T) {
	h := newSyncHarness(t, fakelever.Config{Seed: 9, Opportunities: 500}, fakelever.KeyNoConfidential)
	var warned atomic.Bool
	st, err := h.run(context.Background(), syncer.Options{}, func(ev syncer.Event) {
		if ev.Type == syncer.EventWarning && strings.Contains(ev.Message, "confidential") {
			warned.Store(true)
		}
	})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if st.Result != syncer.ResultWarnings || len(st.Warnings) == 0 || !warned.Load() {
		t.Errorf("result %q warnings %q (event %v), want a warning about confidential data", st.Result, st.Warnings, warned.Load())
	}
	left := 0
	assertMatchesFake(t, h.store, h.fake, func(r lever.Resource, raw string) bool {
		if isConfidential(raw) {
			left++
			return false
		}
		return true
	})
	if left == 0 {
		t.Error("the fake has no confidential records; the test proves nothing")
	}
}

func TestSyncMissingPermissionFails(t *testing.T) {
	h := newSyncHarness(t, fakelever.Config{Seed: 2, Opportunities: 300}, fakelever.KeyMissingTwo)
	st, err := h.run(context.Background(), syncer.Options{}, nil)
	var pe *lever.PermissionError
	if !errors.As(err, &pe) {
		t.Fatalf("sync = %v, want a *PermissionError", err)
	}
	if pe.Permission != "find all tags" && pe.Permission != "find all requisitions" {
		t.Errorf("missing permission %q, want find all tags or find all requisitions", pe.Permission)
	}
	if !strings.Contains(err.Error(), pe.Permission) {
		t.Errorf("error %q does not name the permission", err)
	}
	cur, _, _ := h.store.LoadRun()
	if st.Result != syncer.ResultFailed || cur == nil || cur.Error == "" {
		t.Errorf("run after 403: %+v, in progress %+v; want failed and kept to resume", st, cur)
	}
}

func TestSyncDetailsStoresNotesInterviewsOffers(t *testing.T) {
	h := newSyncHarness(t, fakelever.Config{Seed: 4, Opportunities: 150}, fakelever.KeyFull)
	st, err := h.run(context.Background(), syncer.Options{Details: true}, nil)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	for _, r := range lever.DetailResources {
		want := map[string]string{}
		for id := range h.fake.Expected("opportunities") {
			for page, err := range lever.Pages(context.Background(), h.client, "/opportunities/"+id+"/"+string(r), nil, "") {
				if err != nil {
					t.Fatal(err)
				}
				for _, raw := range page.Data {
					rec, err := lever.DecodeRecord(r, raw, id)
					if err != nil {
						t.Fatal(err)
					}
					want[rec.ID] = string(raw)
				}
			}
		}
		got := exportRaw(t, h.store, r, false)
		if len(want) == 0 {
			t.Errorf("the fake serves no %s; the test proves nothing", r)
		}
		if len(got) != len(want) || st.Totals[r] != len(want) {
			t.Errorf("%s: stored %d (totals %d), Lever has %d", r, len(got), st.Totals[r], len(want))
		}
		for id, raw := range want {
			if got[id] != raw {
				t.Errorf("%s %s: stored %.80q, want %.80q", r, id, got[id], raw)
			}
		}
	}
}

// windowRecorder is a Sink that remembers the most windows a full read of
// opportunities listed at once, and how many it listed last.
type windowRecorder struct {
	syncer.Sink
	mu         sync.Mutex
	most, last int
}

func (w *windowRecorder) Commit(batches ...syncer.Batch) error {
	err := w.Sink.Commit(batches...)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range batches {
		if b.Checkpoint.Stream == "opportunities/windows" {
			w.last = strings.Count(b.Checkpoint.Cursor, ",") + 1
			w.most = max(w.most, w.last)
		}
	}
	return nil
}

func (w *windowRecorder) windows() (most, last int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.most, w.last
}

// pacedClient is a client with a rate limit on the fake: with the fake's
// latency, it keeps many requests in flight, so the read of opportunities
// splits into many windows.
func (h *syncHarness) pacedClient(rate float64, burst int) *lever.Client {
	h.t.Helper()
	c, err := lever.NewClient(lever.Options{
		BaseURL: h.fake.URL(), Key: lever.NewAPIKey(fakelever.KeyFull), Rate: rate, Burst: burst,
		HTTPClient:  &http.Client{Transport: h.transport},
		BaseBackoff: time.Millisecond, MaxRetryAfter: 20 * time.Millisecond,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *syncHarness) runSink(ctx context.Context, l lever.Lister, sink syncer.Sink, o syncer.Options) (syncer.RunState, error) {
	st, err := syncer.NewEngine(l, sink, o).Run(ctx, nil)
	if cerr := h.store.Check(); cerr != nil {
		h.t.Errorf("store check after the run: %v", cerr)
	}
	return st, err
}

// TestSyncWithManyWindowsStoresExactlyTheFakesData: a read split into many
// windows while they read stores each opportunity once, byte for byte, and
// counts each once.
func TestSyncWithManyWindowsStoresExactlyTheFakesData(t *testing.T) {
	const n = 3000
	h := newSyncHarness(t, fakelever.Config{Seed: 13, Opportunities: n, Latency: 10 * time.Millisecond}, fakelever.KeyFull)
	rec := &windowRecorder{Sink: h.store}
	st, err := h.runSink(context.Background(), h.pacedClient(300, 40), rec, syncer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if most, _ := rec.windows(); most < 6 {
		t.Errorf("the read was split into at most %d windows; the test wants many", most)
	}
	assertMatchesFake(t, h.store, h.fake, nil)
	if st.Totals[lever.Opportunities] != n {
		t.Errorf("Totals[opportunities] = %d, want %d", st.Totals[lever.Opportunities], n)
	}
}

// TestSyncResumesExactlyAfterCancelsWithSplitWindowsInFlight cancels a
// sync at random pages, many times, while split windows read, and checks
// that the runs that follow store exactly the fake's data and count each
// opportunity once.
func TestSyncResumesExactlyAfterCancelsWithSplitWindowsInFlight(t *testing.T) {
	const n = 3000
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 7))
	h := newSyncHarness(t, fakelever.Config{Seed: 17, Opportunities: n, Latency: 5 * time.Millisecond}, fakelever.KeyFull)
	client := h.pacedClient(400, 40)
	rec := &windowRecorder{Sink: h.store}
	var final syncer.RunState
	cutsWithSplits := 0
	for attempt := 0; ; attempt++ {
		if attempt > 80 {
			t.Fatal("the sync never finished")
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopAt := int64(1 + rnd.IntN(6))
		var pages atomic.Int64
		stop := func(path string, _ lever.Page) bool { return pages.Add(1) == stopAt }
		st, err := h.runSink(ctx, cancellingLister{client, cancel, stop}, rec, syncer.Options{})
		cancel()
		if err == nil {
			final = st
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if _, last := rec.windows(); last > 1 {
			cutsWithSplits++
		}
	}
	if cutsWithSplits < 3 {
		t.Errorf("only %d cancellations came with split windows listed; the test wants several", cutsWithSplits)
	}
	assertMatchesFake(t, h.store, h.fake, nil)
	if final.Totals[lever.Opportunities] != n {
		t.Errorf("Totals[opportunities] = %d after %d resumes, want %d: a record counted twice or lost", final.Totals[lever.Opportunities], cutsWithSplits, n)
	}
}

// TestSyncNeverSendsMoreThanBurstPlusRate: whatever the engine keeps in
// flight, and whatever it retries after 429s from a server that allows
// less, the server never sees more than the client's burst plus its rate in
// any one second, counted before the server's own limiter.
func TestSyncNeverSendsMoreThanBurstPlusRate(t *testing.T) {
	const rate, burst = 20, 10
	h := newSyncHarness(t, fakelever.Config{Seed: 19, Opportunities: 3000, Latency: 20 * time.Millisecond, Rate: 8, Burst: 5}, fakelever.KeyFull)
	if _, err := h.runSink(context.Background(), h.pacedClient(rate, burst), h.store, syncer.Options{}); err != nil {
		t.Fatal(err)
	}
	st := h.fake.Stats()
	if st.Served429 == 0 {
		t.Error("the server refused nothing: the retries went untested")
	}
	if st.MaxArrivedInOneSecond > rate+burst {
		t.Errorf("%d requests reached the server in one second, more than the client's burst %d plus rate %d", st.MaxArrivedInOneSecond, burst, rate)
	}
	t.Logf("%d requests, %d refused, at most %d in one second", st.Requests, st.Served429, st.MaxArrivedInOneSecond)
}
