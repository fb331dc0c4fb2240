package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// syncView is step 10: the sync starts, and its events are shown as they
// arrive: per-phase counts, requests, retries and 429 waits, warnings, and
// a summary when it is done. What to show comes from the progress model;
// this view only lays it out.
type syncView struct {
	c     *common
	ctx   context.Context
	svc   steps.Services
	state steps.State
	key   lever.APIKey

	run      steps.SyncRun
	startErr error
	spin     spinner.Model

	progress *progress.Model
	// finished: Wait returned (the run's result is final).
	finished bool
}

func newSync(c *common, ctx context.Context, svc steps.Services, s steps.State, k lever.APIKey) screen {
	return &syncView{c: c, ctx: ctx, svc: svc, state: s, key: k, progress: progress.New(), spin: c.newSpinner()}
}

func (v *syncView) Init() tea.Cmd {
	if v.svc == nil {
		v.startErr = fmt.Errorf("no sync is wired to this wizard")
		return nil
	}
	return tea.Batch(startSync(v.ctx, v.svc, v.state, v.key), v.spin.Tick)
}

// Run is the sync in progress, if it started (Run waits for it on quit).
func (v *syncView) Run() steps.SyncRun { return v.run }

func (v *syncView) Update(msg tea.Msg) (tea.Cmd, *move) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if v.startErr != nil && key.Matches(msg, v.c.keys.Select) {
			// Most often the saved key is gone: paste it again.
			next := v.state
			next.Step, next.Completed, next.Problem = steps.StepPasteKey, false, nil
			return nil, &move{state: next}
		}
	case syncStartedMsg:
		if msg.err != nil {
			v.startErr = msg.err
			return nil, nil
		}
		v.run = msg.run
		return waitSyncEvent(v.run), nil
	case syncEventMsg:
		v.progress.Apply(msg.event)
		return waitSyncEvent(v.run), nil
	case syncEndedMsg:
		return waitSyncDone(v.run), nil
	case syncDoneMsg:
		v.finished = true
		v.progress.Finish(msg.run, msg.err)
		return nil, nil
	case spinner.TickMsg:
		if v.finished || v.startErr != nil {
			return nil, nil
		}
		var cmd tea.Cmd
		v.spin, cmd = v.spin.Update(msg)
		return cmd, nil
	}
	return nil, nil
}

func (v *syncView) View() string {
	st := v.c.styles
	if v.startErr != nil {
		return join(st.Bad.Render("The sync could not start."), v.c.para(st.Text, v.startErr.Error()),
			v.c.para(st.Muted, "Press enter to paste the key again, or fix the cause and run leversync again; your setup is saved."))
	}
	p := v.progress.Snapshot()
	var status string
	switch {
	case v.finished && p.Err != "":
		status = st.Bad.Render("Sync stopped: ") + st.Text.Render(p.Err)
	case v.finished:
		status = st.Ok.Render("✓ Sync done") + st.Muted.Render(" · result: "+progress.ResultPhrase(p.Result()))
	case v.run == nil:
		status = v.spin.View() + " " + st.Text.Render("Starting the sync…")
	default:
		cur := p.Current
		if cur == "" {
			cur = "starting"
		}
		status = v.spin.View() + " " + st.Text.Render("Syncing from Lever "+v.state.Environment.Title()+": "+cur)
	}

	var b strings.Builder
	for _, ph := range p.Phases {
		if ph.State == progress.Waiting {
			continue // rows appear as their phase starts
		}
		mark := st.Muted.Render("…")
		if ph.State == progress.Done {
			mark = st.Ok.Render("✓")
		} else if ph.Name == p.Current && !v.finished {
			mark = st.Cursor.Render("›")
		}
		line := fmt.Sprintf("%s %-18s %10s", mark, ph.Title(), progress.Thousands(ph.Records))
		if ph.Deleted > 0 {
			line += st.Muted.Render(fmt.Sprintf("  (%d deleted)", ph.Deleted))
		}
		b.WriteString(line + "\n")
	}
	table := strings.TrimRight(b.String(), "\n")

	reqs := progress.Count(int(p.Requests), "request", "requests")
	if elapsed := p.Elapsed(); elapsed >= time.Second {
		reqs += fmt.Sprintf(" (%.1f a second over %s)", p.RequestsPerSecond(), elapsed.Truncate(time.Second))
	}
	stats := v.c.para(st.Muted, fmt.Sprintf("%s · %s · %s; Lever allows about 10 requests a second",
		reqs, progress.Count(p.Retries, "retry", "retries"), progress.Count(p.RateLimited, "wait after 429", "waits after 429")))
	if p.LastRetry != nil {
		stats += "\n" + v.c.para(st.Muted, "last retry: "+retryText(*p.LastRetry))
	}
	var warn string
	if n := len(p.Warnings); n > 0 {
		shown := p.Warnings[max(n-3, 0):]
		warn = st.Warn.Render(progress.Count(n, "warning", "warnings")) + "\n" + v.c.para(st.Text, "- "+strings.Join(shown, "\n- "))
	}
	var errs string
	if len(p.Errors) > 0 {
		errs = v.c.para(st.Bad, strings.Join(p.Errors, "\n"))
	}
	var summary string
	if v.finished {
		summary = v.c.para(st.Text, fmt.Sprintf("This run stored %s. Run leversync again any time: it opens here and syncs what changed. ctrl+c quits.",
			progress.Count(p.Stored(), "record", "records")))
	}
	return join(status, table, stats, warn, errs, summary)
}

// retryText says what was retried: "HTTP 429 on /opportunities, attempt
// 1, waited 1.5s".
func retryText(r progress.Retry) string {
	what := r.Cause()
	if r.Path != "" {
		what += " on " + r.Path
	}
	return fmt.Sprintf("%s, attempt %d, waited %s", what, r.Attempt, r.Wait())
}

func (v *syncView) Bindings() []key.Binding {
	if v.startErr != nil {
		return []key.Binding{relabel(v.c.keys.Select, "paste the key again")}
	}
	return nil
}

func (v *syncView) WantsEsc() bool { return false }
