package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
)

// Messages from background work. Each carries what it needs to be matched
// with the request that started it, so a late answer to a cancelled request
// is ignored.
type (
	progressSavedMsg  struct{ err error }
	progressLoadedMsg struct {
		state steps.State
		ok    bool
		err   error
	}

	checkMsg struct {
		attempt int
		check   steps.Check
	}
	checksClosedMsg struct{ attempt int }
	connectDoneMsg  struct {
		attempt int
		report  steps.ConnectReport
	}
	keySavedMsg struct {
		where string
		err   error
	}
	tickMsg struct {
		attempt int
		at      time.Time
	}

	// Messages of a sync carry its generation: those of an earlier run
	// are ignored.
	syncStartedMsg struct {
		gen int
		run steps.SyncRun
		err error
	}
	// syncEventsMsg is every event that arrived since the last one, read
	// at most frameRate times a second; closed: the run's channel closed.
	syncEventsMsg struct {
		gen    int
		events []syncer.Event
		closed bool
	}
	syncDoneMsg struct {
		gen int
		run syncer.RunState
		err error
	}
	dataFileMsg struct {
		gen  int
		file steps.DataFile
		err  error
	}
	pausedMsg struct {
		gen    int
		paused bool
	}
	detailsMsg struct {
		gen  int
		on   bool
		took bool
	}
	// clockMsg moves the clock of a live page (elapsed time, the rate
	// chart, "3 min ago").
	clockMsg struct{ seq int }

	// jobsMsg carries the source it was read from: the Jobs page ignores
	// a read of the profile it showed before.
	jobsMsg struct {
		source int
		jobs   []steps.Job
		err    error
	}
	candidatesMsg struct {
		jobID string
		list  []steps.Candidate
		err   error
	}
	searchMsg struct {
		seq   int
		query string
		found []steps.Candidate
		more  bool
		err   error
	}
)

// saveProgress saves the state in the background.
func saveProgress(svc steps.Services, s steps.State) tea.Cmd {
	if svc == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return progressSavedMsg{err: svc.SaveProgress(ctx, s)}
	}
}

// runConnect runs one connection attempt; each finished check arrives as a
// checkMsg through waitCheck, the whole report as connectDoneMsg.
func runConnect(ctx context.Context, svc steps.Services, attempt int, s steps.State, key lever.APIKey, checks chan steps.Check) tea.Cmd {
	return func() tea.Msg {
		r := svc.Connect(ctx, s, key, checks)
		close(checks)
		return connectDoneMsg{attempt: attempt, report: r}
	}
}

// waitCheck delivers the next check of an attempt; the update loop re-arms
// it after each one.
func waitCheck(attempt int, checks <-chan steps.Check) tea.Cmd {
	return func() tea.Msg {
		c, ok := <-checks
		if !ok {
			return checksClosedMsg{attempt: attempt}
		}
		return checkMsg{attempt: attempt, check: c}
	}
}

func tick(attempt int) tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg{attempt: attempt, at: t} })
}

func saveKey(svc steps.Services, env lever.Environment, key lever.APIKey) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		where, err := svc.SaveKey(ctx, env, key)
		return keySavedMsg{where: where, err: err}
	}
}

// frameInterval is the least time between two deliveries of sync events:
// whatever the event rate, the screen redraws at most about ten times a
// second, and what arrives meanwhile is delivered as one message.
const frameInterval = 100 * time.Millisecond

// maxEventBatch bounds one delivery.
const maxEventBatch = 1 << 14

// startSync starts a sync; when it cannot, and another process turns out
// to be syncing the data file (it holds the file), it follows that sync
// instead.
func startSync(ctx context.Context, svc steps.Services, attach func(context.Context) (Watched, error), gen int, s steps.State, key lever.APIKey) tea.Cmd {
	return func() tea.Msg {
		run, err := svc.StartSync(ctx, s, key)
		if err != nil && attach != nil {
			if w, aerr := attach(ctx); aerr == nil {
				return syncStartedMsg{gen: gen, run: w}
			}
		}
		return syncStartedMsg{gen: gen, run: run, err: err}
	}
}

// closeWatch stops watching a sync that has ended.
func closeWatch(w Watched) tea.Cmd {
	return func() tea.Msg {
		_ = w.Close()
		return nil
	}
}

// loadProgress reads the saved setup, once another process's sync has
// freed the data file.
func loadProgress(svc steps.Services) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, ok, err := svc.LoadProgress(ctx)
		return progressLoadedMsg{state: s, ok: ok, err: err}
	}
}

// waitEvents delivers the events that arrived since the last delivery, no
// sooner than notBefore; the update loop re-arms it after each delivery.
// When the run's channel is closed it says so. The events are appended to
// buf[:0]: the update loop reads a delivery before it asks for the next,
// so one buffer serves them all.
func waitEvents(gen int, events <-chan syncer.Event, notBefore time.Time, buf []syncer.Event) tea.Cmd {
	return func() tea.Msg {
		if d := time.Until(notBefore); d > 0 {
			time.Sleep(d)
		}
		ev, ok := <-events
		if !ok {
			return syncEventsMsg{gen: gen, closed: true}
		}
		batch := append(buf[:0], ev)
		for len(batch) < maxEventBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					return syncEventsMsg{gen: gen, events: batch, closed: true}
				}
				batch = append(batch, ev)
			default:
				return syncEventsMsg{gen: gen, events: batch}
			}
		}
		return syncEventsMsg{gen: gen, events: batch}
	}
}

func waitSyncDone(gen int, run steps.SyncRun) tea.Cmd {
	return func() tea.Msg {
		st, err := run.Wait()
		return syncDoneMsg{gen: gen, run: st, err: err}
	}
}

func readDataFile(svc steps.Services, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		df, err := svc.DataFile(ctx)
		return dataFileMsg{gen: gen, file: df, err: err}
	}
}

func setPaused(run steps.SyncRun, gen int, paused bool) tea.Cmd {
	return func() tea.Msg {
		run.SetPaused(paused)
		return pausedMsg{gen: gen, paused: paused}
	}
}

func setDetails(run steps.SyncRun, gen int, on bool) tea.Cmd {
	return func() tea.Msg {
		return detailsMsg{gen: gen, on: on, took: run.SetDetails(on)}
	}
}

func tickClock(seq int, every time.Duration) tea.Cmd {
	return tea.Tick(every, func(time.Time) tea.Msg { return clockMsg{seq: seq} })
}

func readJobs(svc steps.Services, source int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		jobs, err := svc.Jobs(ctx)
		return jobsMsg{source: source, jobs: jobs, err: err}
	}
}

func readCandidates(svc steps.Services, jobID string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		list, err := svc.Candidates(ctx, jobID)
		return candidatesMsg{jobID: jobID, list: list, err: err}
	}
}

func searchCandidates(svc steps.Services, seq int, query string, limit int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		found, more, err := svc.SearchCandidates(ctx, query, limit)
		return searchMsg{seq: seq, query: query, found: found, more: more, err: err}
	}
}
