// Package progresstest records the events of real syncs, for tests of what
// is shown: the engine (lever/syncer) runs against the fake Lever
// (lever/fakelever) through the real client into a store in a temporary
// folder, so a test only ever sees event sequences the product emits.
// Recordings are saved as the JSON lines of leversync sync --json.
package progresstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// Scenario is a sync to record.
type Scenario struct {
	// Fake is the fake Lever's data and limits.
	Fake fakelever.Config
	// Key is one of the fake's keys (fakelever.KeyFull, ...).
	Key string
	// Client is the client's rate, burst and retries; BaseURL, Key, OnRetry
	// and HTTPClient are set here.
	Client lever.Options
	// Sync is the engine's options for every run.
	Sync syncer.Options
	// Prior syncs run before the recorded one, unrecorded, on the same
	// store: each to its end, or until its Stop says so.
	Prior []Stop
	// Mutate changes the fake Lever just before the recorded run (records
	// updated or deleted in Lever).
	Mutate func(*fakelever.Server)
	// Stop, when set, cancels the recorded run once it returns true: an
	// interrupted sync.
	Stop Stop
}

// Stop decides, from a page Lever has just answered, whether to cancel the
// run there: that page is the last one stored. nil never does.
type Stop func(path string, query url.Values, p lever.Page) bool

// Recording is one run's events and what Run returned.
type Recording struct {
	Events []syncer.Event
	State  syncer.RunState
	Err    error
	// InFileBefore and LastRun are what the data file held when the run
	// began: records per resource, and the last finished run (nil if
	// none).
	InFileBefore map[lever.Resource]int
	LastRun      *syncer.RunState
	// InFile is, for each event that stored something (page_stored,
	// phase_done, sync_done), what the data file held when the event was
	// received; nil for the other events. The engine reports a page once
	// it is committed, so a count may already include a later page.
	InFile []map[lever.Resource]int
}

// Record runs the scenario and returns the recorded run.
func Record(t testing.TB, sc Scenario) Recording {
	t.Helper()
	fake, err := fakelever.Start(sc.Fake, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)

	var engine *syncer.Engine
	opts := sc.Client
	opts.BaseURL, opts.Key = fake.URL(), lever.NewAPIKey(sc.Key)
	opts.HTTPClient = &http.Client{Transport: transport}
	opts.OnRetry = func(ri lever.RetryInfo) {
		if engine != nil {
			engine.OnRetry(ri)
		}
	}
	client, err := lever.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "leversync.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	run := func(stop Stop) Recording {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var l lever.Lister = client
		if stop != nil {
			l = stoppingLister{client, cancel, stop}
		}
		engine = syncer.NewEngine(l, st, sc.Sync)
		counts, err := st.Counts()
		if err != nil {
			t.Fatal(err)
		}
		_, last, err := st.LoadRun()
		if err != nil {
			t.Fatal(err)
		}
		rec := record(ctx, engine, st)
		rec.InFileBefore, rec.LastRun = counts, last
		return rec
	}
	for i, stop := range sc.Prior {
		if rec := run(stop); rec.Err != nil && !errors.Is(rec.Err, context.Canceled) {
			t.Fatalf("prior sync %d: %v", i+1, rec.Err)
		}
	}
	if sc.Mutate != nil {
		sc.Mutate(fake)
	}
	return run(sc.Stop)
}

// stoppingLister cancels a run right after Lever answers the page its stop
// picks.
type stoppingLister struct {
	lever.Lister
	cancel context.CancelFunc
	stop   Stop
}

func (s stoppingLister) ListPage(ctx context.Context, path string, q url.Values, offset string) (lever.Page, error) {
	p, err := s.Lister.ListPage(ctx, path, q, offset)
	if err == nil && s.stop(path, q, p) {
		s.cancel()
	}
	return p, err
}

// record runs engine once and keeps every event it sends, with what the
// store holds as each one that stored something arrives.
func record(ctx context.Context, engine *syncer.Engine, st *store.Store) Recording {
	events := make(chan syncer.Event, 64)
	var rec Recording
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			rec.Events = append(rec.Events, ev)
			var counts map[lever.Resource]int
			switch ev.Type {
			case syncer.EventPageStored, syncer.EventPhaseDone, syncer.EventSyncDone:
				counts, _ = st.Counts()
			}
			rec.InFile = append(rec.InFile, counts)
		}
	}()
	state, err := engine.Run(ctx, events)
	close(events)
	<-done
	rec.State, rec.Err = state, err
	return rec
}

// before is what the data file held when a recorded run began, saved
// beside its events.
type before struct {
	InFile  map[lever.Resource]int `json:"inFile"`
	LastRun *syncer.RunState       `json:"lastRun,omitempty"`
}

func beforePath(path string) string { return strings.TrimSuffix(path, ".jsonl") + ".before.json" }

// Write saves the events as JSON lines, as leversync sync --json prints
// them. What Run returned is in the last line, sync_done. What the file
// held before the run goes beside it, in NAME.before.json, and what it held
// at each event in NAME.infile.jsonl, a line per event.
func (r Recording) Write(path string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, ev := range r.Events {
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(before{InFile: r.InFileBefore, LastRun: r.LastRun}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(beforePath(path), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	b.Reset()
	for _, c := range r.InFile {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	return os.WriteFile(inFilePath(path), b.Bytes(), 0o644)
}

func inFilePath(path string) string { return strings.TrimSuffix(path, ".jsonl") + ".infile.jsonl" }

// Read loads a recording saved by Write. Its State and Err are those the
// engine's Run returns with that last sync_done: the run, and for a run
// that did not succeed its error (context.Canceled when interrupted).
func Read(path string) (Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return Recording{}, err
	}
	defer f.Close()
	var rec Recording
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev syncer.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return Recording{}, fmt.Errorf("%s: %w", path, err)
		}
		rec.Events = append(rec.Events, ev)
	}
	if err := sc.Err(); err != nil {
		return Recording{}, err
	}
	if n := len(rec.Events); n == 0 || rec.Events[n-1].Type != syncer.EventSyncDone || rec.Events[n-1].Run == nil {
		return Recording{}, fmt.Errorf("%s: the recording does not end with sync_done", path)
	}
	if raw, err := os.ReadFile(beforePath(path)); err == nil {
		var b before
		if err := json.Unmarshal(raw, &b); err != nil {
			return Recording{}, fmt.Errorf("%s: %w", beforePath(path), err)
		}
		rec.InFileBefore, rec.LastRun = b.InFile, b.LastRun
	}
	if raw, err := os.ReadFile(inFilePath(path)); err == nil {
		for line := range bytes.Lines(raw) {
			var c map[lever.Resource]int
			if err := json.Unmarshal(line, &c); err != nil {
				return Recording{}, fmt.Errorf("%s: %w", inFilePath(path), err)
			}
			rec.InFile = append(rec.InFile, c)
		}
		if len(rec.InFile) != len(rec.Events) {
			return Recording{}, fmt.Errorf("%s has %d lines for %d events", inFilePath(path), len(rec.InFile), len(rec.Events))
		}
	}
	rec.State = *rec.Events[len(rec.Events)-1].Run
	switch rec.State.Result {
	case syncer.ResultInterrupted:
		rec.Err = context.Canceled
	case syncer.ResultFailed:
		rec.Err = errors.New(rec.State.Error)
	}
	return rec, nil
}
