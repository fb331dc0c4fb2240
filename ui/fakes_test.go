package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/progress/progresstest"
	"github.com/leversync/leversync/steps"
)

// fakeServices scripts what the wizard's Services answer.
type fakeServices struct {
	mu     sync.Mutex
	saved  []steps.State
	keys   []lever.APIKey
	report func(s steps.State, key lever.APIKey) steps.ConnectReport
	// block makes Connect wait for its context (to test cancelling).
	block bool
	// demo answers as the services of leversync --demo do.
	demo bool
	// sync is what StartSync replays: a sync recorded from the engine.
	sync progresstest.Recording
	// startErr makes StartSync fail.
	startErr error
	where    string
	loaded   *steps.State
	// data answers the pages' reads; nil reads as an empty file.
	data steps.Services
	// paused and details record what the dashboard asked of the sync.
	paused  []bool
	details []bool
	// run is the last sync started.
	run *fakeRun
	// upTo, when set, replays only the first upTo events of sync and
	// leaves the run going.
	upTo int
}

// replayed is how many of the recorded events a sync replays.
func (f *fakeServices) replayed() int {
	if f.upTo > 0 {
		return min(f.upTo, len(f.sync.Events))
	}
	return len(f.sync.Events)
}

// newFake is a fake whose syncs replay the recorded first sync.
func newFake(t testing.TB) *fakeServices { return &fakeServices{sync: recorded(t, "done")} }

func (f *fakeServices) LoadProgress(context.Context) (steps.State, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loaded == nil {
		return steps.State{}, false, nil
	}
	return *f.loaded, true, nil
}

func (f *fakeServices) SaveProgress(_ context.Context, s steps.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = append(f.saved, s)
	return nil
}

func (f *fakeServices) lastSaved() (steps.State, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.saved) == 0 {
		return steps.State{}, false
	}
	return f.saved[len(f.saved)-1], true
}

func (f *fakeServices) Connect(ctx context.Context, s steps.State, key lever.APIKey, checks chan<- steps.Check) steps.ConnectReport {
	f.mu.Lock()
	f.keys = append(f.keys, key)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return steps.ConnectReport{Environment: s.Environment, Err: ctx.Err()}
	}
	r := grantedReport(s)
	if f.report != nil {
		r = f.report(s, key)
	}
	for _, c := range r.Checks {
		checks <- c
	}
	return r
}

// grantedReport grants every check s asks for.
func grantedReport(s steps.State) steps.ConnectReport {
	r := steps.ConnectReport{Environment: s.Environment, Elapsed: 3 * time.Second}
	for _, c := range expected(s) {
		c.Status = steps.Granted
		r.Checks = append(r.Checks, c)
	}
	return r
}

// SaveKey answers in the words of app's services: the demo never saves a
// key; otherwise where it went (the keyring unless where says otherwise).
func (f *fakeServices) SaveKey(_ context.Context, env lever.Environment, key lever.APIKey) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.demo:
		return "not saved: the demo never saves a key", nil
	case f.where == "":
		return "saved in the system keyring (leversync sync finds it there)", nil
	}
	return f.where, nil
}

// StartSync replays the recorded sync: every event at once, or with
// f.gate set, as many as the test lets through.
func (f *fakeServices) StartSync(ctx context.Context, s steps.State, key lever.APIKey) (steps.SyncRun, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	ch := make(chan syncer.Event, len(f.sync.Events))
	for _, ev := range f.sync.Events[:f.replayed()] {
		ch <- ev
	}
	if f.upTo == 0 {
		close(ch)
	}
	r := &fakeRun{f: f, events: ch, state: f.sync.State, err: f.sync.Err, inFile: f.sync.InFileBefore, last: f.sync.LastRun}
	f.mu.Lock()
	f.run = r
	f.mu.Unlock()
	return r, nil
}

type fakeRun struct {
	f      *fakeServices
	events chan syncer.Event
	state  syncer.RunState
	err    error
	inFile map[lever.Resource]int
	last   *syncer.RunState
}

func (r *fakeRun) Events() <-chan syncer.Event { return r.events }
func (r *fakeRun) Wait() (syncer.RunState, error) {
	return r.state, r.err
}
func (r *fakeRun) Before() (map[lever.Resource]int, *syncer.RunState) { return r.inFile, r.last }
func (r *fakeRun) RateLimit() float64                                 { return lever.DefaultRate }
func (r *fakeRun) SetPaused(p bool) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.paused = append(r.f.paused, p)
}
func (r *fakeRun) SetDetails(on bool) bool {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.details = append(r.f.details, on)
	return true
}

// DataFile answers from the real file of f.data, or else with what the
// recorded sync's file held at the last replayed event that stored
// something.
func (f *fakeServices) DataFile(ctx context.Context) (steps.DataFile, error) {
	if f.data != nil {
		return f.data.DataFile(ctx)
	}
	df := steps.DataFile{Counts: f.sync.InFileBefore, LastRun: f.sync.LastRun}
	n := f.replayed()
	for i := range min(n, len(f.sync.InFile)) {
		if c := f.sync.InFile[i]; c != nil {
			df.Counts = c
		}
	}
	if n == len(f.sync.Events) && (f.sync.State.Result == syncer.ResultOK || f.sync.State.Result == syncer.ResultWarnings) {
		st := f.sync.State
		df.LastRun = &st
	}
	return df, nil
}

func (f *fakeServices) Jobs(ctx context.Context) ([]steps.Job, error) {
	if f.data == nil {
		return nil, nil
	}
	return f.data.Jobs(ctx)
}

func (f *fakeServices) Candidates(ctx context.Context, jobID string) ([]steps.Candidate, error) {
	if f.data == nil {
		return nil, nil
	}
	return f.data.Candidates(ctx, jobID)
}

func (f *fakeServices) SearchCandidates(ctx context.Context, query string, limit int) ([]steps.Candidate, bool, error) {
	if f.data == nil {
		return nil, false, nil
	}
	return f.data.SearchCandidates(ctx, query, limit)
}

// fakeWatch is another process's sync of a recording, watched: it joins
// after the first join events, whose progress its snapshot carries as the
// syncing process's publisher folds them (with what the file held when the
// run began, the last run and the ceiling, and not the file's counts), and
// delivers the events after them up to upTo (all: the run ends).
type fakeWatch struct {
	initial progress.Snapshot
	events  chan syncer.Event
	state   syncer.RunState
	err     error

	mu     sync.Mutex
	closed int
	// asked counts the calls of SetPaused and SetDetails: a watcher has
	// nothing to ask.
	asked int
}

func newFakeWatch(rec progresstest.Recording, join, upTo int) *fakeWatch {
	pub := progress.New()
	pub.SetBefore(rec.InFileBefore, rec.LastRun)
	pub.SetInFile(nil)
	pub.SetRateLimit(lever.DefaultRate)
	for _, ev := range rec.Events[:join] {
		pub.Apply(ev)
	}
	w := &fakeWatch{initial: pub.Snapshot(), events: make(chan syncer.Event, len(rec.Events)), state: rec.State, err: rec.Err}
	for _, ev := range rec.Events[join:upTo] {
		w.events <- ev
	}
	if upTo == len(rec.Events) {
		close(w.events)
	}
	return w
}

func (w *fakeWatch) Initial() progress.Snapshot  { return w.initial }
func (w *fakeWatch) Events() <-chan syncer.Event { return w.events }
func (w *fakeWatch) Wait() (syncer.RunState, error) {
	return w.state, w.err
}
func (w *fakeWatch) Before() (map[lever.Resource]int, *syncer.RunState) {
	return w.initial.InFileBefore, w.initial.LastRun
}
func (w *fakeWatch) RateLimit() float64 { return w.initial.RateLimit }
func (w *fakeWatch) SetPaused(bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked++
}
func (w *fakeWatch) SetDetails(bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked++
	return false
}
func (w *fakeWatch) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed++
	return nil
}

func (w *fakeWatch) calls() (closed, asked int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed, w.asked
}
