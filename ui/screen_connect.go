package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/steps"
)

// connectPhase is where a connection attempt is, as in crush's API key
// dialog: checking, cancelled, verified, or stopped on a problem.
type connectPhase int

const (
	connectChecking connectPhase = iota
	connectCancelled
	connectVerified
	connectProblem
	connectNoKey
)

// connect is step 9: verify the key and check every permission live.
type connect struct {
	c     *common
	ctx   context.Context
	svc   steps.Services
	state steps.State
	key   lever.APIKey

	phase   connectPhase
	attempt int
	cancel  context.CancelFunc
	checks  []steps.Check
	// results delivers the checks of the current attempt as they finish.
	results <-chan steps.Check
	keyOK   bool
	started time.Time
	elapsed time.Duration
	spin    spinner.Model

	next       steps.State // where a verified connection goes
	savedWhere string
	saveErr    error
}

func newConnect(c *common, ctx context.Context, svc steps.Services, s steps.State, k lever.APIKey) screen {
	cn := &connect{c: c, ctx: ctx, svc: svc, state: s, key: k,
		spin: c.newSpinner()}
	if k.IsZero() || svc == nil {
		cn.phase = connectNoKey
	}
	if s.Problem != nil {
		cn.phase = connectProblem
	}
	return cn
}

// expected lists every check of this attempt as pending.
func expected(s steps.State) []steps.Check {
	var out []steps.Check
	for _, p := range steps.RequiredPermissions(s) {
		out = append(out, steps.Check{Name: p.Name, Write: p.Write})
	}
	if s.Confidential {
		out = append(out, steps.Check{Name: steps.ConfidentialName, Confidential: true})
	}
	return out
}

func (cn *connect) Init() tea.Cmd {
	if cn.phase != connectChecking {
		return nil
	}
	return cn.start()
}

// start begins a new attempt; answers of an older one are ignored.
func (cn *connect) start() tea.Cmd {
	cn.attempt++
	cn.c.stopDiagnosis()
	ctx, cancel := context.WithCancel(cn.ctx)
	cn.cancel = cancel
	cn.phase = connectChecking
	cn.checks = expected(cn.state)
	cn.keyOK = false
	cn.started = time.Now()
	cn.elapsed = 0
	ch := make(chan steps.Check, len(cn.checks)+8)
	cn.results = ch
	return tea.Batch(
		runConnect(ctx, cn.svc, cn.attempt, cn.state, cn.key, ch),
		waitCheck(cn.attempt, ch),
		tick(cn.attempt),
		cn.spin.Tick,
	)
}

func (cn *connect) Update(msg tea.Msg) (tea.Cmd, *move) {
	keys := cn.c.keys
	switch msg := msg.(type) {
	case checkMsg:
		if msg.attempt != cn.attempt || cn.phase != connectChecking {
			return nil, nil
		}
		cn.keyOK = true
		cn.record(msg.check)
		// Wait for the next one, so the list fills in live.
		return waitCheck(cn.attempt, cn.results), nil
	case checksClosedMsg:
		return nil, nil
	case tickMsg:
		if msg.attempt != cn.attempt || cn.phase != connectChecking {
			return nil, nil
		}
		cn.elapsed = msg.at.Sub(cn.started).Truncate(time.Second)
		return tick(cn.attempt), nil
	case spinner.TickMsg:
		if cn.phase != connectChecking {
			return nil, nil
		}
		var cmd tea.Cmd
		cn.spin, cmd = cn.spin.Update(msg)
		return cmd, nil
	case connectDoneMsg:
		if msg.attempt != cn.attempt || cn.phase != connectChecking {
			return nil, nil
		}
		return cn.done(msg.report)
	case keySavedMsg:
		cn.savedWhere, cn.saveErr = msg.where, msg.err
		return nil, nil
	case tea.KeyPressMsg:
		switch cn.phase {
		case connectChecking:
			if key.Matches(msg, keys.Cancel) {
				cn.cancel()
				cn.attempt++ // ignore what the cancelled attempt still sends
				cn.phase = connectCancelled
			}
		case connectCancelled:
			if key.Matches(msg, keys.Select) || key.Matches(msg, keys.Retry) {
				return cn.start(), nil
			}
		case connectVerified:
			if key.Matches(msg, keys.ContinueSync) {
				return nil, &move{state: cn.next}
			}
		case connectProblem:
			p := cn.state.Problem
			switch {
			case p != nil && p.CanRetry && key.Matches(msg, keys.Retry) && !cn.key.IsZero():
				return cn.start(), nil
			case p != nil && key.Matches(msg, keys.CheckAgain) && !cn.key.IsZero():
				return cn.start(), nil
			case p != nil && p.CanContinue && key.Matches(msg, keys.Continue):
				next, err := steps.ContinueWithoutConfidential(cn.state)
				if err != nil {
					return nil, nil
				}
				cn.verified(next)
				return tea.Batch(saveProgress(cn.svc, next), saveKey(cn.svc, next.Environment, cn.key)), nil
			case p != nil && p.CanContinue && key.Matches(msg, keys.NewKey):
				return nil, &move{state: steps.GenerateNewKey(cn.state)}
			}
		}
	}
	return nil, nil
}

func (cn *connect) anyChecked() bool {
	for _, c := range cn.checks {
		if c.Status != steps.Pending {
			return true
		}
	}
	return false
}

func (cn *connect) record(c steps.Check) {
	for i := range cn.checks {
		if cn.checks[i].Name == c.Name {
			cn.checks[i] = c
			return
		}
	}
	cn.checks = append(cn.checks, c)
}

// done routes the finished attempt: to the step that fixes a failure, with
// the failure's diagnosis starting, or to the verified view (progress saved
// as complete, key saved).
func (cn *connect) done(r steps.ConnectReport) (tea.Cmd, *move) {
	cn.cancel()
	for _, c := range r.Checks {
		cn.record(c)
	}
	cn.elapsed = r.Elapsed.Truncate(time.Second)
	next := steps.AfterConnect(cn.state, r)
	switch {
	case next.Step == steps.StepSync:
		cn.keyOK = true
		cn.verified(next)
		return tea.Batch(saveProgress(cn.svc, next), saveKey(cn.svc, next.Environment, cn.key)), nil
	case next.Step == steps.StepConnect:
		cn.keyOK = r.Err == nil
		diagnose := cn.c.diagnose(cn.ctx, cn.svc, cn.state, cn.key, next.Problem)
		cn.state = next
		cn.phase = connectProblem
		return tea.Batch(saveProgress(cn.svc, next), diagnose), nil
	}
	return cn.c.diagnose(cn.ctx, cn.svc, cn.state, cn.key, next.Problem), &move{state: next}
}

func (cn *connect) verified(next steps.State) {
	cn.next = next
	cn.state.Problem = nil
	cn.phase = connectVerified
}

func (cn *connect) WantsEsc() bool { return cn.phase == connectChecking }

func (cn *connect) Bindings() []key.Binding {
	k := cn.c.keys
	switch cn.phase {
	case connectChecking:
		return []key.Binding{k.Cancel}
	case connectCancelled:
		return []key.Binding{k.Retry}
	case connectVerified:
		return []key.Binding{k.ContinueSync}
	case connectProblem:
		var b []key.Binding
		p := cn.state.Problem
		switch {
		case p != nil && p.CanRetry && !cn.key.IsZero():
			b = append(b, k.Retry)
		case cn.c.diagnosisOf(p) != nil && !cn.key.IsZero():
			b = append(b, k.CheckAgain)
		}
		if p != nil && p.CanContinue {
			b = append(b, k.Continue, k.NewKey)
		}
		return b
	}
	return nil
}

func (cn *connect) View() string {
	st := cn.c.styles
	env := cn.state.Environment.Title()
	if cn.c.demo {
		env += " (demo)"
	}
	var status string
	switch cn.phase {
	case connectNoKey:
		return join(cn.c.problemView(cn.state.Problem), cn.c.para(st.Text, "The key is not in memory any more (leversync was restarted). Press esc to go back and paste it again."))
	case connectChecking:
		what := "Verifying the key with Lever " + env
		if cn.keyOK {
			what = "Checking permissions with Lever " + env
		}
		status = cn.spin.View() + " " + st.Text.Render(what) + st.Muted.Render(fmt.Sprintf(" · %s", cn.elapsed)) + "\n" +
			st.Muted.Render("  This can take up to a minute; esc cancels.")
	case connectCancelled:
		status = st.Warn.Render("Cancelled.") + " " + st.Text.Render("Press enter or r to check again, esc to go back.")
	case connectVerified:
		status = st.Ok.Render("✓ Connected to Lever "+env) + st.Muted.Render(fmt.Sprintf(" · checked in %s", cn.elapsed))
	case connectProblem:
		status = st.Muted.Render(fmt.Sprintf("Checked with Lever %s in %s.", env, cn.elapsed))
	}
	key := st.Muted.Render("· ") + st.Text.Render("key accepted")
	switch {
	case cn.keyOK:
		key = st.Ok.Render("✓ ") + st.Text.Render("key accepted")
	case cn.phase == connectProblem:
		key = st.Unknown.Render("? ") + st.Text.Render("key not checked")
	}
	list := key + "\n" + cn.checklist()
	legend := st.Muted.Render("✓ granted   ✗ missing   ? could not tell   · checking")
	if cn.c.width >= 100 {
		legend += st.Muted.Render("   (a write permission can only look granted)")
	}
	if cn.phase == connectProblem && !cn.anyChecked() {
		// Nothing was checked: a list of dots would only mislead.
		list, legend = key, ""
	}
	var after string
	if cn.phase == connectVerified {
		after = cn.savedView()
	}
	return join(cn.c.problemView(cn.state.Problem), status, list, legend, after)
}

func (cn *connect) savedView() string {
	st := cn.c.styles
	var saved string
	switch {
	case cn.saveErr != nil:
		saved = st.Warn.Render("The key could not be saved: "+cn.saveErr.Error()) + "\n" +
			st.Muted.Render("This sync works; later runs of leversync sync will need the key again (leversync login --key-stdin).")
	case cn.savedWhere != "":
		saved = st.Text.Render("Key " + cn.savedWhere)
	default:
		saved = st.Muted.Render("Saving the key…")
	}
	return cn.c.para(st.Text, saved) + "\n\n" + st.Em.Render("Press enter to start the sync.")
}

// checklist draws one line per check; in two columns, symbols only, when
// one column would not fit.
func (cn *connect) checklist() string {
	st := cn.c.styles
	symbol := func(c steps.Check) string {
		switch c.Status {
		case steps.Granted:
			return st.Ok.Render("✓")
		case steps.Missing:
			return st.Bad.Render("✗")
		case steps.Unknown:
			return st.Unknown.Render("?")
		}
		return st.Muted.Render("·")
	}
	label := func(c steps.Check) string {
		switch c.Status {
		case steps.Granted:
			return st.Ok.Render(c.Label())
		case steps.Missing:
			return st.Bad.Render(c.Label())
		case steps.Unknown:
			return st.Unknown.Render(c.Label())
		}
		return st.Muted.Render(c.Label())
	}
	name := func(c steps.Check) string {
		n := c.Name
		if c.Write {
			n += " (write)"
		}
		return n
	}
	// Room left for the list on this screen.
	room := cn.c.height - 9
	if cn.state.Problem != nil {
		room -= 4
	}
	if len(cn.checks) <= room || cn.c.width < 70 {
		var b strings.Builder
		for _, c := range cn.checks {
			line := symbol(c) + " " + st.Text.Render(fmt.Sprintf("%-44s", name(c))) + " " + label(c)
			if c.Detail != "" && c.Status != steps.Granted && cn.c.width >= 100 {
				line += st.Muted.Render("  " + c.Detail)
			}
			b.WriteString(line + "\n")
		}
		return strings.TrimRight(b.String(), "\n")
	}
	half := (len(cn.checks) + 1) / 2
	var left, right []string
	leftW := 0
	for _, c := range cn.checks[:half] {
		leftW = max(leftW, len(name(c))+2)
	}
	leftW = min(leftW+3, cn.c.width/2)
	for i, c := range cn.checks {
		if i < half {
			left = append(left, symbol(c)+" "+st.Text.Render(truncate(name(c), leftW-5)))
		} else {
			right = append(right, symbol(c)+" "+st.Text.Render(truncate(name(c), cn.c.width-leftW-2)))
		}
	}
	return lipgloss.JoinHorizontal(lipgloss.Top,
		lipgloss.NewStyle().Width(leftW).Render(strings.Join(left, "\n")),
		strings.Join(right, "\n"))
}

// truncate cuts s, which may be styled, to n cells, ending it with "…".
func truncate(s string, n int) string {
	if n <= 1 || ansi.StringWidth(s) <= n {
		return s
	}
	return ansi.Truncate(s, n, "…")
}
