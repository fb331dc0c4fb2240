package ui

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
)

// smallLever is the fake Lever the diagnosis tests connect to.
var smallLever = fakelever.Config{Opportunities: 40, Postings: 6, Users: 5, Rate: -1}

// TestConnectDiagnosis: a key Lever rejects, and one that lacks two
// permissions, still route to pasting again and to creating a key; those
// steps now show the diagnosis the app's services make (the doctor's
// checks against the fake Lever), the failure's own check first, below
// what the step shows, at the detail that fits.
// Regenerate with: go test ./ui -run TestConnectDiagnosis -update
func TestConnectDiagnosis(t *testing.T) {
	cases := []struct {
		name string
		key  string
		step steps.StepID
		// wait is the last text drawn, at 80x24 and at 120x40.
		wait [2]string
	}{
		{"rejected", secretKey, steps.StepPasteKey, [2]string{"Lever Sandbox rejected it too (401)", "Generate New Key) and save the new key"}},
		{"missing_two", fakelever.KeyMissingTwo, steps.StepCreateKey, [2]string{"a taller window shows why", "find all requisitions (read): missing (403)"}},
	}
	for _, c := range cases {
		for i, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				svc, _, _ := servicesOn(t, smallLever, false)
				m := NewModel(Config{Services: svc}, stateAt(steps.StepPasteKey))
				got := capture(t, m, size[0], size[1], c.wait[i], tea.PasteMsg{Content: c.key}, press("enter"))
				if !strings.Contains(got, c.step.Title()) {
					t.Fatalf("not routed to %s:\n%s", c.step, got)
				}
				golden.RequireEqual(t, got)
			})
		}
	}
}

// TestCheckAgainRoutedFailure: ctrl+r on the step a rejected key was routed
// to checks the same key again, without retyping it: Lever is asked again,
// and the failure comes back with its diagnosis.
func TestCheckAgainRoutedFailure(t *testing.T) {
	svc, _, fake := servicesOn(t, smallLever, false)
	tm, screen := startScreen(t, NewModel(Config{Services: svc}, stateAt(steps.StepPasteKey)), 120, 40)
	screen.waitUntil("the paste step", func(s string) bool { return strings.Contains(s, "hidden on screen") })
	tm.Send(tea.PasteMsg{Content: secretKey})
	tm.Send(press("enter"))
	diagnosed := func(s string) bool {
		return strings.Contains(s, "✗ Key accepted: Lever Production rejected the key (401)") && strings.Contains(s, "ctrl+r check again")
	}
	screen.waitUntil("the diagnosis of the rejected key", diagnosed)
	before := fake.Stats().ByPath["GET /stages"]
	tm.Send(press("ctrl+r"))
	screen.waitUntil("the key checked and diagnosed again", func(s string) bool {
		return fake.Stats().ByPath["GET /stages"] >= 2*before && diagnosed(s)
	})
	fm := finalModel(t, tm)
	if fm.state.Step != steps.StepPasteKey || fm.key.Reveal() != secretKey {
		t.Errorf("after checking again: step %s, key kept %v", fm.state.Step, fm.key.Reveal() == secretKey)
	}
}

// TestCheckAgainOnceLeverIsBack: while Lever answers every request with the
// key 503, the connect step stays with its retry and shows the diagnosis
// (the key could not be checked); once Lever is back, ctrl+r checks the
// same key again and connects.
func TestCheckAgainOnceLeverIsBack(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	fc := smallLever
	fc.Inject = func(string, url.Values) fakelever.Fault {
		if down.Load() {
			return fakelever.Fault503
		}
		return fakelever.FaultNone
	}
	svc, _, _ := servicesOn(t, fc, false)
	tm, screen := startScreen(t, NewModel(Config{Services: svc}, stateAt(steps.StepPasteKey)), 120, 40)
	screen.waitUntil("the paste step", func(s string) bool { return strings.Contains(s, "hidden on screen") })
	tm.Send(tea.PasteMsg{Content: fakelever.KeyFull})
	tm.Send(press("enter"))
	got := screen.waitUntil("the diagnosis of Lever's 503s", func(s string) bool {
		return strings.Contains(s, "! Key accepted: could not tell whether the key is accepted")
	})
	for _, want := range []string{"Problem: could not finish checking the key", "· Lever answered 503 on GET /stages", "Fix: this is usually passing trouble with Lever or the network", "r retry"} {
		if !strings.Contains(got, want) {
			t.Errorf("the connect step lacks %q:\n%s", want, got)
		}
	}
	down.Store(false)
	tm.Send(press("ctrl+r"))
	screen.waitUntil("the key connected", func(s string) bool { return strings.Contains(s, "✓ Connected to Lever Production") })
	fm := finalModel(t, tm)
	if v := view(fm); strings.Contains(v, "Diagnosis") || strings.Contains(v, "Problem:") {
		t.Errorf("the diagnosis outlived the problem:\n%s", v)
	}
}

// TestJobsOfferDoctorAfterAFailedSync: when the sync run from the Jobs page
// failed (the recorded sync with a key that lacks two permissions), the
// header offers leversync doctor before the error.
// Regenerate with: go test ./ui -run TestJobsOfferDoctorAfterAFailedSync -update
func TestJobsOfferDoctorAfterAFailedSync(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := pageCase{sync: "failed", data: true, ready: []string{"Last sync failed", "40 jobs"}, wait: "run leversync doctor"}
			got := capturePage(t, c, size[0], size[1])
			if header := strings.SplitN(got, "\n", 2)[0]; !strings.Contains(header, "Jobs") || !strings.Contains(header, "Last sync failed · run leversync doctor · sync ") {
				t.Errorf("the Jobs page's header does not offer leversync doctor: %q", header)
			}
			golden.RequireEqual(t, got)
		})
	}
}
