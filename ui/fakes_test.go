package ui

import (
	"context"
	"sync"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
)

// fakeServices scripts what the wizard's Services answer.
type fakeServices struct {
	mu     sync.Mutex
	saved  []steps.State
	keys   []lever.APIKey
	report func(s steps.State, key lever.APIKey) steps.ConnectReport
	// block makes Connect wait for its context (to test cancelling).
	block  bool
	events []syncer.Event
	runErr error
	// startErr makes StartSync fail.
	startErr error
	where    string
	loaded   *steps.State
}

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

func (f *fakeServices) SaveKey(_ context.Context, env lever.Environment, key lever.APIKey) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.where == "" {
		return "saved in the system keyring (leversync sync finds it there)", nil
	}
	return f.where, nil
}

func (f *fakeServices) StartSync(ctx context.Context, s steps.State, key lever.APIKey) (steps.SyncRun, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	ch := make(chan syncer.Event, len(f.events))
	for _, ev := range f.events {
		ch <- ev
	}
	close(ch)
	st := syncer.RunState{Result: syncer.ResultOK, Totals: map[lever.Resource]int{}}
	for _, ev := range f.events {
		if ev.Type == syncer.EventSyncDone && ev.Run != nil {
			st = *ev.Run
		}
	}
	return fakeRun{events: ch, state: st, err: f.runErr}, nil
}

type fakeRun struct {
	events chan syncer.Event
	state  syncer.RunState
	err    error
}

func (r fakeRun) Events() <-chan syncer.Event    { return r.events }
func (r fakeRun) Wait() (syncer.RunState, error) { return r.state, r.err }

// syncEvents is a short, complete sync.
func syncEvents() []syncer.Event {
	totals := map[lever.Resource]int{lever.Users: 12, lever.Stages: 9, lever.Postings: 40, lever.Opportunities: 1200}
	return []syncer.Event{
		{Type: syncer.EventSyncStarted},
		{Type: syncer.EventPhaseStarted, Phase: "users"},
		{Type: syncer.EventPageStored, Phase: "users", Records: 12, Total: 12, Requests: 1},
		{Type: syncer.EventPhaseDone, Phase: "users", Total: 12, Requests: 1},
		{Type: syncer.EventPhaseStarted, Phase: "stages"},
		{Type: syncer.EventPhaseDone, Phase: "stages", Total: 9, Requests: 2},
		{Type: syncer.EventPhaseStarted, Phase: "postings"},
		{Type: syncer.EventPhaseDone, Phase: "postings", Total: 40, Requests: 3},
		{Type: syncer.EventPhaseStarted, Phase: "opportunities"},
		{Type: syncer.EventRetry, Phase: "opportunities", Status: 429, Attempt: 1, WaitMS: 1500},
		{Type: syncer.EventPageStored, Phase: "opportunities", Records: 100, Total: 1200, Deleted: 2, Requests: 15},
		{Type: syncer.EventWarning, Message: "the key has no access to confidential data; confidential jobs and candidates are left out"},
		{Type: syncer.EventPhaseDone, Phase: "opportunities", Total: 1200, Requests: 16},
		{Type: syncer.EventSyncDone, Requests: 16, Run: &syncer.RunState{Result: syncer.ResultWarnings, Totals: totals}},
	}
}
