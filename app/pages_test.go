package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
)

func completed() steps.State {
	s := at(steps.StepSync)
	s.Completed = true
	return s
}

// TestPausedSyncMakesNoRequests: while paused, the sync sends Lever
// nothing; resumed, it finishes.
func TestPausedSyncMakesNoRequests(t *testing.T) {
	// Slow enough that the sync cannot end before the pause: it needs
	// dozens of round trips of 30ms.
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 2000, Latency: 30 * time.Millisecond, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	svc, _ := fakeServices(t, fake, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := svc.StartSync(ctx, completed(), lever.APIKey{})
	if err != nil {
		t.Fatal(err)
	}
	run.SetPaused(true)
	// Drain until the engine can go no further: no event for a while.
	var requests int64
	for quiet := false; !quiet; {
		select {
		case ev, ok := <-run.Events():
			if !ok {
				t.Fatal("the sync ended while paused")
			}
			requests = max(requests, ev.Requests)
		case <-time.After(500 * time.Millisecond):
			quiet = true
		}
	}
	// At most the requests in flight when it paused were made.
	if requests > 8 {
		t.Errorf("%d requests were made although the sync was paused at its start", requests)
	}
	select {
	case ev := <-run.Events():
		t.Fatalf("the paused sync went on: %+v", ev)
	case <-time.After(500 * time.Millisecond):
	}
	run.SetPaused(false)
	var done syncer.Event
	for ev := range run.Events() {
		done = ev
	}
	st, err := run.Wait()
	if err != nil || done.Type != syncer.EventSyncDone || st.Totals[lever.Opportunities] != 2000 {
		t.Fatalf("after resuming: %v, last event %s, totals %v", err, done.Type, st.Totals)
	}
}

// TestPagesReadTheSyncedFile: the Jobs page's reads see what a sync stored,
// during the sync (through its open file) and after it.
func TestPagesReadTheSyncedFile(t *testing.T) {
	fake := startFake(t)
	svc, _ := fakeServices(t, fake, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if df, err := svc.DataFile(ctx); err != nil || len(df.Counts) != 0 || df.LastRun != nil {
		t.Fatalf("before any sync: %+v, %v", df, err)
	}
	run, err := svc.StartSync(ctx, completed(), lever.APIKey{})
	if err != nil {
		t.Fatal(err)
	}
	if inFile, last := run.Before(); inFile[lever.Opportunities] != 0 || last != nil {
		t.Errorf("a first sync began with %v in the file, last run %v", inFile, last)
	}
	if run.RateLimit() != lever.DefaultRate && run.RateLimit() != 0 {
		t.Errorf("rate limit %v", run.RateLimit())
	}
	for ev := range run.Events() {
		if ev.Type == syncer.EventPhaseDone && ev.Phase == string(lever.Postings) {
			// Mid-sync, through the sync's own open file.
			if jobs, err := svc.Jobs(ctx); err != nil || len(jobs) == 0 {
				t.Errorf("jobs during the sync: %d, %v", len(jobs), err)
			}
		}
	}
	if _, err := run.Wait(); err != nil {
		t.Fatal(err)
	}
	df, err := svc.DataFile(ctx)
	if err != nil || df.Counts[lever.Opportunities] != 30 || df.LastRun == nil {
		t.Fatalf("after the sync: %+v, %v", df, err)
	}
	jobs, err := svc.Jobs(ctx)
	if err != nil || len(jobs) == 0 {
		t.Fatalf("jobs: %v, %v", jobs, err)
	}
	total := 0
	for _, j := range jobs {
		cs, err := svc.Candidates(ctx, j.ID)
		if err != nil || len(cs) != j.Candidates {
			t.Errorf("job %s lists %d candidates of %d: %v", j.Title, len(cs), j.Candidates, err)
		}
		for _, c := range cs {
			if c.Name == "" || c.Stage == "" {
				t.Errorf("candidate %+v has no name or stage", c)
			}
		}
		total += len(cs)
	}
	if total == 0 {
		t.Fatal("no candidate listed under any job")
	}
	// Every stored candidate is found by their first name.
	cs, _ := svc.Candidates(ctx, jobs[0].ID)
	if len(cs) > 0 {
		found, _, err := svc.SearchCandidates(ctx, cs[0].Name, 50)
		if err != nil || !containsCandidate(found, cs[0].ID) {
			t.Errorf("search %q: %v, %v", cs[0].Name, found, err)
		}
	}
	// The next sync starts from what the file holds.
	run, err = svc.StartSync(ctx, completed(), lever.APIKey{})
	if err != nil {
		t.Fatal(err)
	}
	inFile, last := run.Before()
	for range run.Events() {
	}
	if _, err := run.Wait(); err != nil {
		t.Fatal(err)
	}
	if inFile[lever.Opportunities] != 30 || last == nil {
		t.Errorf("a second sync began with %v in the file, last run %v", inFile, last)
	}
}

func containsCandidate(cs []steps.Candidate, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// TestPausedSyncHoldsRetries: a pause holds the retries of requests Lever
// refused too. Lever allows 2 requests/s here, so the sync's first
// requests meet 429s; once one is retried the sync is paused, and Lever
// gets nothing more for longer than every back-off and Retry-After.
func TestPausedSyncHoldsRetries(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 300, Latency: 20 * time.Millisecond, Rate: 2, Burst: 2}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := Start(ctx, SyncJob{
		Target: Target{Env: lever.Custom, BaseURL: fake.URL()}, Key: lever.NewAPIKey(fakelever.KeyFull),
		DBPath: filepath.Join(t.TempDir(), "leversync.db"),
		Client: lever.Options{Rate: 10, Burst: 20, MaxRetries: 8, BaseBackoff: 300 * time.Millisecond, MaxRetryAfter: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range run.Events() {
		if ev.Type == syncer.EventRetry {
			break
		}
	}
	run.SetPaused(true)
	go func() {
		for range run.Events() {
		}
	}()
	time.Sleep(200 * time.Millisecond) // what was on its way lands
	before := fake.Stats().Requests
	time.Sleep(2500 * time.Millisecond)
	if after := fake.Stats().Requests; after != before {
		t.Errorf("Lever got %d requests while the sync was paused (%d, then %d)", after-before, before, after)
	}
	cancel()
	_, _ = run.Wait()
}
