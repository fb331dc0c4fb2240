package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/steps"
)

const secretKey = "s3cretLeverKeyNeverShown9Xq2Vb7Np4Lm8Rt1Wz6Yc"

// update feeds msgs to m directly, ignoring the commands it returns.
func update(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

func view(m Model) string { return ansi.Strip(m.View().Content) }

func sized(m Model) Model {
	m.Init()
	return update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
}

func waitText(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func finalModel(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
}

func TestPasteGoesTrimmedToTheKeyField(t *testing.T) {
	f := &fakeServices{}
	m := sized(NewModel(Config{Services: f}, stateAt(steps.StepPasteKey)))
	m = update(m, tea.PasteMsg{Content: "\n  " + secretKey + " \r\n"})
	pk, ok := m.screen.(*pasteKey)
	if !ok {
		t.Fatalf("screen is %T", m.screen)
	}
	if got := strings.TrimSpace(pk.input.Value()); got != secretKey {
		t.Fatalf("field holds %d characters, want the key", len(got))
	}
	if strings.Contains(view(m), secretKey) {
		t.Fatal("the pasted key is drawn")
	}
	m = update(m, press("enter"))
	if m.state.Step != steps.StepConnect {
		t.Fatalf("step %s after enter, want connect", m.state.Step)
	}
	if m.key.Reveal() != secretKey {
		t.Fatal("the key held in memory is not the trimmed paste")
	}
	if enc, _ := m.state.Encode(); bytes.Contains(enc, []byte(secretKey)) {
		t.Fatal("the key is in the state")
	}
}

func TestPasteKeyMistakesAreCaught(t *testing.T) {
	m := sized(NewModel(Config{Services: &fakeServices{}}, stateAt(steps.StepPasteKey)))
	m = update(m, tea.PasteMsg{Content: "Basic " + secretKey}, press("enter"))
	if m.state.Step != steps.StepPasteKey {
		t.Fatalf("a Basic header was accepted: step %s", m.state.Step)
	}
	v := view(m)
	if !strings.Contains(v, `"Basic ..."`) || !strings.Contains(v, "Base64 form") {
		t.Fatalf("no explanation drawn:\n%s", v)
	}
	if strings.Contains(v, secretKey) {
		t.Fatal("the key is drawn in the error")
	}
}

// TestKeyNeverDrawn walks from pasting a real key to the end of the sync
// and scans every byte written to the terminal for it.
func TestKeyNeverDrawn(t *testing.T) {
	f := newFake(t)
	tm := teatest.NewTestModel(t, NewModel(Config{Services: f}, stateAt(steps.StepPasteKey)), teatest.WithInitialTermSize(120, 40))
	var out bytes.Buffer
	wait := func(text string) {
		t.Helper()
		teatest.WaitFor(t, io.TeeReader(tm.Output(), &out), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait("hidden on screen")
	tm.Send(tea.PasteMsg{Content: secretKey + "\n"})
	tm.Send(press("enter"))
	wait("Press enter to start the sync")
	tm.Send(press("enter"))
	wait("Up to date")
	fm := finalModel(t, tm)
	rest, _ := io.ReadAll(tm.Output())
	out.Write(rest)
	if out.Len() == 0 {
		t.Fatal("nothing was drawn")
	}
	if bytes.Contains(out.Bytes(), []byte(secretKey)) || strings.Contains(view(fm), secretKey) {
		t.Fatal("the key appeared on screen")
	}
	if len(f.keys) != 1 || f.keys[0].Reveal() != secretKey {
		t.Fatal("connect did not get the pasted key")
	}
	for _, s := range f.saved {
		if enc, _ := s.Encode(); bytes.Contains(enc, []byte(secretKey)) {
			t.Fatal("the key reached saved progress")
		}
	}
	if last, _ := f.lastSaved(); !last.Completed || last.Step != steps.StepSync {
		t.Errorf("last saved state %+v, want a completed setup", last)
	}
}

func TestEscGoesBackAndSaves(t *testing.T) {
	f := &fakeServices{}
	m := sized(NewModel(Config{Services: f}, stateAt(steps.StepData)))
	next, cmd := m.Update(press("esc"))
	m = next.(Model)
	if m.state.Step != steps.StepAuthMethod {
		t.Fatalf("esc went to %s, want the auth method step", m.state.Step)
	}
	if !strings.Contains(view(m), "Step 4 of 10") {
		t.Fatalf("header not updated:\n%s", view(m))
	}
	runBatch(cmd)
	if s, ok := f.lastSaved(); !ok || s.Step != steps.StepAuthMethod {
		t.Errorf("going back was not saved: %+v", s)
	}
	// The first step has nowhere to go back to.
	m = sized(NewModel(Config{Services: f}, steps.NewState()))
	if m = update(m, press("esc")); m.state.Step != steps.StepPrerequisite {
		t.Errorf("esc on the first step went to %s", m.state.Step)
	}
}

// runBatch runs the quick commands of a batch (progress saves), skipping
// the ones that wait.
func runBatch(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(200 * time.Millisecond):
		return
	}
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			runBatch(c)
		}
	}
}

func TestTooSmallTerminal(t *testing.T) {
	m := sized(NewModel(Config{Services: &fakeServices{}}, stateAt(steps.StepData)))
	m = update(m, tea.WindowSizeMsg{Width: 50, Height: 12})
	v := view(m)
	if !strings.Contains(v, "This terminal is 50x12.") || !strings.Contains(v, "needs at least 60x16") || strings.Contains(v, "Step 5 of 10") {
		t.Fatalf("small terminal:\n%s", v)
	}
	for _, line := range strings.Split(v, "\n") {
		if ansi.StringWidth(line) > 50 {
			t.Fatalf("line wider than the terminal: %q", line)
		}
	}
	m = update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	v = view(m)
	if !strings.Contains(v, "Step 5 of 10") {
		t.Fatalf("no reflow after growing:\n%s", v)
	}
	for _, line := range strings.Split(v, "\n") {
		if ansi.StringWidth(line) > 100 {
			t.Fatalf("line wider than the terminal: %q", line)
		}
	}
}

func TestEveryScreenFitsItsWidth(t *testing.T) {
	for _, c := range screenCases() {
		for _, w := range []int{60, 80} {
			m := sized(NewModel(c.cfg(&fakeServices{}), c.state))
			m = update(m, tea.WindowSizeMsg{Width: w, Height: 24})
			v := view(m)
			lines := strings.Split(v, "\n")
			if len(lines) > 24 {
				t.Errorf("%s at %d wide: %d lines", c.name, w, len(lines))
			}
			for _, line := range lines {
				if ansi.StringWidth(line) > w {
					t.Errorf("%s at %d wide: line of %d: %q", c.name, w, ansi.StringWidth(line), line)
					break
				}
			}
		}
	}
}

func TestCtrlCAsksFirst(t *testing.T) {
	m := sized(NewModel(Config{Services: &fakeServices{}}, stateAt(steps.StepPermissions)))
	next, cmd := m.Update(press("ctrl+c"))
	m = next.(Model)
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("ctrl+c quit without asking")
		}
	}
	if !strings.Contains(view(m), "Quit leversync?") {
		t.Fatalf("no question:\n%s", view(m))
	}
	m = update(m, press("n"))
	if strings.Contains(view(m), "Quit leversync?") || m.state.Step != steps.StepPermissions {
		t.Fatal("n did not keep the wizard where it was")
	}
	m = update(m, press("ctrl+c"))
	next, cmd = m.Update(press("y"))
	if cmd == nil {
		t.Fatal("y did not quit")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Fatal("y did not quit")
	}
	if next.(Model).ctx.Err() == nil {
		t.Error("quitting did not stop background work")
	}
}

func TestHelpToggles(t *testing.T) {
	m := sized(NewModel(Config{Services: &fakeServices{}}, stateAt(steps.StepCreateKey)))
	short := view(m)
	m = update(m, press("?"))
	full := view(m)
	if short == full || !strings.Contains(full, "tick all") {
		t.Fatalf("? did not show the full help:\n%s", full)
	}
	if m = update(m, press("esc")); m.showHelp || m.state.Step != steps.StepCreateKey {
		t.Fatal("esc did not just close the help")
	}
}

// blockingServices waits in Connect until cancelled and records that.
type blockingServices struct {
	fakeServices
	cancelled atomic.Bool
}

func (b *blockingServices) Connect(ctx context.Context, s steps.State, key lever.APIKey, checks chan<- steps.Check) steps.ConnectReport {
	checks <- steps.Check{Name: "find all opportunities", Status: steps.Granted}
	<-ctx.Done()
	b.cancelled.Store(true)
	return steps.ConnectReport{Err: ctx.Err()}
}

func TestConnectCancels(t *testing.T) {
	f := &blockingServices{}
	tm := teatest.NewTestModel(t, NewModel(Config{Services: f}, stateAt(steps.StepPasteKey)), teatest.WithInitialTermSize(120, 40))
	waitText(t, tm, "hidden on screen")
	tm.Send(tea.PasteMsg{Content: secretKey})
	tm.Send(press("enter"))
	waitText(t, tm, "Checking permissions")
	tm.Send(press("esc"))
	waitText(t, tm, "Cancelled")
	fm := finalModel(t, tm)
	if fm.state.Step != steps.StepConnect {
		t.Fatalf("cancel left the step: %s", fm.state.Step)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !f.cancelled.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !f.cancelled.Load() {
		t.Fatal("the connection check was not cancelled")
	}
	// After a cancel, esc means back, with the key not retyped... but
	// asked again, since it only lives in memory of this screen's run.
	m := update(fm, press("esc"))
	if m.state.Step != steps.StepPasteKey {
		t.Errorf("esc after cancel went to %s", m.state.Step)
	}
}

func TestConnectRoutesFailures(t *testing.T) {
	cases := []struct {
		name     string
		report   func(steps.State) steps.ConnectReport
		wantStep steps.StepID
		wantText string
	}{
		{"missing two", func(s steps.State) steps.ConnectReport {
			r := grantedReport(s)
			for i := range r.Checks {
				if r.Checks[i].Name == "find all tags" || r.Checks[i].Name == "find all requisitions" {
					r.Checks[i].Status = steps.Missing
				}
			}
			return r
		}, steps.StepCreateKey, `lacks 2 permissions: "find all tags" and "find all requisitions"`},
		{"sandbox key", func(s steps.State) steps.ConnectReport {
			return steps.ConnectReport{Err: lever.ErrUnauthorized, BelongsTo: lever.Sandbox}
		}, steps.StepData, "this key belongs to Sandbox"},
		{"rejected", func(s steps.State) steps.ConnectReport {
			return steps.ConnectReport{Err: lever.ErrUnauthorized}
		}, steps.StepPasteKey, "rejected this key (401)"},
		{"network", func(s steps.State) steps.ConnectReport {
			return steps.ConnectReport{Err: lever.ErrUnavailable}
		}, steps.StepConnect, "press r to retry"},
		{"no confidential", func(s steps.State) steps.ConnectReport {
			r := grantedReport(s)
			r.Checks[len(r.Checks)-1].Status = steps.Missing
			return r
		}, steps.StepConnect, "press c to continue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeServices{report: func(s steps.State, _ lever.APIKey) steps.ConnectReport { return c.report(s) }}
			tm := teatest.NewTestModel(t, NewModel(Config{Services: f}, stateAt(steps.StepPasteKey)), teatest.WithInitialTermSize(120, 40))
			waitText(t, tm, "hidden on screen")
			tm.Send(tea.PasteMsg{Content: secretKey})
			tm.Send(press("enter"))
			waitText(t, tm, c.wantText)
			fm := finalModel(t, tm)
			if fm.state.Step != c.wantStep {
				t.Fatalf("routed to %s, want %s", fm.state.Step, c.wantStep)
			}
			if !strings.Contains(view(fm), "Fix:") {
				t.Errorf("no fix shown:\n%s", view(fm))
			}
		})
	}
}

// TestEnterFollowsTheGuide presses Enter through the whole demo wizard,
// then restarts from what was saved.
func TestEnterFollowsTheGuide(t *testing.T) {
	f := newFake(t)
	cfg := demo(f)
	tm := teatest.NewTestModel(t, NewModel(cfg, steps.NewState()), teatest.WithInitialTermSize(100, 30))
	enter := func(n int) {
		for range n {
			time.Sleep(60 * time.Millisecond) // forms move focus with a command
			tm.Send(press("enter"))
		}
	}
	waitText(t, tm, "Step 1 of 10")
	enter(2)
	waitText(t, tm, "Step 2 of 10")
	enter(1)
	waitText(t, tm, "Step 3 of 10")
	enter(1)
	waitText(t, tm, "Step 4 of 10")
	enter(1)
	waitText(t, tm, "Step 5 of 10")
	enter(1)
	waitText(t, tm, "Step 6 of 10")
	enter(2)
	waitText(t, tm, "Step 7 of 10")
	enter(11)
	waitText(t, tm, "Step 8 of 10")
	enter(1)
	waitText(t, tm, "Press enter to start the sync")
	enter(1)
	waitText(t, tm, "Up to date")
	fm := finalModel(t, tm)
	s := fm.state
	if s.Step != steps.StepSync || !s.Completed || s.Environment != lever.Production || s.Access != steps.ReadWrite || !s.Confidential {
		t.Fatalf("enter did not follow the documented path: %+v", s)
	}
	if len(f.keys) != 1 || f.keys[0].Reveal() != demoKey {
		t.Fatal("the demo key was not the one checked")
	}
	// A restart opens on the sync view.
	saved, _ := f.lastSaved()
	if m := NewModel(cfg, saved); m.state.Step != steps.StepSync {
		t.Errorf("restart opened on %s", m.state.Step)
	}
}

func TestRestartResumes(t *testing.T) {
	s := stateAt(steps.StepPermissions)
	s.Environment = lever.Sandbox
	m := sized(NewModel(Config{Services: &fakeServices{}}, s))
	if !strings.Contains(view(m), "Step 6 of 10") {
		t.Fatalf("did not resume on permissions:\n%s", view(m))
	}
	// The connect step needs the key, which a restart no longer has.
	m = NewModel(Config{Services: &fakeServices{}}, stateAt(steps.StepConnect))
	if m.state.Step != steps.StepPasteKey {
		t.Errorf("connect without a key resumed on %s", m.state.Step)
	}
}

func TestSyncStartFailureOffersThePasteStep(t *testing.T) {
	f := &fakeServices{startErr: errors.New("no saved API key: run leversync setup, or leversync login --key-stdin")}
	done := stateAt(steps.StepSync)
	done.Completed = true
	tm := teatest.NewTestModel(t, NewModel(Config{Services: f}, done), teatest.WithInitialTermSize(100, 30))
	// A set-up machine opens on the Jobs page, whose header says why.
	waitText(t, tm, "could not start")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
	waitText(t, tm, "paste the key again")
	tm.Send(press("enter"))
	waitText(t, tm, "Step 8 of 10")
	fm := finalModel(t, tm)
	if fm.state.Step != steps.StepPasteKey || fm.state.Completed {
		t.Fatalf("state %+v", fm.state)
	}
}
