package progress_test

import (
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/progress/progresstest"
)

// TestSlowerRestsOnEvidence: a sync whose key Lever lets make fewer
// requests than the client may is not called slower in its first 10 s,
// and is from then on, with the snapshot's counts; a sync against an
// unthrottled Lever never is, even when no request has been made for a
// while (a low rate without refusals is only a run's tail); a paused or
// finished run never is.
func TestSlowerRestsOnEvidence(t *testing.T) {
	slow := progresstest.Record(t, progresstest.Slow())
	if slow.Err != nil {
		t.Fatalf("the slow sync failed: %v", slow.Err)
	}
	const tenSeconds = 10_000
	start := slow.Events[0].Time
	early, late := 0, 0
	for n, ev := range slow.Events {
		if ev.Type == syncer.EventSyncDone {
			break
		}
		m := foldUpTo(slow, n+1)
		m.SetRateLimit(lever.DefaultRate)
		s := m.Snapshot()
		got, ok := s.Slower(ev.Time)
		if ev.Time-start < tenSeconds {
			early++
			if ok {
				t.Fatalf("slower %+v after %d ms, before 10 s had passed", got, ev.Time-start)
			}
			continue
		}
		late++
		if !ok {
			t.Fatalf("not slower after %d ms at %.1f requests/s with %d retries (%d after 429)",
				ev.Time-start, s.RecentRequestRate(ev.Time, 30), s.Retries, s.RateLimited)
		}
		want := progress.Slowdown{Rate: got.Rate, Window: got.Window, Ceiling: lever.DefaultRate, RateLimited: s.RateLimited, Retries: s.Retries}
		if got != want || got.Window < 10 || got.Window > 30 || s.RateLimited == 0 || got.Rate <= 0 || got.Rate >= lever.DefaultRate/2 {
			t.Fatalf("after %d ms: %+v, want the snapshot's %d retries, %d after 429, under 5 of 10 requests/s", ev.Time-start, got, s.Retries, s.RateLimited)
		}
		// Against a ceiling less than twice its rate, the same run uses
		// most of what it may: not slower, 429s or not.
		m.SetRateLimit(1.5 * got.Rate)
		if got, ok := m.Snapshot().Slower(ev.Time); ok {
			t.Fatalf("slower at more than half the ceiling: %+v", got)
		}
		m.SetPaused(true)
		if got, ok := m.Snapshot().Slower(ev.Time); ok {
			t.Fatalf("a paused run is slower: %+v", got)
		}
	}
	if early == 0 || late == 0 {
		t.Fatalf("%d events before 10 s and %d after: the slow sync no longer spans 10 s", early, late)
	}
	m := foldUpTo(slow, len(slow.Events))
	m.SetRateLimit(lever.DefaultRate)
	if s := m.Snapshot(); !s.Finished {
		t.Fatal("the slow sync did not finish")
	} else if got, ok := s.Slower(s.LastAt + tenSeconds); ok {
		t.Errorf("a finished run is slower: %+v", got)
	}

	// Unthrottled, the run is over in a moment; at each of its events, 10 s
	// and 30 s later (no request since), it is not slower: nothing was
	// refused or failed.
	fast := full(t)
	for n, ev := range fast.Events {
		if ev.Type == syncer.EventSyncDone {
			break
		}
		m := foldUpTo(fast, n+1)
		m.SetRateLimit(lever.DefaultRate)
		s := m.Snapshot()
		if s.Retries != 0 {
			t.Fatalf("the unthrottled sync retried %d requests", s.Retries)
		}
		for _, later := range []int64{0, tenSeconds, 3 * tenSeconds} {
			if got, ok := s.Slower(ev.Time + later); ok {
				t.Fatalf("the unthrottled sync is slower %d ms after event %d: %+v", later, n, got)
			}
		}
	}
	// The slow sync, seen the same way once it stalls after its first
	// refusal, is.
	for n, ev := range slow.Events {
		if ev.Type != syncer.EventRetry {
			continue
		}
		m := foldUpTo(slow, n+1)
		m.SetRateLimit(lever.DefaultRate)
		if _, ok := m.Snapshot().Slower(ev.Time + 3*tenSeconds); !ok {
			t.Errorf("the slow sync, stalled 30 s after its first retry, is not slower")
		}
		return
	}
	t.Error("the slow sync had no retry")
}
