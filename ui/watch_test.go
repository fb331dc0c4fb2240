package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress/progresstest"
	"github.com/leversync/leversync/steps"
)

// errHeld is what reading the data file gives while another process's
// sync holds it.
var errHeld = errors.New("the store is in use by another leversync process (pid 4242)")

// heldServices are services whose data file another process holds for
// its first held reads (of the counts, the jobs or the setup), and which
// count what the pages asked of them.
type heldServices struct {
	fakeServices
	held                                    atomic.Int32
	fileReads, jobReads, setupReads, starts atomic.Int32
}

func (h *heldServices) busy() bool {
	for {
		n := h.held.Load()
		if n <= 0 {
			return false
		}
		if h.held.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func (h *heldServices) DataFile(ctx context.Context) (steps.DataFile, error) {
	h.fileReads.Add(1)
	if h.busy() {
		return steps.DataFile{}, errHeld
	}
	return h.fakeServices.DataFile(ctx)
}

func (h *heldServices) Jobs(ctx context.Context) ([]steps.Job, error) {
	h.jobReads.Add(1)
	if h.busy() {
		return nil, errHeld
	}
	return h.fakeServices.Jobs(ctx)
}

func (h *heldServices) LoadProgress(ctx context.Context) (steps.State, bool, error) {
	h.setupReads.Add(1)
	if h.busy() {
		return steps.State{}, false, errHeld
	}
	return h.fakeServices.LoadProgress(ctx)
}

func (h *heldServices) StartSync(ctx context.Context, s steps.State, key lever.APIKey) (steps.SyncRun, error) {
	h.starts.Add(1)
	if h.busy() {
		return nil, errHeld
	}
	return h.fakeServices.StartSync(ctx, s, key)
}

// following is a model that follows w, sized and started, with its
// commands run until they wait.
func following(t *testing.T, svc steps.Services, w *fakeWatch, only bool, rec progresstest.Recording, n int) Model {
	t.Helper()
	m := newFollowingModel(Config{Services: svc}, w, only)
	m.c.now = func() time.Time { return pageClock(rec, n) }
	m = update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	return drive(m, run(m.Init())...)
}

// TestWatchKeysOnlyRead: a watcher's p and d say that only the syncing
// process can, and ask nothing of the sync; its Jobs page says the file is
// held rather than reading it; nothing reads the file while the sync runs;
// q leaves at once.
func TestWatchKeysOnlyRead(t *testing.T) {
	rec := recorded(t, "again")
	n := midOpportunities(rec)
	for _, only := range []bool{true, false} {
		svc := &heldServices{fakeServices: fakeServices{sync: rec}}
		w := newFakeWatch(rec, n/2, n)
		m := following(t, svc, w, only, rec, n)
		if v := view(m); !strings.Contains(v, "Watching a sync run by another process") || !strings.Contains(v, "700") {
			t.Fatalf("the watch does not show the sync:\n%s", v)
		}

		m = drive(m, press("p"))
		if v := flat(view(m)); !strings.Contains(v, "only the process running this sync can pause it") || strings.Contains(v, "Paused") {
			t.Errorf("p in a watch:\n%s", view(m))
		}
		m = drive(m, press("d"))
		if v := flat(view(m)); !strings.Contains(v, "only the process running this sync can change its details") {
			t.Errorf("d in a watch:\n%s", view(m))
		}
		m = drive(m, press("r"), tab())
		if v := flat(view(m)); m.page != pageJobs || !strings.Contains(v, "Another process is syncing the data file") {
			t.Errorf("the Jobs page during a watched sync:\n%s", view(m))
		}
		m = drive(m, clockMsg{seq: m.clockSeq}, tab())
		if _, asked := w.calls(); asked != 0 {
			t.Errorf("the watch asked the sync %d times to pause or change its details", asked)
		}
		if r, j, s := svc.fileReads.Load(), svc.jobReads.Load(), svc.starts.Load(); r+j+s != 0 {
			t.Errorf("while another process syncs, the pages read the file %d times, the jobs %d times, and started %d syncs", r, j, s)
		}

		for _, k := range []tea.KeyPressMsg{press("q"), press("ctrl+c")} {
			next, cmd := m.Update(k)
			if strings.Contains(view(next.(Model)), "Quit leversync?") || cmd == nil {
				t.Fatalf("%s asked before leaving a watch:\n%s", k, view(next.(Model)))
			}
			if _, quit := cmd().(tea.QuitMsg); !quit {
				t.Errorf("%s did not leave the watch", k)
			}
		}
	}
}

// TestWatchReadsTheFileOnceFree: when the watched sync ends, the dashboard
// shows its result, and the file's counts and the jobs are read as soon as
// the syncing process lets go of the file, on the clock, not 30 s later;
// the watch is closed.
func TestWatchReadsTheFileOnceFree(t *testing.T) {
	rec := recorded(t, "done")
	svc := &heldServices{fakeServices: fakeServices{sync: rec, data: syncedData(t)}}
	svc.held.Store(3)
	w := newFakeWatch(rec, midOpportunities(rec)/2, len(rec.Events))
	m := newFollowingModel(Config{Services: svc}, w, true)
	tm, screen := startScreen(t, m, 100, 30)
	screen.waitUntil("the file's counts after the sync", func(s string) bool {
		return strings.Contains(s, "✓ Sync done") && opportunitiesInFile(s) == "1,200"
	})
	tm.Send(tab())
	screen.waitUntil("the jobs", func(s string) bool { return strings.Contains(s, "40 jobs · sorted by title") })
	fm := finalModel(t, tm)
	if fm.page != pageJobs || fm.sync.endRun.ID != rec.State.ID {
		t.Errorf("the watch ended on page %v with run %q, want the sync's %q", fm.page, fm.sync.endRun.ID, rec.State.ID)
	}
	if closed, _ := w.calls(); closed == 0 {
		t.Error("the watch of a sync that ended was not closed")
	}
	if svc.held.Load() != 0 {
		t.Errorf("%d reads were never tried", svc.held.Load())
	}
}

// opportunitiesInFile is the dashboard's count of candidates in the file,
// "" when the row is not on screen.
func opportunitiesInFile(screen string) string {
	m := regexp.MustCompile(`opportunities\s+\S+ (?:syncing|done)\s+([0-9,—]+)\s`).FindStringSubmatch(screen)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestFollowingThenOwnSetup: leversync started while another process syncs
// follows that sync; once it ends, the Jobs page opens, and the saved
// setup is read when the file is free (tried again on the clock), after
// which r syncs this machine's environment.
func TestFollowingThenOwnSetup(t *testing.T) {
	rec := recorded(t, "done")
	done := setUp()
	done.Environment = lever.Sandbox
	svc := &heldServices{fakeServices: fakeServices{sync: rec, data: syncedData(t), loaded: &done}}
	w := newFakeWatch(rec, midOpportunities(rec)/2, len(rec.Events))
	svc.held.Store(100) // the file stays held until the watched sync ends
	m := following(t, svc, w, false, rec, len(rec.Events))
	if !m.sync.finished || m.page != pageJobs {
		t.Fatalf("the watched sync finished %v, page %v", m.sync.finished, m.page)
	}
	if !m.setupUnread || svc.setupReads.Load() == 0 {
		t.Fatalf("the setup was not tried once the sync ended: unread %v, %d reads", m.setupUnread, svc.setupReads.Load())
	}
	m = drive(m, press("r"))
	if svc.starts.Load() != 0 || strings.Contains(view(m), "r sync") {
		t.Fatalf("r synced before this machine's setup was read:\n%s", view(m))
	}

	svc.held.Store(0)
	m = drive(m, clockMsg{seq: m.clockSeq})
	if m.setupUnread || m.state.Environment != lever.Sandbox || !strings.Contains(view(m), "r sync") {
		t.Fatalf("the setup read on the clock: unread %v, environment %q:\n%s", m.setupUnread, m.state.Environment, view(m))
	}
	m = drive(m, press("r"))
	if svc.starts.Load() != 1 || m.sync.watched {
		t.Errorf("r after the watch: %d syncs started, still watching %v", svc.starts.Load(), m.sync.watched)
	}
}

// TestSyncFollowsWhenTheFileIsHeld: a sync that cannot start because
// another process syncs the file follows that sync instead of failing.
func TestSyncFollowsWhenTheFileIsHeld(t *testing.T) {
	rec := recorded(t, "again")
	n := midOpportunities(rec)
	svc := &heldServices{fakeServices: fakeServices{sync: rec}}
	svc.held.Store(1)
	w := newFakeWatch(rec, n/2, n)
	var attached atomic.Int32
	cfg := Config{Services: svc, Attach: func(context.Context) (Watched, error) {
		attached.Add(1)
		return w, nil
	}}
	m := NewModel(cfg, setUp())
	m.c.now = func() time.Time { return pageClock(rec, n) }
	m = update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(m, run(m.Init())...)
	m = drive(m, tab())
	v := view(m)
	if attached.Load() != 1 || !m.sync.following() || m.sync.startErr != nil || !strings.Contains(v, "Watching a sync run by another process") {
		t.Fatalf("a sync refused for a held file: attached %d, following %v, start error %v:\n%s", attached.Load(), m.sync.following(), m.sync.startErr, v)
	}
}

// lockedBuffer is a program's output, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// progressBusy sets the terminal's progress indicator to busy.
const progressBusy = "\x1b]9;4;3\a"

// waitOutput waits until a program's output holds text.
func waitOutput(t *testing.T, out *lockedBuffer, text string) {
	t.Helper()
	waitOutputFunc(t, out, strconv.Quote(text), func(s string) bool { return strings.Contains(s, text) })
}

func waitOutputFunc(t *testing.T, out *lockedBuffer, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("the output never showed %s:\n%q", what, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunWatchSaysHowTheWatchEnded: RunWatch returns the watched run once
// it ended, nothing when the user left first; either way the watch is
// closed.
func TestRunWatchSaysHowTheWatchEnded(t *testing.T) {
	rec := recorded(t, "done")
	mid := midOpportunities(rec)
	for _, ends := range []bool{true, false} {
		// The rest of the sync comes once the watch has shown it running:
		// all of it at once could be drawn in the first frame, already
		// over.
		w := newFakeWatch(rec, mid/2, mid)
		in, keys := io.Pipe()
		out := &lockedBuffer{}
		type result struct {
			end WatchEnd
			err error
		}
		res := make(chan result, 1)
		go func() {
			end, err := RunWatch(context.Background(), Config{Services: &fakeServices{sync: rec}, In: in, Out: out}, w)
			res <- result{end, err}
		}()
		// Without a terminal the program learns no size and draws nothing
		// but its title and the terminal's progress indicator: busy while
		// the sync runs, cleared once it has ended.
		waitOutput(t, out, progressBusy)
		if ends {
			for _, ev := range rec.Events[mid:] {
				w.events <- ev
			}
			close(w.events)
			waitOutputFunc(t, out, "the progress indicator cleared after the sync", func(s string) bool {
				return strings.Contains(s[strings.Index(s, progressBusy):], "\x1b]9;4;0\a")
			})
		}
		_, _ = keys.Write([]byte("q"))
		var r result
		select {
		case r = <-res:
		case <-time.After(10 * time.Second):
			t.Fatal("q did not leave the watch")
		}
		_ = keys.Close()
		if r.err != nil || r.end.Ended != ends || (ends && r.end.Run.ID != rec.State.ID) {
			t.Errorf("a watch whose sync ends %v returned %+v, %v", ends, r.end, r.err)
		}
		if closed, _ := w.calls(); closed == 0 {
			t.Error("the watch was not closed")
		}
	}
}

// TestRunFollowsAnotherProcessSync: leversync started while another
// process syncs the file shows that sync without reading the setup or
// starting a sync; leaving says the sync goes on. When the setup cannot be
// read because a sync took the file meanwhile, it follows that sync too.
func TestRunFollowsAnotherProcessSync(t *testing.T) {
	rec := recorded(t, "again")
	n := midOpportunities(rec)
	for _, first := range []bool{true, false} {
		done := setUp()
		svc := &heldServices{fakeServices: fakeServices{sync: rec, loaded: &done}}
		w := newFakeWatch(rec, n/2, n)
		var attaches atomic.Int32
		attach := func(context.Context) (Watched, error) {
			if attaches.Add(1) == 1 && !first {
				return nil, errors.New("no sync is running on this data file")
			}
			return w, nil
		}
		if !first {
			svc.held.Store(1)
		}
		in, keys := io.Pipe()
		out := &lockedBuffer{}
		errc := make(chan error, 1)
		go func() { errc <- Run(context.Background(), Config{Services: svc, Attach: attach, In: in, Out: out}) }()
		waitOutput(t, out, "\x1b]2;leversync: Watch\a")
		_, _ = keys.Write([]byte("q"))
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("q did not leave")
		}
		_ = keys.Close()
		if !strings.Contains(out.String(), "Stopped watching; the sync goes on") {
			t.Error("leaving did not say the sync goes on")
		}
		wantReads := int32(0)
		if !first {
			wantReads = 1
		}
		if svc.setupReads.Load() != wantReads || svc.starts.Load() != 0 {
			t.Errorf("attached first %v: %d reads of the setup, %d syncs started", first, svc.setupReads.Load(), svc.starts.Load())
		}
	}
}

// TestWatchedRunReplaysTheSameProgress: a watcher's dashboard, seeded
// from a snapshot mid-run, ends at the counts of the dashboard that saw
// every event.
func TestWatchedRunReplaysTheSameProgress(t *testing.T) {
	rec := recorded(t, "done")
	own := fed(t, rec, len(rec.Events), 100, 30)
	w := newFakeWatch(rec, midOpportunities(rec), len(rec.Events))
	watched := following(t, &fakeServices{sync: rec}, w, true, rec, len(rec.Events))
	for _, p := range own.sync.snap.Phases {
		q, ok := watched.sync.snap.Phase(p.Name)
		if !ok || q.Records != p.Records || q.State != p.State {
			t.Errorf("%s: the watcher shows %+v, the syncing dashboard %+v", p.Name, q, p)
		}
	}
	if watched.sync.snap.Result() != syncer.ResultOK || watched.sync.snap.Requests != own.sync.snap.Requests {
		t.Errorf("the watcher ends %q after %d requests, the sync %q after %d", watched.sync.snap.Result(), watched.sync.snap.Requests, own.sync.snap.Result(), own.sync.snap.Requests)
	}
}
