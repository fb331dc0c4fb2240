package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// faultPhase tells whether a request (path without the API root) belongs to
// a phase of the sync.
type faultPhase struct {
	name string
	in   func(path string) bool
}

var faultPhases = []faultPhase{
	{"lists", func(p string) bool {
		for _, l := range []string{"/users", "/stages", "/tags", "/sources", "/archive_reasons", "/requisitions", "/postings"} {
			if p == l {
				return true
			}
		}
		return false
	}},
	{"opportunities", func(p string) bool { return p == "/opportunities" }},
	{"deletions", func(p string) bool { return strings.HasSuffix(p, "/deleted") }},
	{"details", func(p string) bool { return strings.Count(p, "/") == 3 }},
}

// faultCase is one fault: storm requests of its phase get it, the first
// run ends with code (0: it finished), and the next run, without faults,
// finishes.
type faultCase struct {
	name  string
	fault fakelever.Fault
	storm int
	code  int
	// tokens: only requests with a page token get the fault.
	tokens bool
	// restart: the fake restarts (every token invalid) at the first
	// matching request with a page token, instead of a fault.
	restart bool
}

var faultCases = []faultCase{
	{name: "429 storm with Retry-After", fault: fakelever.Fault429, storm: 2},
	{name: "429 storm without Retry-After", fault: fakelever.Fault429Bare, storm: 3},
	{name: "503 burst", fault: fakelever.Fault503, storm: 3},
	{name: "503 beyond retries", fault: fakelever.Fault503, storm: 1 << 30, code: exitUnavailable},
	{name: "connection resets", fault: fakelever.FaultReset, storm: 3},
	{name: "resets beyond retries", fault: fakelever.FaultReset, storm: 1 << 30, code: exitUnavailable},
	{name: "truncated bodies", fault: fakelever.FaultTruncate, storm: 3},
	{name: "HTML page with 200", fault: fakelever.FaultHTML, storm: 1},
	{name: "HTML pages beyond retries", fault: fakelever.FaultHTML, storm: 1 << 30, code: exitNotLever},
	{name: "slower than the timeout", fault: fakelever.FaultSlow, storm: 2},
	{name: "invalid token mid-read", fault: fakelever.FaultBadToken, storm: 2, tokens: true},
	{name: "fake restarted mid-sync", restart: true, tokens: true},
}

// TestFaultMatrix runs a sync against the fake with each fault in each
// phase: it finishes with the fake's exact dataset, or stops with the
// documented exit code and the next run finishes exact.
func TestFaultMatrix(t *testing.T) {
	for _, ph := range faultPhases {
		for _, fc := range faultCases {
			t.Run(ph.name+"/"+fc.name, func(t *testing.T) {
				t.Parallel()
				runFaultCase(t, ph, fc)
			})
		}
	}
}

func runFaultCase(t *testing.T, ph faultPhase, fc faultCase) {
	var on atomic.Bool
	var hits atomic.Int64
	var srvp atomic.Pointer[fakelever.Server]
	on.Store(true)
	// Enough opportunities for several pages in a window; fewer when each
	// one costs three detail requests.
	opps := 250
	if ph.name == "details" {
		opps = 30
	}
	srv := startFake(t, fakelever.Config{Seed: 21, Opportunities: opps, Rate: -1, SlowBy: 10 * time.Second,
		Inject: func(path string, q url.Values) fakelever.Fault {
			if !on.Load() || !ph.in(path) || (fc.tokens && q.Get("offset") == "") {
				return fakelever.FaultNone
			}
			if hits.Add(1) > int64(max(fc.storm, 1)) {
				return fakelever.FaultNone
			}
			if fc.restart {
				// Every token handed out so far, this one's too, is
				// now invalid.
				srvp.Load().Restart()
				return fakelever.FaultNone
			}
			return fc.fault
		}})
	srvp.Store(srv)
	details := ph.name == "details"
	db := filepath.Join(t.TempDir(), "ls.db")
	// The deletions phase reads a deleted list only when something was
	// deleted: a first sync, then deletions, then the faulty run.
	if ph.name == "deletions" {
		on.Store(false)
		if err := faultSync(t, srv, db, false, 0); err != nil {
			t.Fatalf("sync before the deletions: %v", err)
		}
		srv.DeleteOpportunities(20)
		srv.DeletePostings(2)
		on.Store(true)
	}
	err := faultSync(t, srv, db, details, 0)
	if got := codeOf(err); got != fc.code {
		t.Fatalf("first run: exit %d (%v), want %d", got, err, fc.code)
	}
	if fc.code != 0 {
		on.Store(false)
		if err := faultSync(t, srv, db, details, 0); err != nil {
			t.Fatalf("the run after the fault: %v", err)
		}
	}
	if hits.Load() == 0 && !(fc.tokens && (ph.name == "lists" || ph.name == "deletions" || ph.name == "details")) {
		t.Errorf("the fault never happened")
	}
	assertExact(t, srv, db)
}

func codeOf(err error) int {
	if err == nil {
		return 0
	}
	return codeFor(err)
}

// faultSync runs one sync in process, as `leversync sync` does, with quick
// retries and a short request timeout.
func faultSync(t *testing.T, srv *fakelever.Server, db string, details bool, maxSize int) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := app.Start(ctx, app.SyncJob{
		Target: app.Target{Env: lever.Custom, BaseURL: srv.URL()},
		Key:    lever.NewAPIKey(fakelever.KeyFull),
		DBPath: db,
		Client: lever.Options{Rate: -1, MaxRetries: 4, BaseBackoff: 5 * time.Millisecond, RequestTimeout: 500 * time.Millisecond},
		Store:  store.Options{MaxSize: maxSize},
		Sync:   syncer.Options{Details: details},
	})
	if err != nil {
		return err
	}
	for range run.Events() {
	}
	_, err = run.Wait()
	return err
}

// assertExact compares every list resource in db with the fake's data.
func assertExact(t *testing.T, srv *fakelever.Server, db string) {
	t.Helper()
	st, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("store check: %v", err)
	}
	for _, r := range lever.ListResources {
		var b strings.Builder
		if err := st.Export(r, false, func(_ string, raw []byte) error {
			b.Write(raw)
			b.WriteByte('\n')
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := expectedExport(srv, r); b.String() != want {
			t.Errorf("%s: the store differs from the fake's data (%d records stored, %d expected)", r, strings.Count(b.String(), "\n"), strings.Count(want, "\n"))
		}
	}
}

// TestFaultMatrixDiskFull fills the data file's size limit (the hidden
// --max-db-size) in the opportunities phase of a first sync and in the
// details phase of a later one: exit 6, and the next run without the limit
// ends exact.
func TestFaultMatrixDiskFull(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 22, Opportunities: 400, Rate: -1})
	db := filepath.Join(t.TempDir(), "ls.db")
	if err := faultSync(t, srv, db, false, 128<<10); codeOf(err) != exitStore {
		t.Fatalf("first sync under a 128 KiB limit: exit %d (%v), want %d", codeOf(err), err, exitStore)
	}
	if err := faultSync(t, srv, db, false, 0); err != nil {
		t.Fatalf("sync without the limit: %v", err)
	}
	assertExact(t, srv, db)
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	// bbolt grows the file ahead of its data: half its size is reached
	// only once the details need room.
	err = faultSync(t, srv, db, true, int(fi.Size())/2)
	if codeOf(err) != exitStore || !strings.Contains(err.Error(), "details") {
		t.Fatalf("details sync under a limit at half the file's size: exit %d (%v), want %d in the details phase", codeOf(err), err, exitStore)
	}
	if err := faultSync(t, srv, db, true, 0); err != nil {
		t.Fatalf("details sync without the limit: %v", err)
	}
	assertExact(t, srv, db)
}
