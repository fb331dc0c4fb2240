package ui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/steps"
)

// diagnosis is the troubleshooting checks of `leversync doctor`, run when
// the connect step fails (services that implement steps.Diagnoser): live
// while they run, then what failed or warns, the check that matches the
// failure first, each with its evidence and fix. It belongs to the problem
// it diagnoses and is drawn below whichever step the failure routed to
// (forgotten once the wizard leaves the problem); ctrl+r checks the key
// again from there.
type diagnosis struct {
	seq     int
	problem steps.ProblemKind
	first   steps.CheckID
	cancel  context.CancelFunc
	// findings delivers the checks as they start and end.
	findings <-chan steps.Finding
	// running is the title of the check under way; "" once done.
	running string
	done    bool
	// concerns are the findings that failed or warn, first's on top.
	concerns []steps.Finding
}

// Messages of a diagnosis carry its number: those of an earlier one are
// ignored.
type (
	diagFindingMsg struct {
		seq     int
		finding steps.Finding
	}
	diagDoneMsg struct {
		seq       int
		diagnosis steps.Diagnosis
	}
)

// diagnose starts the diagnosis of the connect failure p, reached with key
// on the environment s chose, replacing any earlier one. It returns nil
// when the services cannot diagnose.
func (c *common) diagnose(ctx context.Context, svc steps.Services, s steps.State, key lever.APIKey, p *steps.Problem) tea.Cmd {
	c.stopDiagnosis()
	d, ok := svc.(steps.Diagnoser)
	if !ok || p == nil {
		return nil
	}
	c.diagSeq++
	ctx, cancel := context.WithCancel(ctx)
	findings := make(chan steps.Finding, 4)
	c.diag = &diagnosis{seq: c.diagSeq, problem: p.Kind, first: p.Check(), cancel: cancel, findings: findings}
	seq := c.diagSeq
	run := func() tea.Msg {
		defer close(findings)
		defer cancel()
		return diagDoneMsg{seq: seq, diagnosis: d.Diagnose(ctx, s, key, findings)}
	}
	return tea.Batch(run, waitFinding(seq, findings))
}

// stopDiagnosis cancels the diagnosis and forgets it: the key is being
// checked again, or the wizard left the problem behind.
func (c *common) stopDiagnosis() {
	if c.diag != nil {
		c.diag.cancel()
		c.diag = nil
	}
}

// waitFinding delivers the next check of a diagnosis as it starts or ends;
// the update loop re-arms it after each one.
func waitFinding(seq int, findings <-chan steps.Finding) tea.Cmd {
	return func() tea.Msg {
		f, ok := <-findings
		if !ok {
			return nil
		}
		return diagFindingMsg{seq: seq, finding: f}
	}
}

// updateDiagnosis takes a diagnosis message; it reports false for any
// other.
func (c *common) updateDiagnosis(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case diagFindingMsg:
		if c.diag == nil || msg.seq != c.diag.seq || c.diag.done {
			return nil, true
		}
		c.diag.running = ""
		if msg.finding.Status == steps.Running {
			c.diag.running = msg.finding.Title
		}
		return waitFinding(c.diag.seq, c.diag.findings), true
	case diagDoneMsg:
		if c.diag == nil || msg.seq != c.diag.seq {
			return nil, true
		}
		c.diag.done, c.diag.running = true, ""
		c.diag.concerns = msg.diagnosis.Concerns(c.diag.first)
		return nil, true
	}
	return nil, false
}

// diagnosisOf is the diagnosis of problem p, if one was made.
func (c *common) diagnosisOf(p *steps.Problem) *diagnosis {
	if c.diag == nil || p == nil || c.diag.problem != p.Kind {
		return nil
	}
	return c.diag
}

// maxEvidence is the most lines of evidence shown for one finding; the
// rest are in leversync doctor's output.
const maxEvidence = 3

// Levels of detail of a drawn diagnosis, from the most.
const (
	detailFull       = iota
	detailNoFirstFix // the problem above already says what to do about it
	detailNoFix
	detailTitles
	detailHead
)

// diagnosisView draws the diagnosis in at most room lines, at the most
// detail that fits: the check running, or the concerns with their evidence
// and fix. It goes below the step's own view, so it never pushes the
// step's fields off the screen.
func (c *common) diagnosisView(room int) string {
	d := c.diag
	if d == nil || room < 1 {
		return ""
	}
	st := c.styles
	head := st.Em.Render("Diagnosis") + st.Muted.Render(" (the checks of leversync doctor)")
	switch {
	case !d.done && d.running != "":
		return clip(head+"\n"+st.Muted.Render("· checking: "+d.running+"…"), room)
	case !d.done:
		return clip(head+"\n"+st.Muted.Render("· starting…"), room)
	case len(d.concerns) == 0:
		return clip(head+"\n"+c.para(st.Text, "No check fails now."), room)
	}
	for level := detailFull; level < detailHead; level++ {
		if v := c.concernsView(head, d, level); lipgloss.Height(v) <= room {
			return v
		}
	}
	marks := ""
	for _, f := range d.concerns {
		marks += " " + concernMark(st, f) + f.Title
	}
	return clip(st.Em.Render("Diagnosis:")+marks+"\n"+st.Muted.Render("a taller window shows why; so does leversync doctor"), room)
}

func concernMark(st Styles, f steps.Finding) string {
	if f.Status == steps.Warn {
		return st.Warn.Render("! ")
	}
	return st.Bad.Render("✗ ")
}

// concernsView draws the concerns at one level of detail.
func (c *common) concernsView(head string, d *diagnosis, level int) string {
	st := c.styles
	lines := []string{head}
	inner := c.width - 2
	hang := st.Text.Width(inner).PaddingLeft(2)
	for i, f := range d.concerns {
		style := st.Bad
		if f.Status == steps.Warn {
			style = st.Warn
		}
		lines = append(lines, concernMark(st, f)+strings.TrimLeft(hang.Render(style.Render(f.Title+": ")+f.Summary), " "))
		if level >= detailTitles {
			continue
		}
		ev := evidenceShown(f)
		for i, e := range ev {
			if i == maxEvidence {
				lines = append(lines, st.Muted.PaddingLeft(2).Render(fmt.Sprintf("· and %d more (leversync doctor lists them)", len(ev)-maxEvidence)))
				break
			}
			lines = append(lines, st.Muted.Width(inner).PaddingLeft(2).Render("· "+e))
		}
		skipFix := level >= detailNoFix || (level == detailNoFirstFix && i == 0 && f.ID == d.first)
		if f.Fix != "" && !skipFix {
			lines = append(lines, hang.Render(st.Em.Render("Fix: ")+f.Fix))
		}
	}
	return strings.Join(lines, "\n")
}

// evidenceShown is the evidence worth a line here: for missing
// permissions, only the lines about them.
func evidenceShown(f steps.Finding) []string {
	if len(f.Missing) == 0 {
		return f.Evidence
	}
	var out []string
	for _, e := range f.Evidence {
		for _, m := range f.Missing {
			if strings.HasPrefix(e, m+" (") {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
