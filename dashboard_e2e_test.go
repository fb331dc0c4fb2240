package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/progress"
)

// opportunitiesRow reads the dashboard's opportunities row: what the file
// holds and what this run stored; ok is false when it is not on screen.
var opportunitiesRow = regexp.MustCompile(`opportunities\s+\S+ (?:syncing|paused|done|waiting|stopped)\s+([0-9,—]+)\s+([0-9,—]+)`)

func number(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		return -1
	}
	return n
}

// storedThisRun is the opportunities row's "this run" count, -1 if none.
func storedThisRun(screen string) int {
	m := opportunitiesRow.FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	return number(m[2])
}

// requestsMade is the dashboard's count of requests, -1 if none shown.
func requestsMade(screen string) int {
	m := regexp.MustCompile(`· ([0-9,]+) requests?`).FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	return number(m[1])
}

// elapsed is the dashboard's elapsed time in seconds, -1 if none shown.
func elapsed(screen string) int {
	m := regexp.MustCompile(`(?:first sync|Paused) · (?:(\d+)m )?(\d+)s`).FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	return number(m[1])*60 + number(m[2])
}

// TestDashboardDemoPauseQuitResume drives the demo in a terminal: the
// first sync's counts rise on the dashboard; p pauses it (Lever gets no
// new requests while the clock runs on) and resumes it; q mid-sync asks
// and says the sync stops at a page boundary; a restart opens the Jobs page
// with the sync resumed in its header, finishing with the demo's jobs and
// candidates; a job opens on its candidates.
func TestDashboardDemoPauseQuitResume(t *testing.T) {
	t.Parallel()
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "demo.db")

	term := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	answerStepsOneToSeven(term)
	pasteKeyAndConnect(term, fakelever.KeyFull)
	term.waitFor("✓ Connected to Lever", "Press enter to start the sync.")
	term.press(keyEnter)

	// Counts rise page by page.
	first := 0
	term.waitUntil("candidates stored", func(s string) bool {
		first = storedThisRun(s)
		return first > 0 && first < 3000
	})
	term.waitUntil("more candidates stored", func(s string) bool {
		n := storedThisRun(s)
		return n > first && n < 3000
	})

	// p pauses: Lever gets no new request while the clock runs on.
	term.press("p")
	paused := term.waitFor("⏸ Paused", "p resume")
	since := elapsed(paused)
	// Requests already on their way when p was pressed (as many as the
	// rate limiter admits in a round trip, its burst included) land within
	// the demo's 40 ms round trip, and the dashboard counts them once the
	// events of their pages reach it, which on a busy machine can be after
	// the pause's clock has moved on. So: once the count has held for a
	// second of the pause, it holds for two more. Requests sent while
	// paused would keep it moving, and it would never settle.
	count, countSince := -1, -1
	settled := term.waitUntil("the request count holding for a second of the pause", func(s string) bool {
		if !strings.Contains(s, "⏸ Paused") {
			return false
		}
		if n := requestsMade(s); n != count {
			count, countSince = n, elapsed(s)
			return false
		}
		return elapsed(s) >= max(countSince, since)+1
	})
	later := term.waitUntil("two more seconds of the pause", func(s string) bool {
		return strings.Contains(s, "⏸ Paused") && elapsed(s) >= elapsed(settled)+2
	})
	if requestsMade(later) != requestsMade(settled) {
		t.Fatalf("requests went from %d to %d while paused:\n%s", requestsMade(settled), requestsMade(later), later)
	}
	stuck := storedThisRun(later)

	// p resumes: the counts rise again. Then pause once more, so the sync
	// cannot finish before it is quit.
	term.press("p")
	term.waitUntil("the sync going on after the pause", func(s string) bool {
		return !strings.Contains(s, "Paused") && storedThisRun(s) > stuck
	})
	term.press("p")
	term.waitFor("⏸ Paused")
	if *updateFrame {
		writeFrame(t, term, "readme-dashboard.txt", func(f string) bool {
			return strings.Contains(f, "Syncing from Lever") && strings.Contains(f, "last 5 s") && storedThisRun(f) > 0 && !strings.Contains(f, "Paused")
		})
	}

	// q mid-sync asks, and says what happens to the sync.
	term.press("q")
	dialog := term.waitFor("Quit leversync?")
	if !strings.Contains(flatten(strings.ReplaceAll(dialog, "│", " ")), "The sync stops after the page it is writing; the next run resumes where it stopped.") {
		t.Fatalf("the quit question does not say what happens to the sync:\n%s", dialog)
	}
	term.press("y")
	term.waitExit()
	interrupted := demoStatus(t, env, db).Unfinished
	if interrupted == nil {
		t.Fatal("after quitting mid-sync the file has no unfinished run to resume")
	}

	// The restart opens the Jobs page with the sync resumed in the header,
	// and the Jobs page follows it to the end.
	again := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	again.waitFor("leversync  ·  Jobs")
	again.waitUntil("the resumed sync in the header", func(s string) bool {
		return regexp.MustCompile(`Syncing · [0-9,]+ candidates so far`).MatchString(s)
	})
	assertNeverShown(t, again, stepHeader(1))
	again.waitFor("Up to date", "75 jobs")
	again.press(keyTab)
	dash := again.waitFor("Sync done")
	m := opportunitiesRow.FindStringSubmatch(dash)
	if m == nil || number(m[1]) != 3000 {
		t.Fatalf("the finished sync does not show the demo's 3,000 candidates in the file:\n%s", dash)
	}
	// The run that finished is the one quit midway, resumed.
	st := demoStatus(t, env, db)
	if st.Counts[lever.Opportunities] != 3000 || st.Counts[lever.Postings] != 75 || st.Unfinished != nil {
		t.Errorf("after the resumed sync the file holds %v, unfinished %v", st.Counts, st.Unfinished)
	}
	if st.LastRun == nil || st.LastRun.ID != interrupted.ID {
		t.Errorf("the finished run is %v, not the interrupted run %s resumed", st.LastRun, interrupted.ID)
	}
	again.press(keyTab)
	again.waitFor("75 jobs · sorted by title")

	// A job opens on its candidates.
	again.press(keyEnter)
	cands := again.waitFor("esc back to the jobs", "Candidate", "Stage", "Owner")
	listed := regexp.MustCompile(`([0-9,]+) candidates · esc back`).FindStringSubmatch(cands)
	if listed == nil || number(listed[1]) == 0 {
		t.Fatalf("the job shows no candidates:\n%s", cands)
	}
	if *updateFrame {
		again.press(keyEsc)
		jobs := again.waitFor("75 jobs · sorted by title", "Up to date")
		writeFrameText(t, "readme-jobs.txt", jobs)
	}
	again.quitIdle()
}

// demoStatus is leversync status --json of the demo's file.
func demoStatus(t *testing.T, env []string, db string) statusReport {
	t.Helper()
	r := runBin(t, env, "", "status", "--db", db, "--json")
	if r.code != 0 {
		t.Fatalf("status exited %d: %s", r.code, r.stderr)
	}
	var st statusReport
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// writeFrame saves the last recorded frame that ok accepts, for the
// README.
func writeFrame(t *testing.T, term *terminal, name string, ok func(string) bool) {
	t.Helper()
	var frame string
	for _, f := range term.allFrames() {
		if ok(f) {
			frame = f
		}
	}
	if frame == "" {
		t.Fatalf("no frame for %s was recorded", name)
	}
	writeFrameText(t, name, frame)
}

func writeFrameText(t *testing.T, name, frame string) {
	t.Helper()
	var lines []string
	for l := range strings.SplitSeq(frame, "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	path := filepath.Join("testdata", "e2e", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// phaseRow is a dashboard row's state and its two counts: what the file
// holds and what this run stored.
type phaseRow struct{ state, inFile, thisRun string }

var phaseLine = regexp.MustCompile(`^\s*([a-z]+(?: [a-z]+)?)\s+\S+ (waiting|syncing|paused|done|failed|stopped|skipped)\s+([0-9,—]+)\s+([0-9,—]+)\s`)

// phaseRows reads every phase row of a dashboard, by the phase's title.
func phaseRows(screen string) map[string]phaseRow {
	rows := map[string]phaseRow{}
	for line := range strings.SplitSeq(screen, "\n") {
		if m := phaseLine.FindStringSubmatch(line); m != nil {
			rows[m[1]] = phaseRow{m[2], m[3], m[4]}
		}
	}
	return rows
}

// TestWatchDashboardFollowsTheDemo: while the demo syncs in one terminal,
// leversync watch in a second shows the same dashboard, read-only (its p
// pauses nothing), joins mid-sync, and ends at the same counts as the
// demo's own dashboard and the file; then its Jobs page reads the freed
// file, and q leaves at once.
func TestWatchDashboardFollowsTheDemo(t *testing.T) {
	t.Parallel()
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "demo.db")

	demo := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	answerStepsOneToSeven(demo)
	pasteKeyAndConnect(demo, fakelever.KeyFull)
	demo.waitFor("✓ Connected to Lever", "Press enter to start the sync.")
	demo.press(keyEnter)
	demo.waitUntil("candidates stored", func(s string) bool {
		n := storedThisRun(s)
		return n > 0 && n < 3000
	})
	// Paused, the sync cannot end before the watcher has joined.
	demo.press("p")
	paused := storedThisRun(demo.waitFor("⏸ Paused"))

	watch := startTerminal(t, env, 100, 30, "watch", "--db", db)
	joined := watch.waitUntil("the watched sync mid-run", func(s string) bool {
		return strings.Contains(s, "leversync  ·  Watch") && strings.Contains(s, "Watching a sync run by another process") && storedThisRun(s) > 0
	})
	if n := storedThisRun(joined); n < paused-300 || n >= 3000 {
		t.Fatalf("the watcher joined at %d candidates; the demo paused at %d:\n%s", n, paused, joined)
	}
	// A watcher cannot pause the sync, and says so.
	watch.press("p")
	watch.waitFor("only the process running this sync can pause it")
	// Another leaves at once, saying the sync goes on.
	leaving := startTerminal(t, env, 100, 30, "watch", "--db", db)
	leaving.waitFor("q leave (the sync goes on)")
	leaving.quitIdle()
	// The pty may hand over the last bytes after the process exited.
	for deadline := time.Now().Add(screenWait); time.Now().Before(deadline) && !bytes.Contains(leaving.rawOutput(), []byte("Stopped watching; the sync goes on.")); {
		time.Sleep(20 * time.Millisecond)
	}
	if !bytes.Contains(leaving.rawOutput(), []byte("Stopped watching; the sync goes on.")) {
		t.Errorf("a watcher left without saying the sync goes on:\n%q", leaving.rawOutput())
	}

	demo.press("p")
	final := watch.waitUntil("the sync's end with the file's counts", func(s string) bool {
		return strings.Contains(s, "✓ Sync done") && phaseRows(s)["opportunities"].inFile == "3,000"
	})
	if *updateFrame {
		writeFrame(t, watch, "readme-watch.txt", func(f string) bool {
			n := storedThisRun(f)
			return strings.Contains(f, "Watching a sync") && strings.Contains(f, "last ") && n > paused && n < 3000
		})
	}
	demo.waitFor("Up to date", "75 jobs")
	demo.press(keyTab)
	own := demo.waitFor("Sync done")
	got, want := phaseRows(final), phaseRows(own)
	if len(want) != 9 || want["opportunities"].thisRun != "3,000" {
		t.Fatalf("the demo's dashboard rows: %v\n%s", want, own)
	}
	for phase, row := range want {
		if got[phase] != row {
			t.Errorf("%s: the watcher shows %+v, the demo's dashboard %+v", phase, got[phase], row)
		}
	}
	st := demoStatus(t, env, db)
	for r, n := range st.LastRun.Totals {
		if row := got[progress.PhaseName(string(r))]; row.thisRun != thousands(n) {
			t.Errorf("%s: the watcher shows %s stored this run; the run's total is %d", r, row.thisRun, n)
		}
	}

	// The file is free: the watcher's Jobs page reads it.
	watch.press(keyTab)
	watch.waitFor("75 jobs · sorted by title")
	watch.quitIdle()
	demo.quitIdle()
}

// TestWatchDashboardOfHeadlessSync: leversync watch in a terminal follows a
// headless leversync sync (as from cron) on its dashboard from mid-run to
// the sync's end, with the totals of its sync_done; q leaves at once.
func TestWatchDashboardOfHeadlessSync(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 3000, Latency: 100 * time.Millisecond, Rate: 10})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	run := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	run.waitFirstPage(t)

	watch := startTerminal(t, env, 100, 30, "watch", "--db", db)
	watch.waitFor("Watching a sync run by another process", "q leave (the sync goes on)")
	code, events := run.wait(t)
	if code != 0 {
		t.Fatalf("sync exit %d: %s", code, run.stderr.String())
	}
	done := lastDone(t, events)
	final := watch.waitUntil("the sync's end with the file's counts", func(s string) bool {
		return strings.Contains(s, "✓ Sync done") && phaseRows(s)["opportunities"].inFile == "3,000"
	})
	rows := phaseRows(final)
	for r, n := range done.Totals {
		if row := rows[progress.PhaseName(string(r))]; row.thisRun != thousands(n) || row.state != "done" {
			t.Errorf("%s: the watcher shows %+v; the sync's sync_done says %d", r, row, n)
		}
	}
	watch.quitIdle()
}

// TestLeversyncFollowsAnotherProcessSync: leversync started in a terminal
// while a headless sync holds the data file shows that sync live instead
// of failing or starting its own, then opens the Jobs page read from the
// file once the sync is done; q quits at once.
func TestLeversyncFollowsAnotherProcessSync(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 3000, Latency: 100 * time.Millisecond, Rate: 10})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	run := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	run.waitFirstPage(t)

	term := startTerminal(t, env, 100, 30, "--db", db)
	term.waitFor("leversync  ·  Watch", "Watching a sync run by another process")
	code, events := run.wait(t)
	if code != 0 {
		t.Fatalf("sync exit %d: %s", code, run.stderr.String())
	}
	jobs := thousands(lastDone(t, events).Totals[lever.Postings])
	term.waitFor("leversync  ·  Jobs", "Up to date", jobs+" jobs · sorted by title")
	for _, f := range term.allFrames() {
		if strings.Contains(f, stepHeader(1)) || strings.Contains(f, "could not start") || strings.Contains(f, "in use") {
			t.Fatalf("leversync did not follow the other process's sync:\n%s", f)
		}
	}
	term.quitIdle()
}
