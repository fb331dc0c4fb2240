package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
)

// liveSync is a `leversync sync --json` child whose events the test reads
// as they come.
type liveSync struct {
	cmd       *exec.Cmd
	stderr    bytes.Buffer
	firstPage chan struct{}
	ended     chan struct{} // stdout closed
	mu        sync.Mutex
	events    []syncer.Event
	bad       []string // lines that are not events
}

func startLiveSync(t *testing.T, env []string, args ...string) *liveSync {
	t.Helper()
	s := &liveSync{firstPage: make(chan struct{}), ended: make(chan struct{})}
	s.cmd = exec.Command(binPath, args...)
	s.cmd.Env = env
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); <-s.ended; _ = s.cmd.Wait() })
	go func() {
		defer close(s.ended)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		paged := false
		for sc.Scan() {
			var ev syncer.Event
			s.mu.Lock()
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				s.bad = append(s.bad, sc.Text())
			} else {
				s.events = append(s.events, ev)
			}
			s.mu.Unlock()
			if ev.Type == syncer.EventPageStored && !paged {
				paged = true
				close(s.firstPage)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return s
}

// waitFirstPage returns once the sync has stored a page: it is publishing,
// and a watcher that joins now joins mid-sync.
func (s *liveSync) waitFirstPage(t *testing.T) {
	t.Helper()
	select {
	case <-s.firstPage:
	case <-s.ended:
		t.Fatalf("the sync ended before storing a page: %s", s.stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("the sync stored no page within two minutes")
	}
}

// wait waits for the sync's end and returns its exit code and events.
func (s *liveSync) wait(t *testing.T) (int, []syncer.Event) {
	t.Helper()
	select {
	case <-s.ended:
	case <-time.After(2 * time.Minute):
		t.Fatal("the sync did not end within two minutes")
	}
	err := s.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bad) > 0 {
		t.Fatalf("sync --json printed lines that are not events: %q", s.bad)
	}
	return code, s.events
}

// child is a started `leversync watch`.
type child struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func startWatch(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(binPath, append([]string{"watch"}, args...)...)}
	c.cmd.Env = env
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill() })
	return c
}

// attachedWatch starts `watch --json` and returns once its snapshot has
// arrived; the rest of its output is discarded.
func attachedWatch(t *testing.T, env []string, db string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(binPath, "watch", "--db", db, "--json")}
	c.cmd.Env = env
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill() })
	line, err := bufio.NewReaderSize(stdout, 1<<20).ReadBytes('\n')
	if err != nil || !bytes.HasPrefix(line, []byte(`{"type":"snapshot",`)) {
		t.Fatalf("watch did not attach: %.200q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return c
}

// wait returns the watch's exit code; it must end within two minutes.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(2 * time.Minute):
		_ = c.cmd.Process.Kill()
		t.Fatal("watch did not end within two minutes of its sync")
		return -1
	}
}

// watchedRun parses `watch --json` output: the snapshot event first, then
// events; it returns the snapshot and the model it ends at.
func watchedRun(t *testing.T, out []byte) (progress.Snapshot, progress.Snapshot, []syncer.Event) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var first app.WatchEvent
	if err := json.Unmarshal(lines[0], &first); err != nil || first.Type != app.EventSnapshot || first.Snapshot == nil || first.Time == 0 {
		t.Fatalf("watch --json did not start with a snapshot event: %.300s (%v)", lines[0], err)
	}
	m := progress.Restore(*first.Snapshot)
	var events []syncer.Event
	for _, l := range lines[1:] {
		var ev app.WatchEvent
		if err := json.Unmarshal(l, &ev); err != nil || ev.Snapshot != nil || ev.Type == app.EventSnapshot {
			t.Fatalf("watch --json printed a line that is not a sync event: %.300s (%v)", l, err)
		}
		m.Apply(ev.Event)
		events = append(events, ev.Event)
	}
	return *first.Snapshot, m.Snapshot(), events
}

// sameProgress is what the events make of a snapshot: without page
// counts, which differ where pages were merged for a slower reader, and
// without what the syncing process adds (the file's counts when the run
// began, the last run, the request ceiling), which a watcher's snapshot
// carries and the events do not.
func sameProgress(t *testing.T, s progress.Snapshot) string {
	t.Helper()
	for i := range s.Phases {
		s.Phases[i].Pages = 0
	}
	s.InFile, s.InFileBefore, s.LastRun, s.RateLimit = nil, nil, nil, 0
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fold(events []syncer.Event) progress.Snapshot {
	m := progress.New()
	for _, ev := range events {
		m.Apply(ev)
	}
	return m.Snapshot()
}

func lastDone(t *testing.T, events []syncer.Event) syncer.RunState {
	t.Helper()
	if n := len(events); n == 0 || events[n-1].Type != syncer.EventSyncDone || events[n-1].Run == nil {
		t.Fatalf("the events do not end with sync_done: %d events", len(events))
	}
	return *events[len(events)-1].Run
}

// TestWatchFollowsHeadlessSync attaches three watchers and a raw reader to
// a headless sync mid-run: each gets a snapshot first, then the events,
// and ends with exactly the progress and totals the syncing process
// printed. The socket is 0600 and carries no key.
func TestWatchFollowsHeadlessSync(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 3000, Latency: 50 * time.Millisecond, Rate: 10})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	run := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	run.waitFirstPage(t)

	fi, err := os.Lstat(db + ".sock")
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the watch socket beside the file: %v, %v; want a 0600 socket", fi, err)
	}
	raw, err := net.Dial("unix", db+".sock")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rawBytes := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(raw); rawBytes <- b }()
	watchers := []*child{startWatch(t, env, "--db", db, "--json"), startWatch(t, env, "--db", db, "--json")}
	human := startWatch(t, env, "--db", db)

	code, events := run.wait(t)
	if code != 0 {
		t.Fatalf("sync exit %d: %s", code, run.stderr.String())
	}
	done := lastDone(t, events)
	want := sameProgress(t, fold(events))

	var ended []string
	for i, w := range watchers {
		if code := w.wait(t); code != 0 {
			t.Fatalf("watcher %d: exit %d: %s", i, code, w.stderr.String())
		}
		first, last, got := watchedRun(t, w.stdout.Bytes())
		if !first.Started || first.Records() == 0 || first.Finished {
			t.Errorf("watcher %d joined mid-sync but its snapshot shows started %v, %d records, finished %v", i, first.Started, first.Records(), first.Finished)
		}
		if first.RateLimit != lever.DefaultRate || first.InFileBefore == nil || first.InFile != nil {
			t.Errorf("watcher %d's snapshot carries the ceiling %v, the file's counts before the run %v and now %v; want Lever's limit, the counts before, none now",
				i, first.RateLimit, first.InFileBefore, first.InFile)
		}
		if len(got) == 0 || len(got) >= len(events) {
			t.Errorf("watcher %d got %d events after its snapshot, of the sync's %d: it did not join mid-sync", i, len(got), len(events))
		}
		if !last.Finished || lastDone(t, got).ID != done.ID {
			t.Errorf("watcher %d did not see the sync's sync_done", i)
		}
		for r, n := range done.Totals {
			if last.Run.Totals[r] != n {
				t.Errorf("watcher %d: %s total %d, the sync's %d", i, r, last.Run.Totals[r], n)
			}
		}
		if got := sameProgress(t, last); got != want {
			t.Errorf("watcher %d ends at\n%s\nthe sync's own events end at\n%s", i, got, want)
		}
		ended = append(ended, sameProgress(t, last))
	}
	if ended[0] != ended[1] {
		t.Error("the two watchers ended at different progress")
	}

	if code := human.wait(t); code != 0 {
		t.Fatalf("watch: exit %d: %s", code, human.stderr.String())
	}
	out := human.stdout.String()
	for _, s := range []string{"watching a full sync, started ", "sync done in ", "opportunities " + thousands(done.Totals[lever.Opportunities])} {
		if !strings.Contains(out, s) {
			t.Errorf("watch's output lacks %q:\n%s", s, out)
		}
	}

	var socket []byte
	select {
	case socket = <-rawBytes:
	case <-time.After(time.Minute):
		t.Fatal("the socket was not closed after the sync")
	}
	if !bytes.HasPrefix(socket, []byte(`{"type":"snapshot",`)) || !bytes.Contains(socket, []byte(`"type":"sync_done"`)) {
		t.Errorf("the socket carried %d bytes that do not run from a snapshot to sync_done", len(socket))
	}
	texts := [][]byte{socket, human.stdout.Bytes(), human.stderr.Bytes()}
	for _, w := range watchers {
		texts = append(texts, w.stdout.Bytes(), w.stderr.Bytes())
	}
	assertNoKey(t, fakelever.KeyFull, "what the watch socket carried or a watcher printed", texts...)
	if _, err := os.Lstat(db + ".sock"); !os.IsNotExist(err) {
		t.Errorf("the socket is left after the sync: %v", err)
	}
}

// TestWatchersThatStallOrLeaveDoNotDisturbSync: one watcher never reads,
// one is killed, one is interrupted; the sync runs to its end with every
// record stored. The stalled watcher is cut off (it never gets sync_done)
// rather than waited for.
func TestWatchersThatStallOrLeaveDoNotDisturbSync(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 8, Opportunities: 8000})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	// A client-side rate keeps the sync going for a few seconds.
	run := startLiveSync(t, env, syncArgs(srv, db, "--json", "--rate", "40")...)
	run.waitFirstPage(t)

	stalled, err := net.Dial("unix", db+".sock")
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()

	// Two watchers attach (their snapshot arrives), then one is killed and
	// the other interrupted.
	killed, interrupted := attachedWatch(t, env, db), attachedWatch(t, env, db)
	_ = killed.cmd.Process.Kill()
	_ = interrupted.cmd.Process.Signal(syscall.SIGINT)
	killed.wait(t)
	if code := interrupted.wait(t); code != exitSIGINT || strings.Contains(interrupted.stderr.String(), "DATA RACE") {
		t.Errorf("an interrupted watch: exit %d, want %d; stderr: %s", code, exitSIGINT, interrupted.stderr.String())
	} else if !strings.Contains(interrupted.stderr.String(), "Stopped watching; the sync goes on.") {
		t.Errorf("an interrupted watch says: %s", interrupted.stderr.String())
	}

	code, events := run.wait(t)
	if code != 0 {
		t.Fatalf("sync exit %d with stalled and departed watchers: %s", code, run.stderr.String())
	}
	done := lastDone(t, events)
	if done.Result != syncer.ResultOK {
		t.Fatalf("sync_done %+v", done)
	}
	for _, r := range lever.ListResources {
		if want := len(srv.Expected(string(r))); done.Totals[r] != want {
			t.Errorf("%s: the sync stored %d, the fake has %d", r, done.Totals[r], want)
		}
	}

	_ = stalled.SetReadDeadline(time.Now().Add(time.Minute))
	got, err := io.ReadAll(stalled)
	if err != nil {
		t.Fatalf("the stalled watcher's connection was not closed: %v", err)
	}
	if !bytes.HasPrefix(got, []byte(`{"type":"snapshot",`)) {
		t.Errorf("the stalled watcher was not sent its snapshot first: %.100s", got)
	}
	t.Logf("the stalled watcher got %d bytes", len(got))
	if bytes.Contains(got, []byte(`"type":"sync_done"`)) {
		t.Error("the stalled watcher got every event: the sync's events fit in its buffer, so the test checks nothing")
	}
}

// TestWatchLongPathUsesRuntimeFolder: a data file whose socket path would
// not fit in sun_path publishes in the runtime folder, and watch finds it
// there from the same --db.
func TestWatchLongPathUsesRuntimeFolder(t *testing.T) {
	runtime, err := os.MkdirTemp("", "lsr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(runtime)
	srv := startFake(t, fakelever.Config{Seed: 9, Opportunities: 2000, Latency: 50 * time.Millisecond, Rate: 10})
	env := keyEnv(t, fakelever.KeyFull)
	env = append(env, "XDG_RUNTIME_DIR="+runtime)
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-long-folder-name/", 5))
	db := filepath.Join(dir, "ls.db")
	if len(db+".sock") <= 100 {
		t.Fatalf("%s is short enough for a socket; the test checks nothing", db)
	}
	run := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	run.waitFirstPage(t)

	socks, _ := filepath.Glob(filepath.Join(runtime, "leversync-*.sock"))
	if len(socks) != 1 {
		t.Fatalf("sockets in the runtime folder: %v, want one", socks)
	}
	if fi, err := os.Lstat(socks[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket %v, %v: want 0600", fi, err)
	}
	if _, err := os.Lstat(db + ".sock"); !os.IsNotExist(err) {
		t.Errorf("a socket beside the long path: %v", err)
	}
	w := startWatch(t, env, "--db", db, "--json")

	code, events := run.wait(t)
	if code != 0 {
		t.Fatalf("sync exit %d: %s", code, run.stderr.String())
	}
	if code := w.wait(t); code != 0 {
		t.Fatalf("watch: exit %d: %s", code, w.stderr.String())
	}
	_, last, _ := watchedRun(t, w.stdout.Bytes())
	if sameProgress(t, last) != sameProgress(t, fold(events)) {
		t.Errorf("the watch of a long path ends at\n%s\nwant\n%s", sameProgress(t, last), sameProgress(t, fold(events)))
	}
}

// TestWatchAfterKilledSync: a sync killed with SIGKILL leaves its socket;
// watch says no sync is running (and shows the unfinished run) at once,
// and the next sync publishes in its place.
func TestWatchAfterKilledSync(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 10, Opportunities: 2000, Latency: 50 * time.Millisecond, Rate: 10})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	// A sync interrupted while watched: the watch exits 1.
	stopped := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	stopped.waitFirstPage(t)
	sw := attachedWatch(t, env, db)
	_ = stopped.cmd.Process.Signal(os.Interrupt)
	stopped.wait(t)
	if code := sw.wait(t); code != exitFailure {
		t.Errorf("watch of a sync interrupted: exit %d, want %d: %s", code, exitFailure, sw.stderr.String())
	}

	// A sync killed while watched: the watch exits 1 too.
	killed := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	killed.waitFirstPage(t)
	kw := attachedWatch(t, env, db)
	_ = killed.cmd.Process.Kill()
	killed.wait(t)
	if code := kw.wait(t); code != exitFailure {
		t.Errorf("watch of a sync killed: exit %d, want %d: %s", code, exitFailure, kw.stderr.String())
	}
	if fi, err := os.Lstat(db + ".sock"); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("the killed sync left no socket (%v, %v); the test checks nothing", fi, err)
	}

	res := runBin(t, env, "", "watch", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "No sync is running on "+db) || !strings.Contains(res.stdout, "Unfinished sync: started ") {
		t.Fatalf("watch after a killed sync: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}

	next := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	next.waitFirstPage(t)
	w := startWatch(t, env, "--db", db, "--json")
	if code, _ := next.wait(t); code != 0 {
		t.Fatalf("the sync after a killed one: exit %d: %s", code, next.stderr.String())
	}
	if code := w.wait(t); code != 0 {
		t.Fatalf("watch of the sync after a killed one: exit %d: %s", code, w.stderr.String())
	}
	if _, last, _ := watchedRun(t, w.stdout.Bytes()); last.Result() != syncer.ResultOK || last.Run.Totals[lever.Opportunities] != 2000 {
		t.Errorf("the watch of the next sync ended with %q, totals %v", last.Result(), last.Run.Totals)
	}
}

// TestWatchWithNoSync: with nothing running, watch says so, shows the
// last run, and exits 0; with --json its stdout stays empty.
func TestWatchWithNoSync(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 12, Opportunities: 300})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")

	res := runBin(t, env, "", "watch", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "No sync is running on "+db) || !strings.Contains(res.stdout, "no data file there yet") {
		t.Fatalf("watch with no data file: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync exit %d: %s", res.code, res.stderr)
	}
	res = runBin(t, env, "", "watch", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "No sync is running on "+db) || !strings.Contains(res.stdout, "Last sync: done, finished ") ||
		!strings.Contains(res.stdout, "opportunities 300") {
		t.Fatalf("watch after a sync: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	res = runBin(t, env, "", "watch", "--db", db, "--json")
	if res.code != 0 || res.stdout != "" || !strings.Contains(res.stderr, "No sync is running on ") {
		t.Fatalf("watch --json with no sync: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	if res := runBin(t, env, "", "watch", "--db", db, "extra"); res.code != exitUsage {
		t.Errorf("watch with an argument: exit %d, want %d", res.code, exitUsage)
	}
}
