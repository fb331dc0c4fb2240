package progress_test

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/progress/progresstest"
)

var (
	fullOnce sync.Once
	fullRec  progresstest.Recording
)

// full is one recorded first sync, shared by the tests that only read it.
func full(t *testing.T) progresstest.Recording {
	fullOnce.Do(func() { fullRec = progresstest.Record(t, progresstest.Full()) })
	return fullRec
}

// foldUpTo applies the first n events with what the file held before.
func foldUpTo(rec progresstest.Recording, n int) *progress.Model {
	m := progress.New()
	m.SetBefore(rec.InFileBefore, rec.LastRun)
	for _, ev := range rec.Events[:n] {
		m.Apply(ev)
	}
	return m
}

// TestEstimateRestsOnEvidence: a first sync has no estimate while its
// candidates are read (Lever gives no total); a full re-read estimates
// from the candidates the file held, and the share done rises as pages
// arrive; the detail phase has a known total once candidates are stored.
func TestEstimateRestsOnEvidence(t *testing.T) {
	first := full(t)
	for n := range first.Events {
		s := foldUpTo(first, n+1).Snapshot()
		if left, ok := s.EstimateLeft(s.LastAt); ok {
			t.Fatalf("a first sync estimated %+v after event %d (%s)", left, n, first.Events[n].Type)
		}
	}

	// A re-read as FullAgain, without its 429s.
	sc := progresstest.Full()
	sc.Prior, sc.Sync.Full = []progresstest.Stop{nil}, true
	again := progresstest.Record(t, sc)
	if again.LastRun == nil || again.InFileBefore[lever.Opportunities] != progresstest.Data.Opportunities {
		t.Fatalf("the re-read began with %v and last run %v", again.InFileBefore, again.LastRun)
	}
	var shares []float64
	for n, ev := range again.Events {
		s := foldUpTo(again, n+1).Snapshot()
		left, ok := s.EstimateLeft(s.LastAt)
		opps, _ := s.Phase(string(lever.Opportunities))
		if ev.Type == syncer.EventPageStored && ev.Phase == string(lever.Opportunities) && opps.State == progress.Syncing {
			if !ok {
				if s.RecentRequestRate(s.LastAt, 1) == 0 {
					continue // no request rate measured yet: nothing to time the rest by
				}
				t.Fatalf("no estimate while re-reading %d of %d candidates", opps.Records, progresstest.Data.Opportunities)
			}
			wantLeft := int64(progresstest.Data.Opportunities-opps.Records+99) / 100
			if left.Requests != wantLeft || (left.Time <= 0) != (wantLeft == 0) || left.Basis == "" {
				t.Errorf("after %d candidates: %+v, want %d requests left", opps.Records, left, wantLeft)
			}
			shares = append(shares, left.Share())
		}
	}
	if len(shares) < 3 {
		t.Fatalf("only %d estimates", len(shares))
	}
	for i := 1; i < len(shares); i++ {
		if shares[i] < shares[i-1] {
			t.Errorf("the share done fell from %.2f to %.2f", shares[i-1], shares[i])
		}
	}
	if s := fold(again); s.Finished {
		if _, ok := s.EstimateLeft(s.LastAt); ok {
			t.Error("a finished run has an estimate")
		}
	}

	details := progresstest.Record(t, progresstest.Details())
	estimated := false
	for n, ev := range details.Events {
		if ev.Type != syncer.EventPageStored || ev.Phase != syncer.PhaseDetails {
			continue
		}
		m := foldUpTo(details, n+1)
		m.SetInFile(map[lever.Resource]int{lever.Opportunities: 150})
		s := m.Snapshot()
		left, ok := s.EstimateLeft(s.LastAt)
		if !ok || left.Requests+left.Done != 150*int64(len(lever.DetailResources)) {
			t.Errorf("details after event %d: %+v %v, want a total of 3 requests for each of 150 candidates", n, left, ok)
		}
		estimated = true
	}
	if !estimated {
		t.Fatal("no detail page was recorded")
	}
}

// TestHistoryAndRates: the request rates of the last seconds add up to
// the requests made, and the recent rate is their mean.
func TestHistoryAndRates(t *testing.T) {
	rec := full(t)
	s := fold(rec)
	if len(s.History) == 0 {
		t.Fatal("no history")
	}
	now := s.LastAt
	span := int(now/1000-s.StartedAt/1000) + 1
	rates := s.RequestRates(now, span)
	total := 0.0
	for _, r := range rates {
		total += r
	}
	if int64(total) != s.History[len(s.History)-1].Requests {
		t.Errorf("the rates of the run's %d seconds add up to %.0f requests, the history says %d", span, total, s.History[len(s.History)-1].Requests)
	}
	if r := s.RecentRequestRate(now, 10); r <= 0 || r > float64(s.Requests) {
		t.Errorf("recent rate %.1f", r)
	}
	// A window reaching before the run counts nothing there.
	if rates := s.RequestRates(now, span+5); rates[0] != 0 || rates[4] != 0 {
		t.Errorf("seconds before the run have requests: %v", rates[:5])
	}
}

// TestSnapshotSurvivesJSON: a dashboard in another process can be seeded
// from a snapshot sent as JSON.
func TestSnapshotSurvivesJSON(t *testing.T) {
	rec := full(t)
	m := foldUpTo(rec, len(rec.Events)/2)
	m.SetBefore(map[lever.Resource]int{lever.Opportunities: 1000}, &syncer.RunState{ID: "earlier", Result: syncer.ResultOK})
	m.SetInFile(map[lever.Resource]int{lever.Opportunities: 1200, lever.Postings: 40})
	m.SetRateLimit(10)
	m.SetPaused(true)
	m.SetDetails(true)
	s := m.Snapshot()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back progress.Snapshot
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(raw) {
		t.Errorf("the snapshot changed through JSON:\n%s\n%s", raw, again)
	}
	if back.InFile[lever.Opportunities] != 1200 || !back.Paused || back.RateLimit != 10 || back.LastRun == nil || len(back.History) == 0 {
		t.Errorf("what the process running the sync adds was lost: %+v", back)
	}
	// Every field is named in the schema.
	for _, typ := range []reflect.Type{reflect.TypeFor[progress.Snapshot](), reflect.TypeFor[progress.Phase](), reflect.TypeFor[progress.Retry](), reflect.TypeFor[progress.Second]()} {
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() && f.Tag.Get("json") == "" {
				t.Errorf("%s.%s has no json tag", typ.Name(), f.Name)
			}
		}
	}
}

// TestSetDetails: turning details on plans their row; off drops it while
// it waits.
func TestSetDetails(t *testing.T) {
	m := foldUpTo(full(t), 3)
	m.SetDetails(true)
	if p, ok := m.Snapshot().Phase(syncer.PhaseDetails); !ok || p.State != progress.Waiting {
		t.Fatalf("details on: row %+v %v", p, ok)
	}
	m.SetDetails(false)
	s := m.Snapshot()
	if _, ok := s.Phase(syncer.PhaseDetails); ok || !s.DetailsOff || s.Run.Details {
		t.Fatalf("details off: %+v", s)
	}
	// The rows after it keep their places.
	for i, p := range s.Phases {
		if q, _ := s.Phase(p.Name); q.Name != s.Phases[i].Name {
			t.Errorf("row %d is %s but found as %s", i, p.Name, q.Name)
		}
	}
}
