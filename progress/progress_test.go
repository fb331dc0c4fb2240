package progress_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/progress/progresstest"
)

// fold applies a recording's events and what Run returned.
func fold(rec progresstest.Recording) progress.Snapshot {
	m := progress.New()
	for _, ev := range rec.Events {
		m.Apply(ev)
	}
	m.Finish(rec.State, rec.Err)
	return m.Snapshot()
}

func states(s progress.Snapshot) map[string]progress.State {
	out := map[string]progress.State{}
	for _, p := range s.Phases {
		out[p.Name] = p.State
	}
	return out
}

// TestModelFoldsRealSyncs feeds the model what the engine emits in each
// kind of run against the fake Lever.
func TestModelFoldsRealSyncs(t *testing.T) {
	listsDone := func(s progress.Snapshot) map[string]progress.State {
		want := map[string]progress.State{syncer.PhaseDeletions: progress.Done}
		for _, r := range lever.ListResources {
			want[string(r)] = progress.Done
		}
		return want
	}
	cases := []struct {
		name   string
		sc     progresstest.Scenario
		result string
		word   string
		check  func(t *testing.T, s progress.Snapshot, rec progresstest.Recording)
	}{
		{name: "full", sc: progresstest.Full(), result: syncer.ResultOK, word: "done", check: func(t *testing.T, s progress.Snapshot, _ progresstest.Recording) {
			if got, want := states(s), listsDone(s); !equalStates(got, want) {
				t.Errorf("phase states %v, want %v", got, want)
			}
			if s.Records() != s.Stored() || s.Stored() < 1200 {
				t.Errorf("stored %d, records %d", s.Stored(), s.Records())
			}
			if p, _ := s.Phase("opportunities"); p.Records != 1200 || p.Pages == 0 || p.Resource != lever.Opportunities {
				t.Errorf("opportunities row %+v", p)
			}
			if s.Retries != 0 || len(s.Warnings) != 0 || len(s.Errors) != 0 || s.Err != "" || len(s.Tombstones) != 0 {
				t.Errorf("a clean sync shows trouble: %+v", s)
			}
			if s.Run.UpdatedSince != 0 {
				t.Error("a first sync reads as incremental")
			}
		}},
		{name: "no confidential access", sc: progresstest.NoConfidential(), result: syncer.ResultWarnings, word: "done with warnings", check: func(t *testing.T, s progress.Snapshot, _ progresstest.Recording) {
			if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "no access to confidential data") {
				t.Errorf("warnings %q", s.Warnings)
			}
			if got, want := states(s), listsDone(s); !equalStates(got, want) {
				t.Errorf("phase states %v, want %v", got, want)
			}
		}},
		{name: "throttled", sc: progresstest.Throttled(), result: syncer.ResultOK, word: "done", check: func(t *testing.T, s progress.Snapshot, rec progresstest.Recording) {
			var retries, limited int
			var last syncer.Event
			for _, ev := range rec.Events {
				if ev.Type == syncer.EventRetry {
					retries++
					last = ev
					if ev.Status == 429 {
						limited++
					}
				}
			}
			if retries == 0 {
				t.Fatal("the throttled sync was never retried; the scenario tests nothing")
			}
			if s.Retries != retries || s.RateLimited != limited {
				t.Errorf("retries %d (429s %d), want %d (%d)", s.Retries, s.RateLimited, retries, limited)
			}
			r := s.LastRetry
			if r == nil || r.Status != 429 || r.Cause() != "HTTP 429" || r.Attempt != last.Attempt || r.WaitMS != last.WaitMS ||
				!strings.HasPrefix(r.Path, "/") || strings.Contains(r.Path, " ") || !strings.Contains(r.Err, "429") {
				t.Errorf("last retry %+v from %+v", r, last)
			}
		}},
		{name: "incremental with deletions", sc: progresstest.Deletions(), result: syncer.ResultOK, word: "done", check: func(t *testing.T, s progress.Snapshot, _ progresstest.Recording) {
			if s.Run.UpdatedSince == 0 {
				t.Error("an incremental sync reads as full")
			}
			if p, _ := s.Phase("opportunities"); p.Records != 5 || p.Deleted != 0 {
				t.Errorf("opportunities row %+v, want the 5 updated and no deletions", p)
			}
			if p, _ := s.Phase(syncer.PhaseDeletions); p.Records != 3 || p.Deleted != 3 || p.State != progress.Done {
				t.Errorf("deletions row %+v", p)
			}
			if s.Tombstones[lever.Opportunities] != 2 || s.Tombstones[lever.Postings] != 1 {
				t.Errorf("tombstones %v", s.Tombstones)
			}
			if s.Records() != s.Stored() {
				t.Errorf("records %d count tombstones; stored %d", s.Records(), s.Stored())
			}
		}},
		{name: "failed", sc: progresstest.Failed(), result: syncer.ResultFailed, word: "failed", check: func(t *testing.T, s progress.Snapshot, rec progresstest.Recording) {
			// The key lacks tags and requisitions; whichever is refused
			// first fails the run.
			if len(s.Errors) != 1 || s.Err != rec.Err.Error() {
				t.Fatalf("errors %q, err %q", s.Errors, s.Err)
			}
			failed := "tags"
			if strings.HasPrefix(s.Errors[0], "sync requisitions: ") {
				failed = "requisitions"
			}
			if !strings.Contains(s.Errors[0], `"find all `+failed+`"`) {
				t.Errorf("error %q", s.Errors[0])
			}
			st := states(s)
			// The deleted lists are read beside the others, so they may
			// have begun; nothing is left syncing (checked below).
			if st[failed] != progress.Skipped {
				t.Errorf("phase states %v, want %s skipped for its missing permission", st, failed)
			}
			if p, _ := s.Phase(failed); p.Reason != "find all "+failed {
				t.Errorf("the skipped phase's reason is %q, want the permission", p.Reason)
			}
			for name, state := range st {
				if state == progress.Syncing {
					t.Errorf("%s still syncing after the run failed", name)
				}
			}
		}},
		{name: "interrupted", sc: progresstest.Interrupted(), result: syncer.ResultInterrupted, word: "interrupted", check: func(t *testing.T, s progress.Snapshot, _ progresstest.Recording) {
			st := states(s)
			if st["opportunities"] != progress.Stopped || st[syncer.PhaseDeletions] == progress.Syncing {
				t.Errorf("phase states %v: want opportunities stopped, nothing still syncing", st)
			}
			if s.Err != context.Canceled.Error() {
				t.Errorf("err %q", s.Err)
			}
		}},
		{name: "resumed", sc: progresstest.Resumed(), result: syncer.ResultOK, word: "done", check: func(t *testing.T, s progress.Snapshot, _ progresstest.Recording) {
			// The resumed run's totals include what the interrupted one stored.
			if p, _ := s.Phase("opportunities"); p.Records != 1200 || p.State != progress.Done {
				t.Errorf("opportunities row %+v", p)
			}
		}},
		{name: "details", sc: progresstest.Details(), result: syncer.ResultOK, word: "done", check: func(t *testing.T, s progress.Snapshot, _ progresstest.Recording) {
			p, ok := s.Phase(syncer.PhaseDetails)
			want := s.Run.Totals[lever.Notes] + s.Run.Totals[lever.Interviews] + s.Run.Totals[lever.Offers]
			if !ok || p.State != progress.Done || want == 0 || p.Records != want || p.Resource != "" {
				t.Errorf("details row %+v, want %d records", p, want)
			}
			if s.Phases[len(s.Phases)-1].Name != syncer.PhaseDetails {
				t.Error("details is not the last row")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := progresstest.Record(t, c.sc)
			s := fold(rec)
			if s.Result() != c.result || progress.ResultWord(s.Result()) != c.word || !s.Started || !s.Finished {
				t.Fatalf("result %q (%q), started %v, finished %v; want %q (%q)", s.Result(), progress.ResultWord(s.Result()), s.Started, s.Finished, c.result, c.word)
			}
			checkInvariants(t, s, rec)
			c.check(t, s, rec)
		})
	}
}

// checkInvariants holds for every run: rows in the engine's order, each
// finished resource row agreeing with the engine's totals, requests and
// times taken from the events.
func checkInvariants(t *testing.T, s progress.Snapshot, rec progresstest.Recording) {
	t.Helper()
	var names []string
	for _, p := range s.Phases {
		names = append(names, p.Name)
	}
	want := []string{}
	for _, r := range lever.ListResources {
		want = append(want, string(r))
	}
	want = append(want, syncer.PhaseDeletions)
	if rec.State.Details {
		want = append(want, syncer.PhaseDetails)
	}
	if !slices.Equal(names, want) {
		t.Errorf("rows %v, want %v", names, want)
	}
	for _, p := range s.Phases {
		if p.Resource != "" && p.State == progress.Done && p.Records != rec.State.Totals[p.Resource] {
			t.Errorf("%s row shows %d, the engine's total is %d", p.Name, p.Records, rec.State.Totals[p.Resource])
		}
	}
	var requests, first, last int64
	for _, ev := range rec.Events {
		requests = max(requests, ev.Requests)
		if first == 0 {
			first = ev.Time
		}
		last = ev.Time
	}
	if s.Requests != requests || s.Requests == 0 {
		t.Errorf("requests %d, the events say %d", s.Requests, requests)
	}
	if s.StartedAt != first || s.LastAt != last || s.Elapsed() != time.Duration(last-first)*time.Millisecond {
		t.Errorf("times %d..%d, events %d..%d", s.StartedAt, s.LastAt, first, last)
	}
	if rec.State.Result == syncer.ResultOK || rec.State.Result == syncer.ResultWarnings {
		total := 0
		for _, n := range rec.State.Totals {
			total += n
		}
		if s.Stored() != total {
			t.Errorf("stored %d, the engine's totals add up to %d", s.Stored(), total)
		}
	}
}

func equalStates(a, b map[string]progress.State) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// ev builds an event the way the engine fills it.
func ev(typ syncer.EventType, at int64, f func(*syncer.Event)) syncer.Event {
	e := syncer.Event{Type: typ, Time: at}
	if f != nil {
		f(&e)
	}
	return e
}

// TestModelConstructed covers what a short run cannot be made to do on
// demand: the clock, out-of-order totals, the kinds of retry, and runs
// that end before they start.
func TestModelConstructed(t *testing.T) {
	run := &syncer.RunState{ID: "r", StartedAt: 1000}
	cases := []struct {
		name   string
		events []syncer.Event
		finish func(m *progress.Model)
		check  func(t *testing.T, s progress.Snapshot)
	}{
		{name: "rates on the engine's clock", events: []syncer.Event{
			ev(syncer.EventSyncStarted, 1000, func(e *syncer.Event) { e.Run = run }),
			ev(syncer.EventPhaseStarted, 1000, func(e *syncer.Event) { e.Phase, e.Resource = "users", lever.Users }),
			ev(syncer.EventPhaseStarted, 1500, func(e *syncer.Event) { e.Phase, e.Resource = "opportunities", lever.Opportunities }),
			ev(syncer.EventPageStored, 2000, func(e *syncer.Event) {
				e.Phase, e.Resource, e.Records, e.Total, e.Requests = "users", lever.Users, 10, 10, 4
			}),
			ev(syncer.EventPageStored, 3500, func(e *syncer.Event) {
				e.Phase, e.Resource, e.Records, e.Total, e.Requests = "opportunities", lever.Opportunities, 100, 100, 30
			}),
		}, check: func(t *testing.T, s progress.Snapshot) {
			if s.Elapsed() != 2500*time.Millisecond || s.RequestsPerSecond() != 12 {
				t.Errorf("elapsed %v, %v req/s; want 2.5s, 12", s.Elapsed(), s.RequestsPerSecond())
			}
			if p, _ := s.Phase("opportunities"); p.RecordsPerSecond() != 50 {
				t.Errorf("opportunities at %v records/s, want 50", p.RecordsPerSecond())
			}
			if s.Current != "opportunities" {
				t.Errorf("current %q", s.Current)
			}
			if st := states(s); st["users"] != progress.Syncing || st["stages"] != progress.Waiting {
				t.Errorf("states %v", st)
			}
		}},
		{name: "no time has passed", events: []syncer.Event{
			ev(syncer.EventSyncStarted, 1000, func(e *syncer.Event) { e.Run = run }),
			ev(syncer.EventPageStored, 1000, func(e *syncer.Event) { e.Phase, e.Total, e.Requests = "users", 5, 1 }),
		}, check: func(t *testing.T, s progress.Snapshot) {
			if s.RequestsPerSecond() != 0 || s.Elapsed() != 0 {
				t.Errorf("rates without time: %v %v", s.RequestsPerSecond(), s.Elapsed())
			}
		}},
		{name: "concurrent streams report out of order", events: []syncer.Event{
			ev(syncer.EventPhaseStarted, 1, func(e *syncer.Event) { e.Phase = "opportunities" }),
			ev(syncer.EventPageStored, 2, func(e *syncer.Event) { e.Phase, e.Stream, e.Records, e.Total = "opportunities", "w2", 100, 200 }),
			ev(syncer.EventPageStored, 3, func(e *syncer.Event) { e.Phase, e.Stream, e.Records, e.Total = "opportunities", "w1", 100, 100 }),
		}, check: func(t *testing.T, s progress.Snapshot) {
			if p, _ := s.Phase("opportunities"); p.Records != 200 || p.Pages != 2 {
				t.Errorf("row %+v, want 200 records over 2 pages", p)
			}
		}},
		{name: "phase_done settles the count", events: []syncer.Event{
			ev(syncer.EventPageStored, 2, func(e *syncer.Event) { e.Phase, e.Total = "postings", 36 }),
			ev(syncer.EventPhaseDone, 3, func(e *syncer.Event) { e.Phase, e.Total = "postings", 40 }),
			ev(syncer.EventPhaseDone, 4, func(e *syncer.Event) { e.Phase = syncer.PhaseDeletions }),
		}, check: func(t *testing.T, s progress.Snapshot) {
			p, _ := s.Phase("postings")
			d, _ := s.Phase(syncer.PhaseDeletions)
			if p.Records != 40 || p.State != progress.Done || d.Records != 0 || d.State != progress.Done {
				t.Errorf("rows %+v %+v", p, d)
			}
		}},
		{name: "a network error and a 429 without a wait", events: []syncer.Event{
			ev(syncer.EventRetry, 5, func(e *syncer.Event) {
				e.Status, e.Attempt, e.WaitMS, e.Message = 429, 1, 0, "/opportunities: Lever answered 429 on GET /opportunities: slow down"
			}),
			ev(syncer.EventRetry, 6, func(e *syncer.Event) {
				e.Attempt, e.WaitMS, e.Message = 2, 1500, "/postings: Get \"http://x/v1/postings\": connection reset by peer"
			}),
		}, check: func(t *testing.T, s progress.Snapshot) {
			r := s.LastRetry
			if s.Retries != 2 || s.RateLimited != 1 || r == nil || r.Cause() != "network error" || r.Path != "/postings" ||
				r.Wait() != 1500*time.Millisecond || r.At != 6 || !strings.Contains(r.Err, "connection reset") {
				t.Errorf("retries %d, 429s %d, last %+v", s.Retries, s.RateLimited, r)
			}
		}},
		{name: "failed before sync_started", finish: func(m *progress.Model) {
			m.Finish(syncer.RunState{}, errors.New("sync: read the last run from the store: boom"))
		}, check: func(t *testing.T, s progress.Snapshot) {
			if s.Result() != syncer.ResultFailed || !s.Finished || s.Started || s.Err == "" || len(s.Phases) != 0 {
				t.Errorf("snapshot %+v", s)
			}
		}},
		{name: "cancelled before sync_started", finish: func(m *progress.Model) {
			m.Finish(syncer.RunState{}, context.Canceled)
		}, check: func(t *testing.T, s progress.Snapshot) {
			if s.Result() != syncer.ResultInterrupted || progress.ResultWord(s.Result()) != "interrupted" {
				t.Errorf("result %q", s.Result())
			}
		}},
		{name: "sync_done without Finish", events: []syncer.Event{
			ev(syncer.EventSyncStarted, 1, func(e *syncer.Event) { e.Run = &syncer.RunState{ID: "r", Details: true} }),
			ev(syncer.EventPhaseStarted, 2, func(e *syncer.Event) { e.Phase = syncer.PhaseDetails }),
			ev(syncer.EventSyncDone, 3, func(e *syncer.Event) {
				e.Run = &syncer.RunState{ID: "r", Details: true, Result: syncer.ResultOK, Totals: map[lever.Resource]int{lever.Notes: 7}}
			}),
		}, check: func(t *testing.T, s progress.Snapshot) {
			if !s.Finished || s.Stored() != 7 || s.Records() != 0 || s.Err != "" {
				t.Errorf("finished %v, stored %d, records %d, err %q", s.Finished, s.Stored(), s.Records(), s.Err)
			}
			if _, ok := s.Phase(syncer.PhaseDetails); !ok || s.Phases[len(s.Phases)-1].Name != syncer.PhaseDetails {
				t.Error("details row not planned last")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := progress.New()
			for _, e := range c.events {
				m.Apply(e)
			}
			if c.finish != nil {
				c.finish(m)
			}
			c.check(t, m.Snapshot())
		})
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	m := progress.New()
	m.Apply(syncer.Event{Type: syncer.EventSyncStarted, Run: &syncer.RunState{ID: "r", Totals: map[lever.Resource]int{lever.Users: 1}}})
	m.Apply(syncer.Event{Type: syncer.EventWarning, Message: "w"})
	m.Apply(syncer.Event{Type: syncer.EventRetry, Status: 503, Attempt: 1, Message: "/users"})
	s := m.Snapshot()
	s.Phases[0].Records = 99
	s.Warnings[0] = "changed"
	s.Run.Totals[lever.Users] = 99
	s.LastRetry.Attempt = 99
	again := m.Snapshot()
	if again.Phases[0].Records != 0 || again.Warnings[0] != "w" || again.Run.Totals[lever.Users] != 1 || again.LastRetry.Attempt != 1 {
		t.Errorf("a snapshot shares the model's memory: %+v", again)
	}
}

// TestSnapshotWhileApplying takes snapshots while a sync's events are
// applied (a watcher joining mid-sync); the race detector checks it.
func TestSnapshotWhileApplying(t *testing.T) {
	rec := progresstest.Record(t, progresstest.Full())
	m := progress.New()
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, e := range rec.Events {
			m.Apply(e)
		}
	})
	for range 100 {
		_ = m.Snapshot().Records()
	}
	wg.Wait()
	if m.Snapshot().Result() != syncer.ResultOK {
		t.Fatal("the events did not all arrive")
	}
}

func TestPhaseChanges(t *testing.T) {
	m := progress.New()
	m.Apply(syncer.Event{Type: syncer.EventSyncStarted, Run: &syncer.RunState{ID: "r"}})
	before := m.Snapshot()
	m.Apply(syncer.Event{Type: syncer.EventPhaseStarted, Phase: "users", Resource: lever.Users})
	m.Apply(syncer.Event{Type: syncer.EventPhaseDone, Phase: "stages", Resource: lever.Stages, Total: 9})
	m.Apply(syncer.Event{Type: syncer.EventPhaseStarted, Phase: "extra"})
	got := m.Snapshot().PhaseChanges(before)
	var desc []string
	for _, c := range got {
		desc = append(desc, c.Phase.Name+":"+string(c.From)+">"+string(c.Phase.State))
	}
	want := []string{"users:waiting>syncing", "stages:waiting>done", "extra:waiting>syncing"}
	if !slices.Equal(desc, want) {
		t.Errorf("changes %v, want %v", desc, want)
	}
	if again := m.Snapshot().PhaseChanges(m.Snapshot()); len(again) != 0 {
		t.Errorf("changes against itself: %v", again)
	}
}

func TestWords(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := progress.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 retries"}, {1, "1 retry"}, {2, "2 retries"}, {1500, "1,500 retries"}} {
		if got := progress.Count(c.n, "retry", "retries"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := progress.PhaseName("archive_reasons"); got != "archive reasons" {
		t.Errorf("PhaseName = %q", got)
	}
	for _, c := range []struct{ result, word, phrase string }{
		{syncer.ResultOK, "done", "everything synced"},
		{syncer.ResultWarnings, "done with warnings", "synced, with warnings"},
		{syncer.ResultFailed, "failed", "failed"},
		{syncer.ResultInterrupted, "interrupted", "interrupted; the next run resumes"},
		{"", "done", "finished"},
	} {
		if got := progress.ResultWord(c.result); got != c.word {
			t.Errorf("ResultWord(%q) = %q, want %q", c.result, got, c.word)
		}
		if got := progress.ResultPhrase(c.result); got != c.phrase {
			t.Errorf("ResultPhrase(%q) = %q, want %q", c.result, got, c.phrase)
		}
	}
}
