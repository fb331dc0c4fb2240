package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress/progresstest"
	"github.com/leversync/leversync/steps"
)

// setUp is the state of a machine where the wizard is done.
func setUp() steps.State {
	s := stateAt(steps.StepSync)
	s.Completed = true
	return s
}

var (
	dataOnce sync.Once
	dataDir  string
	dataSvc  steps.Services
	dataErr  error
)

// syncedData is the app's services over a data file filled by a real sync
// of the fake Lever's scenario data (the data the recordings sync): what
// the Jobs page reads in the goldens.
func syncedData(t *testing.T) steps.Services {
	t.Helper()
	dataOnce.Do(func() {
		cfg := progresstest.Data
		cfg.Rate = -1
		fake, err := fakelever.Start(cfg, "127.0.0.1:0")
		if err != nil {
			dataErr = err
			return
		}
		defer fake.Close()
		if dataDir, err = os.MkdirTemp("", "leversync-ui-"); err != nil {
			dataErr = err
			return
		}
		svc := app.NewServices(app.ServicesConfig{
			Demo: true, DemoKey: lever.NewAPIKey(fakelever.KeyFull),
			BaseURLs: map[lever.Environment]string{lever.Production: fake.URL()},
			DBPath:   filepath.Join(dataDir, "leversync.db"),
			Client:   lever.Options{Rate: -1},
		})
		run, err := svc.StartSync(context.Background(), setUp(), lever.APIKey{})
		if err != nil {
			dataErr = err
			return
		}
		for range run.Events() {
		}
		if _, err := run.Wait(); err != nil {
			dataErr = err
			return
		}
		dataSvc = svc
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataSvc
}

// pageCase is a frame of the dashboard or the Jobs page: a recorded sync
// replayed up to a point, keys pressed before and after the replay shows
// (ready), and text that shows the frame is drawn.
type pageCase struct {
	name string
	sync string
	// upTo picks how many events to replay; nil replays the whole run.
	upTo func(rec progresstest.Recording) int
	// data: the Jobs page reads a real synced file.
	data bool
	// watch, when set, shows the sync as a watcher of another process
	// (leversync watch) that joined after the events it picks.
	watch  func(rec progresstest.Recording) int
	before []tea.Msg
	ready  []string
	keys   []tea.Msg
	wait   string
}

func tab() tea.KeyPressMsg { return tea.KeyPressMsg{Code: tea.KeyTab} }

// firstPage is the events before the first page is stored: the sync has
// started its phases.
func firstPage(rec progresstest.Recording) int {
	for i, ev := range rec.Events {
		if ev.Type == syncer.EventPageStored {
			return i
		}
	}
	return len(rec.Events)
}

// midOpportunities stops right after a retry once half the candidates of
// the last sync are read again.
func midOpportunities(rec progresstest.Recording) int {
	half := rec.InFileBefore[lever.Opportunities] / 2
	read := 0
	for i, ev := range rec.Events {
		if ev.Type == syncer.EventPageStored && ev.Phase == string(lever.Opportunities) {
			read = max(read, ev.Total)
		}
		if read >= half && ev.Type == syncer.EventRetry {
			return i + 1
		}
	}
	return len(rec.Events) - 1
}

// slowerAt stops at the first event 11 s into the run: past the 10 s the
// dashboard waits before it calls a sync slower than Lever allows.
func slowerAt(rec progresstest.Recording) int {
	for i, ev := range rec.Events {
		if ev.Time-rec.Events[0].Time >= 11_000 {
			return i + 1
		}
	}
	return len(rec.Events) - 1
}

// halfOf joins half-way to the point at picks.
func halfOf(at func(progresstest.Recording) int) func(progresstest.Recording) int {
	return func(rec progresstest.Recording) int { return at(rec) / 2 }
}

func pageCases() []pageCase {
	return []pageCase{
		{name: "dashboard_starting", sync: "done", upTo: firstPage, before: []tea.Msg{tab()}, ready: []string{"Requests"}, wait: "Syncing from Lever"},
		{name: "dashboard_retrying", sync: "again", upTo: midOpportunities, before: []tea.Msg{tab()}, ready: []string{"Estimate"}, wait: "Estimate"},
		{name: "dashboard_slower", sync: "slow", upTo: slowerAt, before: []tea.Msg{tab()}, ready: []string{"Slower"}, wait: "Slower"},
		{name: "dashboard_paused", sync: "again", upTo: midOpportunities, before: []tea.Msg{tab()}, ready: []string{"Estimate"}, keys: []tea.Msg{press("p")}, wait: "Paused"},
		{name: "dashboard_failed", sync: "failed", before: []tea.Msg{tab()}, ready: []string{"Sync failed"}, wait: "Sync failed"},
		{name: "dashboard_done", sync: "done", ready: []string{"Up to date"}, keys: []tea.Msg{tab()}, wait: "This run stored"},
		{name: "dashboard_changes_done", sync: "changes", ready: []string{"Up to date"}, keys: []tea.Msg{tab()}, wait: "stored this run"},
		{name: "watch_mid_sync", sync: "again", watch: halfOf(midOpportunities), upTo: midOpportunities, ready: []string{"candidates last sync"}, wait: "Watching"},
		{name: "watch_done", sync: "done", watch: halfOf(midOpportunities), ready: []string{"Sync done", "The file holds"}, wait: "The file holds"},
		{name: "jobs", sync: "done", data: true, ready: []string{"Up to date", "40 jobs"}, wait: "40 jobs"},
		{name: "jobs_filtered", sync: "done", data: true, ready: []string{"Up to date", "40 jobs"}, keys: []tea.Msg{press("e"), press("n"), press("g")}, wait: "Filter: eng"},
		{name: "jobs_candidates", sync: "done", data: true, ready: []string{"Up to date", "40 jobs"}, keys: []tea.Msg{press("down"), press("enter")}, wait: "esc back to the jobs"},
		{name: "jobs_search", sync: "done", data: true, ready: []string{"Up to date", "40 jobs"}, keys: []tea.Msg{press("/"), press("g"), press("r")}, wait: "match"},
	}
}

// TestPages captures the dashboard and the Jobs page at 80x24 and 120x40 as
// plain text, from recorded syncs. Regenerate with: go test ./ui -update
func TestPages(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range pageCases() {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				golden.RequireEqual(t, capturePage(t, c, size[0], size[1]))
			})
		}
	}
}

// pageClock is the time a frame is drawn at: a moment after the last
// replayed event, or three minutes after a finished run.
func pageClock(rec progresstest.Recording, n int) time.Time {
	if n == len(rec.Events) {
		return time.UnixMilli(rec.Events[n-1].Time).Add(3 * time.Minute)
	}
	return time.UnixMilli(rec.Events[n-1].Time).Add(100 * time.Millisecond)
}

func capturePage(t *testing.T, c pageCase, w, h int) string {
	t.Helper()
	f := &fakeServices{sync: recorded(t, c.sync)}
	n := len(f.sync.Events)
	if c.upTo != nil {
		n = c.upTo(f.sync)
		f.upTo = n
	}
	if c.data {
		f.data = syncedData(t)
	}
	m := NewModel(Config{Services: f}, setUp())
	if c.watch != nil {
		m = newFollowingModel(Config{Services: f}, newFakeWatch(f.sync, c.watch(f.sync), n), true)
	}
	at := pageClock(f.sync, n)
	m.c.now = func() time.Time { return at }
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	screen := newLiveScreen(t, tm, w, h)
	for _, k := range c.before {
		tm.Send(k)
	}
	// The replay is delivered before the other keys.
	screen.waitUntil(fmt.Sprintf("%q", c.ready), func(s string) bool {
		for _, r := range c.ready {
			if !strings.Contains(s, r) {
				return false
			}
		}
		return true
	})
	for _, k := range c.keys {
		tm.Send(k)
		time.Sleep(20 * time.Millisecond) // a key's command runs before the next key
	}
	screen.waitUntil(fmt.Sprintf("%q", c.wait), func(s string) bool { return strings.Contains(s, c.wait) })
	fm := finalModel(t, tm)
	return steadySpinner(ansi.Strip(fm.View().Content)) + "\n"
}

// steadySpinner draws every spinner frame as the first: which frame shows
// depends on how many redraws happened, not on the sync.
func steadySpinner(s string) string {
	for _, f := range spinnerFrames[1:] {
		s = strings.ReplaceAll(s, f, spinnerFrames[0])
	}
	return s
}
