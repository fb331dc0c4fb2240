package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/progress/progresstest"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
)

var (
	otherOnce sync.Once
	otherFile string
	otherErr  error
)

// otherAccountFile is a data file filled by a real sync of another Lever
// account (the scenario data with another seed): a second profile's.
func otherAccountFile(t *testing.T) string {
	t.Helper()
	otherOnce.Do(func() {
		cfg := progresstest.Data
		cfg.Seed, cfg.Postings, cfg.Rate = 7, 12, -1
		fake, err := fakelever.Start(cfg, "127.0.0.1:0")
		if err != nil {
			otherErr = err
			return
		}
		defer fake.Close()
		dir, err := os.MkdirTemp("", "leversync-ui-other-")
		if err != nil {
			otherErr = err
			return
		}
		otherFile = filepath.Join(dir, "leversync.db")
		svc := app.NewServices(app.ServicesConfig{
			Demo: true, DemoKey: lever.NewAPIKey(fakelever.KeyFull),
			BaseURLs: map[lever.Environment]string{lever.Production: fake.URL()},
			DBPath:   otherFile,
			Client:   lever.Options{Rate: -1},
		})
		run, err := svc.StartSync(context.Background(), setUp(), lever.APIKey{})
		if err != nil {
			otherErr = err
			return
		}
		for range run.Events() {
		}
		_, otherErr = run.Wait()
	})
	if otherErr != nil {
		t.Fatal(otherErr)
	}
	return otherFile
}

// profileHooks are the hooks the command line gives, over real data files:
// default (this program's), client-a (another account's file, read the way
// the command line reads it) and sandbox (no data yet). It records the
// profiles browsed and set up.
type profileHooks struct {
	mu      sync.Mutex
	browsed []string
	setUp   []string
	// setup is the services a profile set up by the wizard gets.
	setup map[string]*fakeServices
}

func (h *profileHooks) profiles(t *testing.T, current string, ask bool) *Profiles {
	other := otherAccountFile(t)
	return &Profiles{
		Current:  current,
		AskFirst: ask,
		Parse:    app.ParseProfileName,
		Setup: func(name string) (steps.Services, func(context.Context) (Watched, error), error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.setUp = append(h.setUp, name)
			svc, ok := h.setup[name]
			if !ok {
				return nil, nil, fmt.Errorf("no services for %s", name)
			}
			return svc, nil, nil
		},
		List: func() ([]ProfileEntry, error) {
			return []ProfileEntry{{Name: "default", HasData: true}, {Name: "client-a", HasData: true}, {Name: "sandbox"}}, nil
		},
		Browse: func(name string) (steps.Services, error) {
			h.mu.Lock()
			h.browsed = append(h.browsed, name)
			h.mu.Unlock()
			if name != "client-a" {
				return nil, fmt.Errorf("no profile %s", name)
			}
			return app.NewServices(app.ServicesConfig{DBPath: other, Store: store.Options{ReadOnly: true}}), nil
		},
	}
}

func ctrlO() tea.KeyPressMsg { return tea.KeyPressMsg{Code: 'o', Mod: tea.ModCtrl} }

// TestProfilePages captures the Jobs page with its profile in the header,
// the list of profiles, another profile's jobs, and the wizard's profile
// question with a refused name, at 80x24 and 120x40.
// Regenerate with: go test ./ui -run TestProfilePages -update
func TestProfilePages(t *testing.T) {
	type profileCase struct {
		name   string
		wizard bool
		keys   []tea.Msg
		wait   string
	}
	cases := []profileCase{
		{name: "jobs_profile", wait: "40 jobs"},
		{name: "profiles_list", keys: []tea.Msg{ctrlO()}, wait: "in use"},
		{name: "profiles_no_data", keys: []tea.Msg{ctrlO(), press("down"), press("down"), press("enter")}, wait: "no data yet: run"},
		{name: "jobs_other_profile", keys: []tea.Msg{ctrlO(), press("down"), press("enter")}, wait: "12 jobs"},
		{name: "wizard_profile", wizard: true, wait: "Which profile"},
		{name: "wizard_profile_refused", wizard: true, keys: []tea.Msg{tea.PasteMsg{Content: " a"}, press("enter")}, wait: "letters, digits"},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				h := &profileHooks{}
				f := &fakeServices{sync: recorded(t, "done"), data: syncedData(t)}
				var m Model
				if c.wizard {
					m = NewModel(Config{Services: f, Profiles: h.profiles(t, "default", true)}, steps.NewState())
				} else {
					m = NewModel(Config{Services: f, Profiles: h.profiles(t, "default", false)}, setUp())
				}
				at := pageClock(f.sync, len(f.sync.Events))
				m.c.now = func() time.Time { return at }
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]),
					teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
				screen := newLiveScreen(t, tm, size[0], size[1])
				// On a set-up machine the (recorded) sync runs first.
				ready := []string{"Which profile"}
				if !c.wizard {
					ready = []string{"40 jobs", "Up to date"}
				}
				has := func(want ...string) func(string) bool {
					return func(s string) bool {
						for _, w := range want {
							if !strings.Contains(s, w) {
								return false
							}
						}
						return true
					}
				}
				screen.waitUntil(fmt.Sprint(ready), has(ready...))
				for _, k := range c.keys {
					tm.Send(k)
					time.Sleep(50 * time.Millisecond) // a key's command runs before the next key
				}
				screen.waitUntil(c.wait, has(c.wait))
				fm := finalModel(t, tm)
				golden.RequireEqual(t, ansi.Strip(fm.View().Content)+"\n")
			})
		}
	}
}

// TestJobsPageSwitchesProfiles: ctrl+o lists the profiles; picking another
// one shows its own jobs from its data file, read-only (no sync can start
// on it); one without data says so; picking this program's profile shows
// its jobs again.
func TestJobsPageSwitchesProfiles(t *testing.T) {
	h := &profileHooks{}
	svc := &countingServices{fakeServices: fakeServices{sync: recorded(t, "done"), data: syncedData(t)}}
	m := jobsModel(t, svc)
	m.cfg.Profiles = h.profiles(t, "default", false)
	m.jobs.profileSwitch = profileSwitch{profiles: m.cfg.Profiles, own: svc}
	m.jobs.profTable = m.jobs.newTable()
	m.jobs.resize()
	if v := view(m); !strings.Contains(v, "Jobs  ·  profile default") || !strings.Contains(v, "ctrl+o profiles") {
		t.Fatalf("the Jobs page does not name its profile or the key:\n%s", v)
	}
	own := slices.Clone(m.jobs.jobs)

	m = drive(m, ctrlO())
	if v := view(m); m.jobs.view != viewProfiles || !strings.Contains(v, "client-a") || !strings.Contains(v, "sandbox") {
		t.Fatalf("ctrl+o did not list the profiles:\n%s", v)
	}
	m = drive(m, press("down"), press("down"), press("enter"))
	if v := flat(view(m)); !strings.Contains(v, "Profile sandbox has no data yet: run leversync --profile sandbox") || m.jobs.browsing() {
		t.Fatalf("a profile without data did not say so:\n%s", v)
	}

	m = drive(m, press("up"), press("enter"))
	v := view(m)
	if !m.jobs.browsing() || len(m.jobs.jobs) != 12 || !strings.Contains(v, "profile client-a (read-only)") || !strings.Contains(v, "12 jobs") {
		t.Fatalf("picking client-a did not show its 12 jobs (%d shown):\n%s", len(m.jobs.jobs), v)
	}
	for _, j := range m.jobs.jobs {
		if slices.ContainsFunc(own, func(o steps.Job) bool { return o.ID == j.ID }) {
			t.Fatalf("client-a's page shows default's job %s", j.ID)
		}
	}
	m = drive(m, press("r"))
	if svc.starts.Load() != 0 || strings.Contains(view(m), "r sync") {
		t.Fatal("r started a sync while another profile's jobs were shown")
	}
	// A read of the profile shown before is ignored.
	m = update(m, jobsMsg{source: m.jobs.source - 1, jobs: own})
	if len(m.jobs.jobs) != 12 {
		t.Fatal("a late read of the profile shown before replaced client-a's jobs")
	}

	// The list opens on the profile shown.
	m = drive(drive(m, ctrlO()), press("up"), press("enter"))
	if v := view(m); m.jobs.browsing() || len(m.jobs.jobs) != len(own) || !strings.Contains(v, "40 jobs") || !strings.Contains(v, "r sync") {
		t.Fatalf("picking default did not show its own jobs again:\n%s", v)
	}
	if !slices.Equal(h.browsed, []string{"client-a"}) {
		t.Fatalf("browsed %v, want only client-a", h.browsed)
	}
}

// TestWizardAsksForTheProfile: on a profile that holds an account, the
// wizard asks first; a new name moves everything the wizard saves to that
// profile's services, and the current name goes on where it was.
func TestWizardAsksForTheProfile(t *testing.T) {
	t.Run("a new profile", func(t *testing.T) {
		h := &profileHooks{setup: map[string]*fakeServices{"client-a": {}}}
		old := &fakeServices{}
		m := sized(NewModel(Config{Services: old, Profiles: h.profiles(t, "default", true)}, steps.NewState()))
		if !m.asksProfile() || !strings.Contains(view(m), "Which profile is this Lever account for?") {
			t.Fatalf("the wizard did not ask for the profile:\n%s", view(m))
		}
		// The default is the current profile; replace it with a new name.
		m = drive(m, ctrlU(), tea.PasteMsg{Content: "Client-A"}, press("enter"))
		if m.asksProfile() || m.state.Step != steps.StepPrerequisite {
			t.Fatalf("the answer did not lead to step 1:\n%s", view(m))
		}
		if !slices.Equal(h.setUp, []string{"client-a"}) || m.cfg.Profiles.Current != "client-a" {
			t.Fatalf("set up %v, current %q: want client-a", h.setUp, m.cfg.Profiles.Current)
		}
		// Step 1's answers are saved in the new profile, none in the old.
		m = drive(m, press("enter"), press("enter"))
		assertSavedIn(t, h, "client-a", old)
	})
	t.Run("the current profile", func(t *testing.T) {
		h := &profileHooks{setup: map[string]*fakeServices{}}
		old := &fakeServices{}
		m := sized(NewModel(Config{Services: old, Profiles: h.profiles(t, "default", true)}, steps.NewState()))
		m = drive(m, press("enter"))
		if m.asksProfile() || len(h.setUp) != 0 {
			t.Fatalf("keeping default set up %v:\n%s", h.setUp, view(m))
		}
		m = drive(m, press("enter"), press("enter"))
		if s, ok := old.lastSaved(); !ok || s.Step != steps.StepOrganization || m.state.Step != steps.StepOrganization {
			t.Fatalf("default's progress: %+v, %v", s, ok)
		}
	})
	t.Run("a profile that cannot be set up", func(t *testing.T) {
		h := &profileHooks{setup: map[string]*fakeServices{}}
		m := sized(NewModel(Config{Services: &fakeServices{}, Profiles: h.profiles(t, "default", true)}, steps.NewState()))
		m = drive(m, ctrlU(), tea.PasteMsg{Content: "other"}, press("enter"))
		if v := flat(view(m)); !m.asksProfile() || !strings.Contains(strings.ToLower(v), "profile other cannot be set up: no services for other") {
			t.Fatalf("a failed set-up did not ask again:\n%s", v)
		}
	})
	t.Run("not asked on a new profile", func(t *testing.T) {
		h := &profileHooks{}
		m := sized(NewModel(Config{Services: &fakeServices{}, Profiles: h.profiles(t, "default", false)}, steps.NewState()))
		if m.asksProfile() {
			t.Fatal("the wizard asked for the profile of an empty one")
		}
	})
}

// assertSavedIn fails unless step 1's answers were saved in the profile
// name that h set up, and none in old, the profile the account left.
func assertSavedIn(t *testing.T, h *profileHooks, name string, old *fakeServices) {
	t.Helper()
	if s, ok := h.setup[name].lastSaved(); !ok || s.Step != steps.StepOrganization {
		t.Fatalf("%s's progress: %+v, %v", name, s, ok)
	}
	if _, ok := old.lastSaved(); ok {
		t.Fatal("progress was saved in the profile the account did not go in")
	}
}

// ctrlU clears a text field.
func ctrlU() tea.KeyPressMsg { return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl} }
