package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
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
	atPause, since := requestsMade(paused), elapsed(paused)
	later := term.waitUntil("two more seconds of the pause", func(s string) bool {
		return strings.Contains(s, "⏸ Paused") && elapsed(s) >= since+2
	})
	// Requests already on their way when p was pressed may still land.
	if requestsMade(later) > atPause+6 {
		t.Fatalf("requests went from %d to %d while paused:\n%s", atPause, requestsMade(later), later)
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
