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
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
)

// syncView is step 10: the sync starts, and its events are shown as they
// arrive: per-phase counts, requests, retries and 429 waits, warnings, and
// a summary when it is done.
type syncView struct {
	c     *common
	ctx   context.Context
	svc   steps.Services
	state steps.State
	key   lever.APIKey

	run      steps.SyncRun
	startErr error
	spin     spinner.Model

	phases    []string
	counts    map[string]int
	deleted   map[string]int
	done      map[string]bool
	current   string
	firstAt   int64 // ms, of the first event
	lastAt    int64
	requests  int64
	retries   int
	waits429  int
	lastRetry string
	warnings  []string
	errors    []string
	finished  bool
	result    syncer.RunState
	resultErr error
}

func newSync(c *common, ctx context.Context, svc steps.Services, s steps.State, k lever.APIKey) screen {
	return &syncView{c: c, ctx: ctx, svc: svc, state: s, key: k,
		counts: map[string]int{}, deleted: map[string]int{}, done: map[string]bool{},
		spin: c.newSpinner()}
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
		v.apply(msg.event)
		return waitSyncEvent(v.run), nil
	case syncEndedMsg:
		return waitSyncDone(v.run), nil
	case syncDoneMsg:
		v.finished = true
		v.result, v.resultErr = msg.run, msg.err
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

func (v *syncView) apply(ev syncer.Event) {
	if ev.Time > 0 {
		if v.firstAt == 0 {
			v.firstAt = ev.Time
		}
		v.lastAt = ev.Time
	}
	if ev.Requests > v.requests {
		v.requests = ev.Requests
	}
	phase := ev.Phase
	if phase == "" {
		phase = string(ev.Resource)
	}
	seen := func() {
		if phase == "" {
			return
		}
		for _, p := range v.phases {
			if p == phase {
				return
			}
		}
		v.phases = append(v.phases, phase)
	}
	switch ev.Type {
	case syncer.EventPhaseStarted:
		seen()
		v.current = phase
	case syncer.EventPageStored:
		seen()
		if ev.Total > v.counts[phase] {
			v.counts[phase] = ev.Total
		} else {
			v.counts[phase] += ev.Records
		}
		v.deleted[phase] += ev.Deleted
	case syncer.EventPhaseDone:
		seen()
		v.done[phase] = true
		if ev.Total > v.counts[phase] {
			v.counts[phase] = ev.Total
		}
	case syncer.EventRetry:
		v.retries++
		if ev.Status == 429 {
			v.waits429++
		}
		v.lastRetry = retryText(ev)
	case syncer.EventWarning:
		v.warnings = append(v.warnings, ev.Message)
	case syncer.EventError:
		v.errors = append(v.errors, ev.Message)
	case syncer.EventSyncDone:
		if ev.Run != nil {
			v.result = *ev.Run
		}
	}
}

func (v *syncView) View() string {
	st := v.c.styles
	if v.startErr != nil {
		return join(st.Bad.Render("The sync could not start."), v.c.para(st.Text, v.startErr.Error()),
			v.c.para(st.Muted, "Press enter to paste the key again, or fix the cause and run leversync again; your setup is saved."))
	}
	var status string
	switch {
	case v.finished && v.resultErr != nil:
		status = st.Bad.Render("Sync stopped: ") + st.Text.Render(v.resultErr.Error())
	case v.finished:
		status = st.Ok.Render("✓ Sync done") + st.Muted.Render(" · result: "+resultWord(v.result.Result))
	case v.run == nil:
		status = v.spin.View() + " " + st.Text.Render("Starting the sync…")
	default:
		cur := v.current
		if cur == "" {
			cur = "starting"
		}
		status = v.spin.View() + " " + st.Text.Render("Syncing from Lever "+v.state.Environment.Title()+": "+cur)
	}

	var b strings.Builder
	for _, p := range v.phases {
		mark := st.Muted.Render("…")
		if v.done[p] {
			mark = st.Ok.Render("✓")
		} else if p == v.current && !v.finished {
			mark = st.Cursor.Render("›")
		}
		line := fmt.Sprintf("%s %-18s %10s", mark, phaseName(p), thousands(v.counts[p]))
		if v.deleted[p] > 0 {
			line += st.Muted.Render(fmt.Sprintf("  (%d deleted)", v.deleted[p]))
		}
		b.WriteString(line + "\n")
	}
	table := strings.TrimRight(b.String(), "\n")

	reqs := plural(int(v.requests), "request")
	if secs := float64(v.lastAt-v.firstAt) / 1000; secs >= 1 {
		reqs += fmt.Sprintf(" (%.1f a second over %s)", float64(v.requests)/secs, time.Duration(secs*float64(time.Second)).Truncate(time.Second))
	}
	stats := v.c.para(st.Muted, fmt.Sprintf("%s · %s · %s; Lever allows about 10 requests a second",
		reqs, plural(v.retries, "retry"), plural(v.waits429, "wait after 429")))
	if v.lastRetry != "" {
		stats += "\n" + v.c.para(st.Muted, "last retry: "+v.lastRetry)
	}
	var warn string
	if n := len(v.warnings); n > 0 {
		shown := v.warnings[max(n-3, 0):]
		warn = st.Warn.Render(plural(n, "warning")) + "\n" + v.c.para(st.Text, "- "+strings.Join(shown, "\n- "))
	}
	var errs string
	if len(v.errors) > 0 {
		errs = v.c.para(st.Bad, strings.Join(v.errors, "\n"))
	}
	var summary string
	if v.finished {
		total := 0
		for _, n := range v.result.Totals {
			total += n
		}
		if total == 0 {
			for _, n := range v.counts {
				total += n
			}
		}
		summary = v.c.para(st.Text, fmt.Sprintf("This run stored %s. Run leversync again any time: it opens here and syncs what changed. ctrl+c quits.", plural(total, "record")))
	}
	return join(status, table, stats, warn, errs, summary)
}

// phaseName is a sync phase as people say it: "archive reasons".
func phaseName(p string) string { return strings.ReplaceAll(p, "_", " ") }

// retryText says what was retried: "HTTP 429 on /opportunities, attempt 1,
// waited 1.5s".
func retryText(ev syncer.Event) string {
	what := "network error"
	if ev.Status != 0 {
		what = fmt.Sprintf("HTTP %d", ev.Status)
	}
	where := phaseName(ev.Phase)
	if where == "" {
		where, _, _ = strings.Cut(ev.Message, ":")
	}
	if where != "" {
		what += " on " + where
	}
	return fmt.Sprintf("%s, attempt %d, waited %s", what, ev.Attempt, time.Duration(ev.WaitMS)*time.Millisecond)
}

// plural is "1 retry", "2 retries", "1,200 records".
func plural(n int, noun string) string {
	if n != 1 {
		switch {
		case strings.HasSuffix(noun, "y"):
			noun = strings.TrimSuffix(noun, "y") + "ies"
		case strings.HasSuffix(noun, " after 429"):
			noun = strings.TrimSuffix(noun, " after 429") + "s after 429"
		default:
			noun += "s"
		}
	}
	return thousands(n) + " " + noun
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func resultWord(r string) string {
	switch r {
	case syncer.ResultOK:
		return "everything synced"
	case syncer.ResultWarnings:
		return "synced, with warnings"
	case syncer.ResultFailed:
		return "failed"
	case syncer.ResultInterrupted:
		return "interrupted; the next run resumes"
	case "":
		return "finished"
	}
	return r
}

func (v *syncView) Bindings() []key.Binding {
	if v.startErr != nil {
		return []key.Binding{relabel(v.c.keys.Select, "paste the key again")}
	}
	return nil
}

func (v *syncView) WantsEsc() bool { return false }
