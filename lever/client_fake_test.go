package lever_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/permission"
)

func startFake(t testing.TB, cfg fakelever.Config) *fakelever.Server {
	t.Helper()
	s, err := fakelever.Start(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fakeClient(t testing.TB, base, key string, mod func(*lever.Options)) *lever.Client {
	t.Helper()
	o := lever.Options{BaseURL: base, Key: lever.NewAPIKey(key), Rate: -1, BaseBackoff: time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	c, err := lever.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// allOpportunities is the query whose result the fake's Expected describes.
var allOpportunities = url.Values{"expand": {"applications"}, "confidentiality": {"all"}}

// collect pages through path and returns id -> raw, failing on a duplicate.
// It may run in any goroutine.
func collect(t testing.TB, c *lever.Client, r lever.Resource, query url.Values) map[string]json.RawMessage {
	t.Helper()
	got := map[string]json.RawMessage{}
	for page, err := range lever.Pages(context.Background(), c, "/"+string(r), query, "") {
		if err != nil {
			t.Errorf("paging %s: %v", r, err)
			return got
		}
		for _, raw := range page.Data {
			rec, err := lever.DecodeRecord(r, raw, "")
			if err != nil {
				t.Error(err)
				return got
			}
			if _, dup := got[rec.ID]; dup {
				t.Errorf("%s %s served twice", r, rec.ID)
			}
			got[rec.ID] = rec.Raw
		}
	}
	return got
}

// sameRecords compares two id -> JSON maps byte for byte: the client must
// hand on exactly what Lever sent.
func sameRecords(t *testing.T, what string, got, want map[string]json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d records, want %d", what, len(got), len(want))
	}
	diff := 0
	for id, w := range want {
		if g, ok := got[id]; ok && bytes.Equal(g, w) {
			continue
		}
		if diff++; diff <= 3 {
			t.Errorf("%s: record %s missing or different", what, id)
		}
	}
}

// TestFakePaginatesEveryOpportunityOnce reads 10,000+ opportunities and
// checks each arrives exactly once: n records, n distinct ids. It asks
// without expand and reads only the id, to stay quick under -race;
// TestFakeRecoversFromFaults compares whole records with the fake's.
func TestFakePaginatesEveryOpportunityOnce(t *testing.T) {
	const n = 10_250
	fake := startFake(t, fakelever.Config{Seed: 7, Opportunities: n, Rate: -1})
	c := fakeClient(t, fake.URL(), fakelever.KeyFull, nil)
	seen := make(map[string]bool, n)
	total := 0
	for page, err := range lever.Pages(context.Background(), c, "/opportunities", url.Values{"confidentiality": {"all"}}, "") {
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Data {
			id := firstID(t, raw)
			if seen[id] {
				t.Errorf("opportunity %s served twice", id)
			}
			seen[id] = true
			total++
		}
	}
	if total != n || len(seen) != n {
		t.Errorf("%d records, %d distinct; want %d", total, len(seen), n)
	}
	if want := int64(n/100 + 1); c.Requests() != want {
		t.Errorf("%d requests, want %d", c.Requests(), want)
	}
}

// firstID reads a record's id, which Lever (and the fake) put first, without
// decoding the rest.
func firstID(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var toks [3]json.Token
	for i := range toks {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		toks[i] = tok
	}
	id, ok := toks[2].(string)
	if toks[1] != "id" || !ok || id == "" {
		t.Fatalf("record does not start with an id: %.60s", raw)
	}
	return id
}

// TestFakeRecoversFromFaults: 503s, dropped connections, truncated bodies
// and 429s give the same records as a clean run.
func TestFakeRecoversFromFaults(t *testing.T) {
	cfg := fakelever.Config{Seed: 11, Opportunities: 900, Rate: -1}
	clean := startFake(t, cfg)
	want := map[lever.Resource]map[string]json.RawMessage{}
	cc := fakeClient(t, clean.URL(), fakelever.KeyFull, nil)
	want[lever.Opportunities] = collect(t, cc, lever.Opportunities, allOpportunities)
	want[lever.Users] = collect(t, cc, lever.Users, url.Values{"includeDeactivated": {"true"}})
	want[lever.Postings] = collect(t, cc, lever.Postings, url.Values{"confidentiality": {"all"}})
	sameRecords(t, "clean opportunities", want[lever.Opportunities], clean.Expected("opportunities"))

	cfg.Faults, cfg.Rate, cfg.Burst = 0.25, 20, 2
	faulty := startFake(t, cfg)
	var retries atomic.Int64
	fc := fakeClient(t, faulty.URL(), fakelever.KeyFull, func(o *lever.Options) {
		o.MaxRetries = 20
		o.OnRetry = func(lever.RetryInfo) { retries.Add(1) }
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[lever.Resource]map[string]json.RawMessage{}
	for r := range want {
		q := allOpportunities
		switch r {
		case lever.Users:
			q = url.Values{"includeDeactivated": {"true"}}
		case lever.Postings:
			q = url.Values{"confidentiality": {"all"}}
		}
		wg.Go(func() {
			recs := collect(t, fc, r, q)
			mu.Lock()
			got[r] = recs
			mu.Unlock()
		})
	}
	wg.Wait()
	for r := range want {
		sameRecords(t, string(r), got[r], want[r])
	}
	st := faulty.Stats()
	if st.Faults == 0 || st.Served429 == 0 {
		t.Errorf("the fake injected %d faults and %d 429s; the test needs both", st.Faults, st.Served429)
	}
	// Go's transport itself resends a request whose idle connection was
	// dropped, so not every fault reaches the client's retry loop.
	if retries.Load() < st.Served429 || retries.Load() == 0 {
		t.Errorf("%d retries for %d faults and %d 429s", retries.Load(), st.Faults, st.Served429)
	}
}

// TestFakeRateLimit: the client alone keeps to rate + burst in every
// one-second window, even with many goroutines sharing it.
func TestFakeRateLimit(t *testing.T) {
	t.Parallel() // mostly waiting on the limiter
	// A slow rate spaces requests 100ms apart, so the fake's clock, which
	// stamps each request on arrival, would need 100ms of jitter to see more
	// than the client sent in a second.
	const rateLimit, burst, workers, each = 10, 5, 5, 5
	fake := startFake(t, fakelever.Config{Seed: 3, Opportunities: 100, Rate: -1})
	c := fakeClient(t, fake.URL(), fakelever.KeyFull, func(o *lever.Options) { o.Rate, o.Burst = rateLimit, burst })
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := c.ListPage(context.Background(), "/stages", nil, ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := fake.Stats()
	if st.Requests != workers*each {
		t.Errorf("fake saw %d requests, want %d", st.Requests, workers*each)
	}
	if st.MaxInOneSecond > rateLimit+burst {
		t.Errorf("fake accepted %d requests in one second; the client allows at most %d", st.MaxInOneSecond, rateLimit+burst)
	}
	if st.MaxInOneSecond <= burst {
		t.Errorf("fake saw at most %d requests in a second: the test did not load the limiter", st.MaxInOneSecond)
	}
}

func TestFakeTypedErrors(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake := startFake(t, fakelever.Config{Seed: 5, Opportunities: 300, Rate: -1, Now: clock})
	ctx := context.Background()
	var errs []string
	defer func() {
		var keys []string
		for _, k := range fakelever.Keys() {
			keys = append(keys, k.Key)
		}
		if len(errs) < 5 {
			t.Errorf("only %d errors collected", len(errs))
		}
		assertNoKey(t, strings.Join(errs, "\n"), keys...)
	}()
	note := func(err error) error {
		if err != nil {
			errs = append(errs, err.Error())
		}
		return err
	}

	if err := fakeClient(t, fake.URL(), fakelever.KeySandbox, nil).VerifyKey(ctx); !errors.Is(note(err), lever.ErrUnauthorized) {
		t.Errorf("sandbox key on production: %v", err)
	}
	if err := fakeClient(t, fake.SandboxURL(), fakelever.KeyFull, nil).VerifyKey(ctx); !errors.Is(note(err), lever.ErrUnauthorized) {
		t.Errorf("production key on sandbox: %v", err)
	}
	if err := fakeClient(t, fake.SandboxURL(), fakelever.KeySandbox, nil).VerifyKey(ctx); err != nil {
		t.Errorf("sandbox key on sandbox: %v", err)
	}
	missing := fakeClient(t, fake.URL(), fakelever.KeyMissingTwo, nil)
	if err := missing.VerifyKey(ctx); err != nil {
		t.Errorf("a key lacking some permissions is still valid: %v", err)
	}
	_, err := missing.ListPage(ctx, "/requisitions", nil, "")
	var pe *lever.PermissionError
	if !errors.As(note(err), &pe) || pe.Permission != "find all requisitions" || !errors.Is(err, lever.ErrForbidden) {
		t.Errorf("missing permission: %v", err)
	}
	_, err = fakeClient(t, fake.URL(), fakelever.KeyNoConfidential, nil).ListPage(ctx, "/opportunities", allOpportunities, "")
	if !errors.Is(note(err), lever.ErrForbidden) {
		t.Errorf("confidential records without access: %v", err)
	}

	c := fakeClient(t, fake.URL(), fakelever.KeyFull, nil)
	page, err := c.ListPage(ctx, "/opportunities", nil, "")
	if err != nil || !page.HasNext {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	if _, err := c.ListPage(ctx, "/opportunities", nil, page.Next); err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	if _, err := c.ListPage(ctx, "/opportunities", nil, "%5B1%2C2%2C%22x%22%5D"); !errors.Is(note(err), lever.ErrInvalidOffset) {
		t.Errorf("forged token: %v", err)
	}
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	if _, err := c.ListPage(ctx, "/opportunities", nil, page.Next); !errors.Is(note(err), lever.ErrInvalidOffset) {
		t.Errorf("expired token: %v", err)
	}
	if !page.ServerTime.Equal(now.Add(-11 * time.Minute).Truncate(time.Second)) {
		t.Errorf("ServerTime = %v, want the fake's clock %v", page.ServerTime, now.Add(-11*time.Minute))
	}
}

func TestFakeProbes(t *testing.T) {
	fake := startFake(t, fakelever.Config{Seed: 9, Opportunities: 200, Rate: -1})
	ctx := context.Background()
	probeAll := func(key string) map[string]lever.ProbeResult {
		c := fakeClient(t, fake.URL(), key, nil)
		results := make(chan lever.ProbeResult)
		go c.ProbeAll(ctx, permission.All, results)
		out := map[string]lever.ProbeResult{}
		for r := range results {
			out[r.Permission.Name] = r
		}
		if len(out) != len(permission.All) {
			t.Errorf("%d results for %d permissions", len(out), len(permission.All))
		}
		return out
	}
	expect := func(key string, want func(p permission.Permission) lever.ProbeStatus) {
		t.Helper()
		for name, r := range probeAll(key) {
			p, _ := permission.ByName(name)
			if w := want(p); r.Status != w {
				t.Errorf("%s: %q is %v (%s), want %v", keyName(key), name, r.Status, r.Detail, w)
			}
		}
	}
	expect(fakelever.KeyFull, func(permission.Permission) lever.ProbeStatus { return lever.Granted })
	expect(fakelever.KeyReadOnly, func(p permission.Permission) lever.ProbeStatus {
		if p.Write {
			return lever.Missing
		}
		return lever.Granted
	})
	expect(fakelever.KeyMissingTwo, func(p permission.Permission) lever.ProbeStatus {
		if p.Name == "find all tags" || p.Name == "find all requisitions" {
			return lever.Missing
		}
		return lever.Granted
	})
	expect(fakelever.KeySandbox, func(permission.Permission) lever.ProbeStatus { return lever.Unknown })

	if r := fakeClient(t, fake.URL(), fakelever.KeyFull, nil).ProbeConfidential(ctx); r.Status != lever.Granted {
		t.Errorf("full key confidential: %+v", r)
	}
	if r := fakeClient(t, fake.URL(), fakelever.KeyNoConfidential, nil).ProbeConfidential(ctx); r.Status != lever.Missing {
		t.Errorf("no-confidential key: %+v", r)
	}
	if r := fakeClient(t, fake.URL(), fakelever.KeySandbox, nil).ProbeConfidential(ctx); r.Status != lever.Unknown || !errors.Is(r.Err, lever.ErrUnauthorized) {
		t.Errorf("sandbox key on production: %+v", r)
	}
	for path, n := range fake.Stats().ByPath {
		if path == "GET /contacts" {
			t.Errorf("probes asked for a contacts list, which Lever does not have (%d times)", n)
		}
	}
	if got := len(fake.Expected("opportunities")); got != 200 {
		t.Errorf("probes changed the data: %d opportunities", got)
	}
}

func TestFakeProbeAllCancel(t *testing.T) {
	fake := startFake(t, fakelever.Config{Seed: 9, Opportunities: 50, Rate: -1, Latency: 10 * time.Second})
	c := fakeClient(t, fake.URL(), fakelever.KeyFull, nil)
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan lever.ProbeResult)
	done := make(chan struct{})
	go func() { c.ProbeAll(ctx, permission.All, results); close(done) }()
	time.AfterFunc(100*time.Millisecond, cancel)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-results:
			if !ok {
				<-done
				return
			}
		case <-deadline:
			t.Fatal("ProbeAll did not finish within 5s of the cancel")
		}
	}
}

// TestNoGoroutineLeft: paging and a cancelled ProbeAll leave no goroutine
// behind once the transport's idle connections are closed.
func TestNoGoroutineLeft(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fake, err := fakelever.Start(fakelever.Config{Seed: 2, Opportunities: 300, Rate: -1}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	c := fakeClient(t, fake.URL(), fakelever.KeyFull, func(o *lever.Options) { o.HTTPClient = &http.Client{Transport: tr} })
	var wg sync.WaitGroup
	for _, r := range []lever.Resource{lever.Opportunities, lever.Users, lever.Postings} {
		var q url.Values
		if r == lever.Opportunities {
			q = allOpportunities
		}
		wg.Go(func() { collect(t, c, r, q) })
	}
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan lever.ProbeResult)
	wg.Go(func() { c.ProbeAll(ctx, permission.All, results) })
	<-results // one probe done, the others in flight or queued
	cancel()
	for range results {
	}
	wg.Wait()
}

func keyName(key string) string {
	for _, k := range fakelever.Keys() {
		if k.Key == key {
			return k.Name
		}
	}
	return "unknown key"
}
