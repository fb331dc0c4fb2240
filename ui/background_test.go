package ui

import (
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/steps"
)

// drive feeds msgs to m and runs the commands they return, feeding their
// messages back, the way a program does; a command that has not answered
// within 300ms (a tick, a wait for more events) is dropped.
func drive(m Model, msgs ...tea.Msg) Model {
	queue := append([]tea.Msg(nil), msgs...)
	for steps := 0; len(queue) > 0 && steps < 500; steps++ {
		msg := queue[0]
		queue = queue[1:]
		next, cmd := m.Update(msg)
		m = next.(Model)
		queue = append(queue, run(cmd)...)
	}
	return m
}

// run runs cmd and returns the messages it produces (batches flattened).
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(300 * time.Millisecond):
		return nil
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, run(c)...)
		}
		return out
	case tea.QuitMsg:
		return nil
	}
	return []tea.Msg{msg}
}

// fg is the SGR sequence lipgloss writes for a foreground colour.
func fg(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("38;2;%d;%d;%d", r>>8, g>>8, b>>8)
}

// TestFormsBuiltLaterFollowTheBackground: on a dark terminal every form,
// including those built after the first screen and those rebuilt after a
// refused answer, draws with the dark theme's text colour, never the light
// theme's near-black.
func TestFormsBuiltLaterFollowTheBackground(t *testing.T) {
	dark, light := NewStyles(true).Text.GetForeground(), NewStyles(false).Text.GetForeground()
	darkBG := tea.BackgroundColorMsg{Color: color.Black}
	check := func(t *testing.T, m Model, what string) {
		t.Helper()
		v := m.View().Content
		if strings.Contains(v, fg(light)) || !strings.Contains(v, fg(dark)) {
			t.Errorf("%s is drawn with the light theme's text on a dark terminal:\n%s", what, v)
		}
	}
	for _, step := range []steps.StepID{steps.StepOrganization, steps.StepData, steps.StepPermissions} {
		t.Run(string(step), func(t *testing.T) {
			// The first screen gets the colour; the step's form is built after.
			m := drive(sized(NewModel(Config{Services: &fakeServices{}}, steps.NewState())), darkBG)
			next, _ := m.goTo(stateAt(step))
			check(t, next.(Model), "the form of step "+string(step))
		})
	}
	t.Run("refused", func(t *testing.T) {
		m := drive(sized(NewModel(Config{Services: &fakeServices{}}, steps.NewState())), darkBG)
		next, _ := m.goTo(stateAt(steps.StepOrganization))
		// Choose HRIS: refused, and the form is built again.
		m = drive(next.(Model), press("down"), press("enter"))
		if !strings.Contains(view(m), "does not connect") {
			t.Fatalf("the answer was not refused:\n%s", view(m))
		}
		check(t, m, "the form rebuilt after a refusal")
	})
	t.Run("second group", func(t *testing.T) {
		m := drive(sized(NewModel(Config{Services: &fakeServices{}}, steps.NewState())), darkBG)
		s := stateAt(steps.StepPermissions)
		s.Access = steps.Custom
		next, _ := m.goTo(s)
		// Through the access choice and the confidential toggle to the list.
		m = drive(next.(Model), press("enter"), press("enter"))
		if !strings.Contains(view(m), "Tick the permissions") {
			t.Fatalf("the permission list is not shown:\n%s", view(m))
		}
		check(t, m, "the permission list (the form's second group)")
	})
}
