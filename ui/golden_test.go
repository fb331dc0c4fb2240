package ui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/steps"
)

const demoKey = "fakeleverFullAccess7Qm2Xv9Bn4Tt6Rp1Sw8Yz3Cd5Hk"

func stateAt(step steps.StepID) steps.State {
	s := steps.NewState()
	s.Step = step
	return s
}

func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+a":
		return tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screenCase is one screen to capture: a starting state, the messages
// that lead to it, and text that shows it is drawn.
type screenCase struct {
	name  string
	cfg   func(*fakeServices) Config
	state steps.State
	msgs  []tea.Msg
	wait  string
	// sync names the recorded sync StartSync replays; "" is "done".
	sync string
}

func plain(f *fakeServices) Config { return Config{Services: f} }
func demo(f *fakeServices) Config {
	f.demo = true
	return Config{Services: f, Demo: true, DemoKey: demoKey}
}

func screenCases() []screenCase {
	missing := stateAt(steps.StepConnect)
	missing = steps.AfterConnect(missing, steps.ConnectReport{Checks: []steps.Check{
		{Name: "find all tags", Status: steps.Missing}, {Name: "find all requisitions", Status: steps.Missing},
	}})
	otherEnv := steps.AfterConnect(stateAt(steps.StepConnect), steps.ConnectReport{Err: lever.ErrUnauthorized, BelongsTo: lever.Sandbox})
	rejected := steps.AfterConnect(stateAt(steps.StepConnect), steps.ConnectReport{Err: lever.ErrUnauthorized})
	custom := stateAt(steps.StepCreateKey)
	custom.Access, custom.Permissions = steps.Custom, []string{"find all opportunities", "find all postings", "find all users", "find all stages", "find all archive reasons", "find all sources", "find all tags", "find all requisitions"}

	return []screenCase{
		{name: "01_prerequisite", cfg: plain, state: steps.NewState(), wait: "Super Admin"},
		{name: "01_prerequisite_refused", cfg: plain, state: steps.NewState(), msgs: []tea.Msg{press("down"), press("enter"), press("enter")}, wait: "give you admin rights"},
		{name: "01_prerequisite_handoff", cfg: plain, state: steps.NewState(), msgs: []tea.Msg{press("h")}, wait: "password manager"},
		{name: "02_organization", cfg: plain, state: stateAt(steps.StepOrganization), wait: "Recruiting"},
		{name: "02_organization_refused", cfg: plain, state: stateAt(steps.StepOrganization), msgs: []tea.Msg{press("down"), press("enter")}, wait: "does not connect"},
		{name: "03_provider", cfg: plain, state: stateAt(steps.StepProvider), wait: "not supported yet"},
		{name: "03_provider_filtered", cfg: plain, state: stateAt(steps.StepProvider), msgs: []tea.Msg{press("w"), press("o"), press("r"), press("k")}, wait: "Workday"},
		{name: "04_auth_method", cfg: plain, state: stateAt(steps.StepAuthMethod), wait: "planned"},
		{name: "05_data", cfg: plain, state: stateAt(steps.StepData), wait: "Sandbox"},
		{name: "05_data_other_environment", cfg: plain, state: otherEnv, wait: "belongs to"},
		{name: "06_permissions", cfg: plain, state: stateAt(steps.StepPermissions), wait: "confidential"},
		{name: "06_permissions_custom", cfg: plain, state: func() steps.State {
			s := stateAt(steps.StepPermissions)
			s.Access = steps.Custom
			return s
		}(), msgs: []tea.Msg{press("enter"), press("enter")}, wait: "Tick the permissions"},
		{name: "07_create_key", cfg: plain, state: stateAt(steps.StepCreateKey), wait: "Generate New Key"},
		{name: "07_create_key_custom", cfg: plain, state: custom, wait: "Permissions to tick"},
		{name: "07_create_key_missing", cfg: plain, state: missing, wait: "cannot be edited"},
		{name: "08_paste_key", cfg: plain, state: stateAt(steps.StepPasteKey), wait: "hidden on screen"},
		{name: "08_paste_key_demo", cfg: demo, state: stateAt(steps.StepPasteKey), wait: "demo key is filled"},
		{name: "08_paste_key_rejected", cfg: plain, state: rejected, wait: "rejected"},
		{name: "09_connect_verified", cfg: demo, state: stateAt(steps.StepPasteKey), msgs: []tea.Msg{press("enter")}, wait: "never saves a key"},
		{name: "09_connect_no_confidential", cfg: func(f *fakeServices) Config {
			f.report = func(s steps.State, _ lever.APIKey) steps.ConnectReport {
				r := grantedReport(s)
				r.Checks[len(r.Checks)-1].Status = steps.Missing
				return r
			}
			return plain(f)
		}, state: stateAt(steps.StepPasteKey), msgs: []tea.Msg{tea.PasteMsg{Content: "aKeyForTheGoldens123"}, press("enter")}, wait: "press c to continue"},
		{name: "09_connect_unavailable", cfg: func(f *fakeServices) Config {
			f.report = func(s steps.State, _ lever.APIKey) steps.ConnectReport {
				return steps.ConnectReport{Environment: s.Environment, Err: fmt.Errorf("GET /stages: %w", lever.ErrUnavailable), Elapsed: 12 * time.Second}
			}
			return plain(f)
		}, state: stateAt(steps.StepPasteKey), msgs: []tea.Msg{tea.PasteMsg{Content: "aKeyForTheGoldens123"}, press("enter")}, wait: "press r to retry"},
		{name: "quit_confirm", cfg: plain, state: stateAt(steps.StepData), msgs: []tea.Msg{press("ctrl+c")}, wait: "Quit leversync?"},
	}
}

// TestScreens captures every screen at 80x24 and 120x40 as plain text.
// Regenerate with: go test ./ui -update
func TestScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range screenCases() {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				f := newFake(t)
				if c.sync != "" {
					f.sync = recorded(t, c.sync)
				}
				got := capture(t, NewModel(c.cfg(f), c.state), size[0], size[1], c.wait, c.msgs...)
				golden.RequireEqual(t, got)
			})
		}
	}
}

// capture runs m in a test program, sends msgs, waits for text and returns
// the last frame as plain text.
func capture(t *testing.T, m Model, w, h int, wait string, msgs ...tea.Msg) string {
	t.Helper()
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	for _, msg := range msgs {
		tm.Send(msg)
		time.Sleep(20 * time.Millisecond) // let forms run the commands a key starts
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(wait)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	return ansi.Strip(fm.View().Content) + "\n"
}
