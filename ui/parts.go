package ui

import (
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"

	"charm.land/lipgloss/v2"

	"github.com/leversync/leversync/steps"
)

// Small drawing pieces the screens share.

// para wraps text to the content width.
func (c *common) para(style lipgloss.Style, text string) string {
	return style.Width(c.width).Render(text)
}

// problemView draws a routed-back problem: what happened and the fix.
func (c *common) problemView(p *steps.Problem) string {
	if p == nil {
		return ""
	}
	st := c.styles
	box := st.Problem
	hdr := st.ProblemHdr.Render("Problem: ")
	if p.CanContinue {
		box = st.Notice
		hdr = st.Warn.Bold(true).Render("Warning: ")
	}
	inner := c.width - 2
	body := st.Text.Width(inner).Render(hdr+p.Reason) + "\n" + st.Text.Width(inner).Render(st.Em.Render("Fix: ")+p.Fix)
	return box.Render(body)
}

// errorView draws an answer a step refused, with what to do.
func (c *common) errorView(err error) string {
	if err == nil {
		return ""
	}
	st := c.styles
	inner := c.width - 2
	var se *steps.StepError
	if errors.As(err, &se) && se.Fix != "" {
		return st.Problem.Render(st.Text.Width(inner).Render(st.ProblemHdr.Render(capitalize(se.Reason)+".")) + "\n" +
			st.Text.Width(inner).Render(capitalize(se.Fix)+"."))
	}
	return st.Problem.Render(st.Text.Width(inner).Render(st.ProblemHdr.Render(capitalize(err.Error()) + ".")))
}

func capitalize(s string) string {
	if s == "" || strings.HasPrefix(s, "leversync") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// join stacks the non-empty blocks with a blank line between them.
func join(blocks ...string) string {
	var out []string
	for _, b := range blocks {
		if b != "" {
			out = append(out, b)
		}
	}
	return strings.Join(out, "\n\n")
}

// spinnerFrames are the spinner of background work: one cell, no padding.
// The dashboard shows a frame per redraw rather than on a timer of its own.
var spinnerFrames = []string{"⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"}

// newSpinner is the spinner of background work.
func (c *common) newSpinner() spinner.Model {
	return spinner.New(
		spinner.WithSpinner(spinner.Spinner{Frames: spinnerFrames, FPS: time.Second / 10}),
		spinner.WithStyle(c.styles.Cursor))
}
