package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
)

// scheduleLine is one line of `sync --every --json`: an event of the
// engine, or next_run.
type scheduleLine struct {
	syncer.Event
	NextRunAt int64 `json:"nextRunAt"`
	EveryMs   int64 `json:"everyMs"`
	Failures  int   `json:"failures"`
}

// schedule is a running `leversync sync --every --json`.
type schedule struct {
	cmd    *exec.Cmd
	lines  chan scheduleLine
	stderr *syncBuffer
}

func startSchedule(t *testing.T, env []string, args ...string) *schedule {
	t.Helper()
	s := &schedule{lines: make(chan scheduleLine, 4096), stderr: &syncBuffer{}}
	s.cmd = exec.Command(binPath, append([]string{"sync", "--json"}, args...)...)
	s.cmd.Env = env
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l scheduleLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Type == "" {
				l = scheduleLine{Event: syncer.Event{Type: "not-json", Message: sc.Text()}}
			}
			s.lines <- l
		}
	}()
	return s
}

// next returns the next line of the given type, failing on a line that is
// not an event, or when none comes within a minute.
func (s *schedule) next(t *testing.T, typ syncer.EventType) scheduleLine {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("the schedule ended while waiting for %s: %s", typ, s.stderr.String())
			}
			if l.Type == "not-json" {
				t.Fatalf("sync --every --json printed a line that is not an event: %q", l.Message)
			}
			if l.Type == typ {
				return l
			}
		case <-timeout:
			t.Fatalf("no %s within a minute: %s", typ, s.stderr.String())
		}
	}
}

// exitCode waits for the schedule's end.
func (s *schedule) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		for range s.lines {
		}
		done <- s.cmd.Wait()
	}()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(within):
		t.Fatalf("the schedule did not end within %v: %s", within, s.stderr.String())
	}
	return -1
}

// exportOf is export's output of one resource, retried while a run holds
// the file.
func exportOf(t *testing.T, env []string, db string, r lever.Resource) string {
	t.Helper()
	for range 5 {
		res := runBin(t, env, "", "export", "--db", db, "--resource", string(r))
		if res.code == 0 {
			return res.stdout
		}
		if res.code != exitStore {
			t.Fatalf("export %s: exit %d: %s", r, res.code, res.stderr)
		}
	}
	t.Fatalf("export %s: the file stayed in use", r)
	return ""
}

// TestScheduledSyncs: `sync --every` stopped by SIGTERM during its first
// run exits 143, and the next schedule's first run resumes that run; then
// each change made in Lever between runs arrives in the file, status and
// watch say when the next run is due between runs, and SIGTERM between runs
// ends the schedule with 143 and its state file gone.
func TestScheduledSyncs(t *testing.T) {
	// 3,000 candidates at 5 requests/s: the first run takes seconds, long
	// enough to be stopped mid-way.
	srv := startFake(t, fakelever.Config{Seed: 7, Opportunities: 3000, Latency: 20 * time.Millisecond})
	env := isolatedEnv(t, "LEVER_API_KEY="+fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")

	first := startSchedule(t, env, "--base-url", srv.URL(), "--db", db, "--every", "1m", "--rate", "5", "--burst", "1")
	started := first.next(t, syncer.EventSyncStarted)
	first.next(t, syncer.EventPageStored)
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := first.next(t, syncer.EventSyncDone)
	if done.Run == nil || done.Run.Result != syncer.ResultInterrupted {
		t.Fatalf("the stopped run ended %+v, want interrupted", done.Run)
	}
	if code := first.exitCode(t, 30*time.Second); code != exitSIGTERM {
		t.Fatalf("SIGTERM during a run: exit %d, want %d: %s", code, exitSIGTERM, first.stderr.String())
	}
	if _, err := os.Stat(db + ".schedule"); !os.IsNotExist(err) {
		t.Errorf("the stopped schedule left its state file: %v", err)
	}

	const every = 1500 * time.Millisecond
	s := startSchedule(t, env, "--base-url", srv.URL(), "--db", db, "--every", every.String(), "--min-every", "100ms", "--rate", "-1", "--backoff", "5ms")
	resumed := s.next(t, syncer.EventSyncStarted)
	if resumed.Run == nil || resumed.Run.ID != started.Run.ID || resumed.Run.UpdatedSince != 0 {
		t.Fatalf("the next schedule's first run is %+v; want the stopped run %s resumed", resumed.Run, started.Run.ID)
	}
	if d := s.next(t, syncer.EventSyncDone); d.Run.Result != syncer.ResultOK {
		t.Fatalf("the resumed run ended %s: %s", d.Run.Result, d.Run.Error)
	}
	next := s.next(t, eventNextRun)
	if next.EveryMs != every.Milliseconds() || next.Failures != 0 || next.NextRunAt <= next.Time || next.NextRunAt > next.Time+every.Milliseconds() {
		t.Errorf("next_run = %+v", next)
	}
	if got := exportOf(t, env, db, lever.Opportunities); got != expectedExport(srv, lever.Opportunities) {
		t.Fatalf("after the resumed run, the file holds %d candidates, want %d", strings.Count(got, "\n"), len(srv.Expected("opportunities")))
	}

	// Lever changes between runs; the change arrives with the next run that
	// starts after it.
	for round, change := range []func() []string{
		func() []string { return srv.UpdateOpportunities(5) },
		func() []string { return append(srv.DeleteOpportunities(3), srv.UpdateOpportunities(2)...) },
	} {
		changedAt := time.Now().UnixMilli()
		ids := change()
		for {
			st := s.next(t, syncer.EventSyncStarted)
			if st.Run.UpdatedSince == 0 {
				t.Fatalf("round %d: a scheduled run after the first read everything again", round+1)
			}
			d := s.next(t, syncer.EventSyncDone)
			if d.Run.Result != syncer.ResultOK {
				t.Fatalf("round %d: a scheduled run ended %s: %s", round+1, d.Run.Result, d.Run.Error)
			}
			if st.Run.StartedAt > changedAt {
				break
			}
		}
		got := exportOf(t, env, db, lever.Opportunities)
		if want := expectedExport(srv, lever.Opportunities); got != want {
			t.Fatalf("round %d: the change to %v did not arrive in the file (%d candidates stored, %d in Lever)", round+1, ids, strings.Count(got, "\n"), strings.Count(want, "\n"))
		}
	}

	// Between runs: the file is closed, status and watch say when the next
	// run is due.
	var between scheduleLine
	for tries := 0; ; tries++ {
		between = s.next(t, eventNextRun)
		if time.Until(time.UnixMilli(between.NextRunAt)) > 900*time.Millisecond {
			break
		}
		if tries == 20 {
			t.Fatal("20 runs in a row left under 0.9 s before the next: the machine is too busy for this test")
		}
	}
	res := runBin(t, env, "", "status", "--db", db, "--json")
	var rep statusReport
	if res.code != 0 || json.Unmarshal([]byte(res.stdout), &rep) != nil || rep.Schedule == nil {
		t.Fatalf("status between runs: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	if rep.Schedule.PID != s.cmd.Process.Pid || rep.Schedule.EveryMs != every.Milliseconds() {
		t.Errorf("status --json schedule = %+v, want pid %d", rep.Schedule, s.cmd.Process.Pid)
	}
	if time.Until(time.UnixMilli(between.NextRunAt)) > 300*time.Millisecond {
		w := runBin(t, env, "", "watch", "--db", db)
		if w.code != 0 || !strings.Contains(w.stdout, "No sync is running") || !strings.Contains(w.stdout, "Scheduled: a sync every 1.5s") || !strings.Contains(w.stdout, "next run at") {
			t.Errorf("watch between runs: exit %d:\n%s%s", w.code, w.stdout, w.stderr)
		}
	} else {
		t.Log("the machine is too slow to watch between runs this time")
	}
	// A second schedule of the same file is refused, and so is reset.
	if res := runBin(t, env, "", "sync", "--base-url", srv.URL(), "--db", db, "--every", "1m"); res.code != exitStore || !strings.Contains(res.stderr, "already runs") {
		t.Errorf("a second schedule of the file: exit %d, want %d: %s", res.code, exitStore, res.stderr)
	}
	if res := runBin(t, env, "", "reset", "--yes", "--db", db); res.code != exitStore || !strings.Contains(res.stderr, "already runs") || !strings.Contains(res.stderr, "nothing was deleted") {
		t.Errorf("reset under a schedule: exit %d, want %d: %s", res.code, exitStore, res.stderr)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("reset under a schedule deleted the data file: %v", err)
	}

	s.next(t, eventNextRun)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.exitCode(t, 30*time.Second); code != exitSIGTERM {
		t.Fatalf("SIGTERM between runs: exit %d, want %d: %s", code, exitSIGTERM, s.stderr.String())
	}
	if _, err := os.Stat(db + ".schedule"); !os.IsNotExist(err) {
		t.Errorf("the stopped schedule left its state file: %v", err)
	}
	assertNoKey(t, fakelever.KeyFull, "the schedule's output", []byte(s.stderr.String()), []byte(first.stderr.String()))
}

// TestScheduleBacksOffThenEndsOnARevokedKey: a run that fails because
// Lever is down does not end the schedule: it is retried sooner, with the
// failures counted, and status reports them; a success clears them; a
// revoked key ends the schedule with exit 3.
func TestScheduleBacksOffThenEndsOnARevokedKey(t *testing.T) {
	srv := startLoggedFake(t, fakelever.Config{Seed: 8, Opportunities: 50})
	env := isolatedEnv(t, "LEVER_API_KEY="+fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	srv.down.Store(true)
	s := startSchedule(t, env, "--base-url", srv.url, "--db", db, "--every", "400ms", "--min-every", "100ms", "--rate", "-1", "--backoff", "1ms", "--retries", "-1")

	var waits []scheduleLine
	for len(waits) < 2 {
		l := s.next(t, eventNextRun)
		waits = append(waits, l)
	}
	for i, w := range waits {
		if w.Failures != i+1 || !strings.Contains(w.Message, "503") {
			t.Errorf("wait %d after Lever went down: %+v", i+1, w)
		}
	}
	// The first retry comes after the interval (it is under a minute), the
	// second after twice that.
	if d := waits[1].NextRunAt - waits[1].Time; d < 500 || d > 800 {
		t.Errorf("the second retry is %d ms away, want 800", d)
	}
	res := runBin(t, env, "", "status", "--db", db)
	if !strings.Contains(res.stdout, "Scheduled: a sync every 400ms") || !strings.Contains(res.stdout, "runs failed") || !strings.Contains(res.stdout, "503") {
		t.Errorf("status while the schedule fails: exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}

	srv.down.Store(false)
	for {
		l := s.next(t, eventNextRun)
		if l.Failures == 0 {
			break
		}
	}
	if got := exportOf(t, env, db, lever.Opportunities); got != expectedExport(srv.Server, lever.Opportunities) {
		t.Error("the run after Lever came back did not complete the file")
	}

	srv.revoked.Store(true)
	if code := s.exitCode(t, 30*time.Second); code != exitNoKey {
		t.Fatalf("a revoked key: exit %d, want %d: %s", code, exitNoKey, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), "401") && !strings.Contains(strings.ToLower(s.stderr.String()), "rejected") {
		t.Errorf("the schedule's end does not say the key was rejected: %s", s.stderr.String())
	}
	if _, err := os.Stat(db + ".schedule"); !os.IsNotExist(err) {
		t.Errorf("the ended schedule left its state file: %v", err)
	}
	if keys := srv.keysSeen(); !slices.Equal(keys, []string{fakelever.KeyFull}) {
		t.Errorf("the fake saw %d keys", len(keys))
	}
}

// TestEveryUsage: intervals under a minute, negative ones, and --full with
// --every are usage errors that start nothing.
func TestEveryUsage(t *testing.T) {
	env := isolatedEnv(t, "LEVER_API_KEY="+fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	for _, args := range [][]string{
		{"--every", "30s"},
		{"--every", "-1h"},
		{"--every", "1h", "--full"},
		{"--every", "soon"},
	} {
		res := runBin(t, env, "", append([]string{"sync", "--base-url", "http://127.0.0.1:9/v1", "--db", db}, args...)...)
		if res.code != exitUsage {
			t.Errorf("sync %v: exit %d, want %d: %s", args, res.code, exitUsage, res.stderr)
		}
		if bytes.Contains([]byte(res.stderr), []byte("Syncing")) {
			t.Errorf("sync %v started: %s", args, res.stderr)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Error("a refused schedule created the data file")
	}
}
