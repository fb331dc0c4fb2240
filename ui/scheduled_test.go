package ui

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// nextAt is a next run's time.
var nextAt = time.Date(2026, 3, 4, 15, 4, 0, 0, time.Local)

// TestScheduledDashboard captures the dashboard of leversync sync --every
// between runs: after a run that went well, and after runs that failed.
// Regenerate with: go test ./ui -run TestScheduledDashboard -update
func TestScheduledDashboard(t *testing.T) {
	// An hour after the recorded run ended; the frames are drawn three
	// minutes after it.
	rec := recorded(t, "done")
	ended := time.UnixMilli(rec.Events[len(rec.Events)-1].Time).Truncate(time.Minute)
	next := ended.Add(time.Hour)
	cases := []struct {
		name string
		next NextRun
		wait string
	}{
		{"next_run", NextRun{At: next, Every: time.Hour}, "Next sync at " + next.Format("15:04") + " (every 1h)"},
		// The two runs after the one shown could not start: another
		// sync held the file.
		{"next_attempt", NextRun{At: ended.Add(4 * time.Minute), Every: 15 * time.Minute, Failures: 2,
			LastError: fmt.Errorf("open %s: %w", "leversync.db", store.ErrInUse).Error()}, "after 2 failed runs"},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				f := newFake(t)
				m := newScheduledModel(Config{Services: f}, lever.Production, func() {})
				at := pageClock(f.sync, len(f.sync.Events))
				m.c.now = func() time.Time { return at }
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]),
					teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
				screen := newLiveScreen(t, tm, size[0], size[1])
				screen.waitUntil("starting", func(s string) bool { return strings.Contains(s, "Starting the sync") })
				run, err := f.StartSync(t.Context(), setUp(), lever.APIKey{})
				if err != nil {
					t.Fatal(err)
				}
				tm.Send(scheduledRunMsg{run: run})
				screen.waitUntil("the run's end", func(s string) bool { return strings.Contains(s, "Sync done") })
				tm.Send(nextRunMsg{next: c.next})
				screen.waitUntil(c.wait, func(s string) bool { return strings.Contains(s, c.wait) })
				fm := finalModel(t, tm)
				golden.RequireEqual(t, ansi.Strip(fm.View().Content)+"\n")
			})
		}
	}
}

// TestScheduledDashboardShowsEachRun: the schedule's runs follow one
// another on the dashboard, which stays there (no Jobs page opens by
// itself), starts no sync of its own (r says so), shows when the next run
// starts only between runs, and stops the schedule when the user leaves.
func TestScheduledDashboardShowsEachRun(t *testing.T) {
	svc := &countingServices{fakeServices: fakeServices{sync: recorded(t, "done")}}
	var stopped atomic.Int32
	m := update(newScheduledModel(Config{Services: svc}, lever.Production, func() { stopped.Add(1) }), tea.WindowSizeMsg{Width: 120, Height: 40})
	m.c.now = func() time.Time { return nextAt.Add(-time.Hour) }
	m = drive(m, run(m.Init())...)
	if v := view(m); !strings.Contains(v, "Starting the sync") || svc.starts.Load() != 0 {
		t.Fatalf("the dashboard does not wait for the first run:\n%s", v)
	}
	for i := range 2 {
		run, err := svc.fakeServices.StartSync(t.Context(), setUp(), lever.APIKey{})
		if err != nil {
			t.Fatal(err)
		}
		m = drive(m, scheduledRunMsg{run: run})
		if !m.sync.finished || m.page != pageSync || !strings.Contains(view(m), "Sync done") {
			t.Fatalf("run %d: the dashboard did not show the run to its end:\n%s", i+1, view(m))
		}
		m = drive(m, nextRunMsg{next: NextRun{At: nextAt, Every: time.Hour}})
		if v := view(m); !strings.Contains(v, "Next sync at 15:04 (every 1h)") {
			t.Fatalf("run %d: no next run between runs:\n%s", i+1, v)
		}
	}
	m = drive(m, press("r"))
	if svc.starts.Load() != 0 || !strings.Contains(flat(view(m)), "The schedule starts the next sync") {
		t.Fatalf("r started %d syncs:\n%s", svc.starts.Load(), view(m))
	}
	// While a run goes on, the next run's time is not shown.
	m = update(m, scheduledRunMsg{run: &fakeRun{f: &svc.fakeServices, events: make(chan syncer.Event)}})
	if v := view(m); strings.Contains(v, "Next sync at") || !m.sync.active() {
		t.Fatalf("the next run's time shows during a run:\n%s", v)
	}
	m.release(time.Millisecond)
	if stopped.Load() != 1 {
		t.Fatalf("leaving the dashboard stopped the schedule %d times", stopped.Load())
	}
}
