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
	progressSavedMsg struct{ err error }

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

	syncStartedMsg struct {
		run steps.SyncRun
		err error
	}
	syncEventMsg struct{ event syncer.Event }
	syncEndedMsg struct{}
	syncDoneMsg  struct {
		run syncer.RunState
		err error
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

func startSync(ctx context.Context, svc steps.Services, s steps.State, key lever.APIKey) tea.Cmd {
	return func() tea.Msg {
		run, err := svc.StartSync(ctx, s, key)
		return syncStartedMsg{run: run, err: err}
	}
}

// waitSyncEvent delivers the next engine event; when the run's channel is
// closed it asks for the run's outcome.
func waitSyncEvent(run steps.SyncRun) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-run.Events()
		if !ok {
			return syncEndedMsg{}
		}
		return syncEventMsg{event: ev}
	}
}

func waitSyncDone(run steps.SyncRun) tea.Cmd {
	return func() tea.Msg {
		st, err := run.Wait()
		return syncDoneMsg{run: st, err: err}
	}
}
