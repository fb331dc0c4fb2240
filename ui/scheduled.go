package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// NextRun is when a schedule's next sync starts, and how its runs have
// been failing.
type NextRun struct {
	At    time.Time
	Every time.Duration
	// Failures counts the runs in a row that failed; LastError is the
	// last one's error.
	Failures  int
	LastError string
}

type (
	// scheduledRunMsg is a run of the schedule, from its start.
	scheduledRunMsg struct{ run steps.SyncRun }
	// nextRunMsg says when the schedule's next run starts.
	nextRunMsg struct{ next NextRun }
)

// Scheduled is the dashboard of a schedule of syncs (leversync sync --every
// in a terminal): it shows each run the schedule hands to Show, and between
// runs when the next one starts. Leaving it (q, or ctrl+c) stops the
// schedule; a run under way stops at its page boundary.
type Scheduled struct {
	ctx context.Context
	cfg Config
	p   *tea.Program
}

// NewScheduled is the dashboard of a schedule syncing env through
// cfg.Services (its pages read the data file through them); stop ends the
// schedule when the user leaves.
func NewScheduled(ctx context.Context, cfg Config, env lever.Environment, stop func()) *Scheduled {
	cfg = withStreams(cfg)
	return &Scheduled{ctx: ctx, cfg: cfg, p: newProgram(ctx, cfg, newScheduledModel(cfg, env, stop))}
}

// newScheduledModel is the dashboard waiting for a schedule's first run.
func newScheduledModel(cfg Config, env lever.Environment, stop func()) Model {
	s := steps.NewState()
	s.Step, s.Completed, s.Environment = steps.StepSync, true, env
	m := NewModel(cfg, s)
	m.page, m.scheduled = pageSync, true
	cancel := m.cancel
	m.cancel = func() {
		cancel()
		stop()
	}
	return m
}

// Run shows the dashboard until the user leaves, End is called, or ctx
// ends (it returns ctx's error then).
func (s *Scheduled) Run() error {
	_, err := finishProgram(s.ctx, s.p)
	return err
}

// Show puts run on the dashboard, from its start.
func (s *Scheduled) Show(run steps.SyncRun) { s.p.Send(scheduledRunMsg{run: run}) }

// Next says when the next run starts.
func (s *Scheduled) Next(next NextRun) { s.p.Send(nextRunMsg{next: next}) }

// End leaves the dashboard: the schedule has ended.
func (s *Scheduled) End() { s.p.Quit() }

// nextRunLine is the dashboard's line between a schedule's runs, in width
// cells.
func (c *common) nextRunLine(n NextRun, width int) string {
	st := c.styles
	when := n.At.Local().Format("15:04")
	if n.At.Local().YearDay() != c.now().Local().YearDay() || n.Every >= 24*time.Hour {
		when = n.At.Local().Format("Jan 2 15:04")
	}
	every := " (every " + progress.Interval(n.Every) + ")"
	if n.Failures == 0 {
		return st.Ink.Text.Render(truncate("Next sync at "+when+every+". q stops the schedule.", width))
	}
	runs := "a failed run"
	if n.Failures > 1 {
		runs = fmt.Sprintf("%d failed runs", n.Failures)
	}
	return st.Ink.Warn.Render(truncate("Next attempt at "+when+" after "+runs+every+"; q stops the schedule.", width)) + "\n" +
		st.Ink.Muted.Render(truncate(firstLine(lever.PlainText(n.LastError)), width))
}
