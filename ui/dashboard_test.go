package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress/progresstest"
)

// replay starts a model on a set-up machine whose sync replays the named
// recording (the first upTo events, or all), and returns it once the
// replay is drawn, with the program to drive it.
func replay(t *testing.T, name string, upTo int, ready string) (*fakeServices, *liveScreen, func(...tea.Msg), func() Model) {
	t.Helper()
	f := &fakeServices{sync: recorded(t, name), upTo: upTo}
	n := f.replayed()
	m := NewModel(Config{Services: f}, setUp())
	at := pageClock(f.sync, n)
	m.c.now = func() time.Time { return at }
	tm, screen := startScreen(t, m, 100, 30)
	send := func(msgs ...tea.Msg) {
		for _, msg := range msgs {
			tm.Send(msg)
		}
	}
	send(tab())
	screen.waitUntil(ready, func(s string) bool { return strings.Contains(s, ready) })
	return f, screen, send, func() Model { return finalModel(t, tm) }
}

// fed is m on a set-up machine after its sync replayed rec's first n
// events (all of them: the run's end too), fed directly rather than
// through a program.
func fed(t *testing.T, rec progresstest.Recording, n, w, h int) Model {
	t.Helper()
	f := &fakeServices{sync: rec, upTo: n}
	if n == len(rec.Events) {
		f.upTo = 0
	}
	m := NewModel(Config{Services: f}, setUp())
	m.c.now = func() time.Time { return pageClock(rec, n) }
	m = update(m, tea.WindowSizeMsg{Width: w, Height: h})
	m.Init() // starts the session's run
	r, err := f.StartSync(t.Context(), setUp(), lever.APIKey{})
	if err != nil {
		t.Fatal(err)
	}
	m = update(m, syncStartedMsg{gen: m.sync.gen, run: r})
	df, _ := f.DataFile(t.Context())
	m = update(m, syncEventsMsg{gen: m.sync.gen, events: rec.Events[:n]}, dataFileMsg{gen: m.sync.gen, file: df})
	if n == len(rec.Events) {
		m = update(m, syncDoneMsg{gen: m.sync.gen, run: rec.State, err: rec.Err}, dataFileMsg{gen: m.sync.gen, file: df})
	}
	return m
}

// flat is a view as one line of words, box edges dropped, so wrapped
// sentences can be matched.
func flat(v string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("│", " ", "╭", " ", "╮", " ", "╰", " ", "╯", " ", "─", " ").Replace(v)), " ")
}

// TestQuitWhenNothingRuns: once the sync is done, ctrl+c and q quit at once,
// without the question about the page being written; while it runs, q asks
// and says the sync stops at a page boundary.
func TestQuitWhenNothingRuns(t *testing.T) {
	for _, k := range []tea.KeyPressMsg{press("ctrl+c"), press("q")} {
		t.Run(k.String(), func(t *testing.T) {
			rec := recorded(t, "done")
			m := fed(t, rec, len(rec.Events), 100, 30)
			if !m.sync.finished || m.sync.active() {
				t.Fatalf("the sync did not finish: %+v", m.sync.snap.Run)
			}
			next, cmd := m.Update(k)
			if strings.Contains(view(next.(Model)), "The sync stops") {
				t.Fatalf("%s asked about a sync that is not running:\n%s", k, view(next.(Model)))
			}
			if cmd == nil {
				t.Fatalf("%s did not quit", k)
			}
			if _, quit := cmd().(tea.QuitMsg); !quit {
				t.Fatalf("%s did not quit", k)
			}
		})
	}
	t.Run("while syncing", func(t *testing.T) {
		rec := recorded(t, "again")
		m := fed(t, rec, midOpportunities(rec), 100, 30)
		if !m.sync.active() {
			t.Fatal("the sync is not running")
		}
		next, cmd := m.Update(press("q"))
		if cmd != nil {
			if _, quit := cmd().(tea.QuitMsg); quit {
				t.Fatal("q quit a running sync without asking")
			}
		}
		if v := view(next.(Model)); !strings.Contains(flat(v), "The sync stops after the page it is writing; the next run resumes where it stopped.") {
			t.Fatalf("q did not say what happens to the sync:\n%s", v)
		}
	})
}

// TestRerunShowsWhatTheFileHolds: an incremental sync reads only what
// changed, but the dashboard shows the candidates the file holds beside
// what this run stored, and so does the header.
func TestRerunShowsWhatTheFileHolds(t *testing.T) {
	rec := recorded(t, "changes")
	if rec.InFileBefore["opportunities"] == 0 || rec.State.UpdatedSince == 0 {
		t.Fatalf("the recording is not a re-run: %+v", rec.State)
	}
	// Stop while the opportunities changed are being stored.
	upTo := 0
	for i, ev := range rec.Events {
		if ev.Type == syncer.EventPageStored && ev.Phase == "opportunities" {
			upTo = i + 1
			break
		}
	}
	_, screen, _, final := replay(t, "changes", upTo, "opportunities")
	s := screen.waitUntil("the file's candidates", func(s string) bool {
		return regexp.MustCompile(`opportunities\s+\S+ syncing\s+1,200\s+5\s`).MatchString(s)
	})
	if !strings.Contains(s, "1,200 candidates so far") {
		t.Errorf("the header does not count the file's candidates:\n%s", s)
	}
	_ = final()
}

// TestPauseAndDetailsKeys: p pauses and resumes the sync, d turns its
// detail phase on; both show.
func TestPauseAndDetailsKeys(t *testing.T) {
	rec := recorded(t, "again")
	f, screen, send, final := replay(t, "again", midOpportunities(rec), "Estimate")
	send(press("p"))
	screen.waitUntil("paused", func(s string) bool { return strings.Contains(s, "⏸ Paused") && strings.Contains(s, "p resume") })
	send(press("p"))
	screen.waitUntil("resumed", func(s string) bool { return !strings.Contains(s, "Paused") && strings.Contains(s, "p pause") })
	send(press("d"))
	s := screen.waitUntil("the details planned", func(s string) bool {
		return strings.Contains(s, "details will be fetched") || strings.Contains(s, "Candidate details")
	})
	if !regexp.MustCompile(`details\s+· waiting`).MatchString(s) {
		t.Errorf("no details row after d:\n%s", s)
	}
	_ = final()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.paused) != 2 || !f.paused[0] || f.paused[1] || len(f.details) != 1 || !f.details[0] {
		t.Errorf("the sync was asked paused %v, details %v", f.paused, f.details)
	}
}

// TestEventsArriveTogether: events that arrive while the screen waits for
// its next frame come as one message, and a frame waits for the one
// before.
func TestEventsArriveTogether(t *testing.T) {
	rec := recorded(t, "done")
	ch := make(chan syncer.Event, len(rec.Events))
	for _, ev := range rec.Events {
		ch <- ev
	}
	start := time.Now()
	msg := waitEvents(1, ch, start.Add(frameInterval), nil)().(syncEventsMsg)
	if waited := time.Since(start); waited < frameInterval {
		t.Errorf("delivered after %s, before the frame interval of %s", waited, frameInterval)
	}
	if len(msg.events) != len(rec.Events) || msg.closed {
		t.Errorf("one delivery carried %d of %d waiting events", len(msg.events), len(rec.Events))
	}
	close(ch)
	if msg := waitEvents(1, ch, time.Now(), nil)().(syncEventsMsg); !msg.closed || len(msg.events) != 0 {
		t.Errorf("the end of the run reads as %+v", msg)
	}
}

// TestDashboardFitsItsWidth draws every recorded state at several widths.
func TestDashboardFitsItsWidth(t *testing.T) {
	for _, name := range []string{"done", "again", "failed", "changes", "warnings"} {
		rec := recorded(t, name)
		for _, upTo := range []int{firstPage(rec), midOpportunities(rec), len(rec.Events)} {
			for _, w := range []int{60, 80, 100, 140} {
				m := fed(t, rec, upTo, w, 24)
				m.page = pageSync
				for i, line := range strings.Split(view(m), "\n") {
					if ansi.StringWidth(line) > w || i >= 24 {
						t.Errorf("%s up to %d at %d wide: line %d of width %d: %q", name, upTo, w, i, ansi.StringWidth(line), line)
						break
					}
				}
			}
		}
	}
}
