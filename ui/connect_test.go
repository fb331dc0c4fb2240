package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/steps"
)

// steppedServices sends one check at a time: each after the test lets it
// through, the way a slow permission probe finishes.
type steppedServices struct {
	fakeServices
	next chan struct{}
}

func (s *steppedServices) Connect(ctx context.Context, st steps.State, _ lever.APIKey, checks chan<- steps.Check) steps.ConnectReport {
	r := grantedReport(st)
	for _, c := range r.Checks {
		select {
		case <-s.next:
		case <-ctx.Done():
			return steps.ConnectReport{Err: ctx.Err()}
		}
		checks <- c
	}
	return r
}

// TestConnectChecklistIsLive: while permissions are being checked, the
// screen shows the ones checked so far ticked and the others still
// checking. Before the fix only the first result was drawn until the end.
func TestConnectChecklistIsLive(t *testing.T) {
	f := &steppedServices{next: make(chan struct{})}
	tm, screen := startScreen(t, NewModel(Config{Services: f}, stateAt(steps.StepPasteKey)), 120, 40)
	screen.waitUntil("the paste step", func(s string) bool { return strings.Contains(s, "hidden on screen") })
	tm.Send(tea.PasteMsg{Content: secretKey})
	tm.Send(press("enter"))
	screen.waitUntil("the key being verified", func(s string) bool { return strings.Contains(s, "Verifying the key") })
	want := expected(stateAt(steps.StepConnect))
	for i := range 3 {
		f.next <- struct{}{}
		// The i+1 checks done so far are ticked, the next is still "·".
		checked := "✓ " + want[i].Name
		pending := "· " + want[i+1].Name
		screen.waitUntil(checked+" with "+pending, func(s string) bool {
			return strings.Contains(s, checked) && strings.Contains(s, pending)
		})
	}
	fm := finalModel(t, tm)
	v := view(fm)
	for _, c := range want[:3] {
		if !strings.Contains(v, "✓ "+c.Name) {
			t.Errorf("%q is not ticked:\n%s", c.Name, v)
		}
	}
	for _, c := range want[3:] {
		if !strings.Contains(v, "· "+c.Name) {
			t.Errorf("%q is not shown as still checking:\n%s", c.Name, v)
		}
	}
}
