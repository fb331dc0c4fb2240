package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
)

// TestWizardPutsANewAccountInANewProfile: on a machine whose default
// profile holds an account, the wizard asks which profile the new account
// goes in; a new name gets its own key, settings and data file, the
// default profile keeps its own, and the Jobs page names the profile, and
// shows the default profile's jobs read-only through ctrl+o.
func TestWizardPutsANewAccountInANewProfile(t *testing.T) {
	t.Parallel()
	first := startFake(t, fakelever.Config{Seed: 1, Opportunities: 120, Postings: 12})
	second := startFake(t, fakelever.Config{Seed: 2, Opportunities: 80, Postings: 15})
	env := isolatedEnv(t)
	config := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "leversync")

	// The default profile holds the first account: its key and a sync.
	if r := runBin(t, env, fakelever.KeyFull, "login", "--base-url", first.URL(), "--key-stdin"); r.code != 0 {
		t.Fatalf("login exited %d: %s", r.code, r.stderr)
	}
	if r := runBin(t, env, "", append([]string{"sync"}, fastSync...)...); r.code != 0 {
		t.Fatalf("sync exited %d: %s", r.code, r.stderr)
	}

	// Wide enough that the saved key's path fits on one line.
	term := startTerminal(t, env, 200, 40, "setup", "--base-url", second.URL())
	term.waitFor("leversync  ·  Profile", "Profile default already holds a Lever account", "> default")
	term.press(keyCtrlU)
	term.paste("client a")
	term.press(keyEnter)
	term.waitFor(`profile "client a": a profile name is 1 to 32 letters, digits, '-' or '_'`)
	term.press(keyCtrlU)
	term.paste("Client-A")
	term.press(keyEnter)
	answerStepsOneToSeven(term)
	pasteKeyAndConnect(term, fakelever.KeyFull)
	term.waitFor("✓ Connected to Lever", filepath.Join(config, "profiles", "client-a", "credentials.json"))
	term.press(keyEnter)
	term.waitFor("leversync  ·  Jobs  ·  profile client-a", "Up to date", "15 jobs")
	// The default profile's jobs, read-only.
	term.press("\x0f") // ctrl+o
	term.waitFor("Profiles · enter shows one's jobs", "in use, shown")
	term.press("\x1b[A", keyEnter)
	term.waitFor("profile default (read-only)", "12 jobs")
	term.quitIdle()

	var reports []struct {
		Name        string                 `json:"name"`
		BaseURL     string                 `json:"baseUrl"`
		Environment lever.Environment      `json:"environment"`
		Counts      map[lever.Resource]int `json:"counts"`
	}
	r := runBin(t, env, "", "profiles", "--json")
	if r.code != 0 {
		t.Fatalf("profiles exited %d: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	got := map[string]int{}
	for _, p := range reports {
		got[p.Name] = p.Counts[lever.Postings]
		switch {
		case p.Name == "default" && p.BaseURL != first.URL(), p.Name == "client-a" && p.BaseURL != second.URL():
			t.Errorf("profile %s syncs from %s", p.Name, p.BaseURL)
		}
	}
	if len(got) != 2 || got["default"] != 12 || got["client-a"] != 15 {
		t.Fatalf("profiles hold %v postings, want default 12 and client-a 15:\n%s", got, r.stdout)
	}
	// Each profile's saved key reaches its own Lever with no flags.
	for _, args := range [][]string{{"sync"}, {"sync", "--profile", "client-a"}} {
		if r := runBin(t, env, "", append(args, fastSync...)...); r.code != 0 {
			t.Errorf("%v exited %d: %s", args, r.code, r.stderr)
		}
	}
}

// TestScheduledSyncsOnTheDashboard: `sync --every` in a terminal shows each
// run on the dashboard and, between runs, when the next one starts; a change
// in Lever arrives with the next run; q between runs stops the schedule
// (exit 0, its state file gone), and SIGTERM stops it with 143.
func TestScheduledSyncsOnTheDashboard(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakelever.Config{Seed: 3, Opportunities: 200, Postings: 12})
	env := isolatedEnv(t, "LEVER_API_KEY="+fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	args := append([]string{"sync", "--base-url", srv.URL(), "--db", db, "--every", "3s", "--min-every", "100ms"}, fastSync...)

	term := startTerminal(t, env, 120, 40, args...)
	term.waitFor("leversync  ·  Sync", "✓ Sync done", "Next sync at ", "(every 3s). q stops the schedule.")
	if _, err := os.Stat(db + ".schedule"); err != nil {
		t.Fatalf("no schedule runs on the file: %v", err)
	}
	srv.DeleteOpportunities(2)
	term.waitFor("2 deleted in Lever", "✓ Sync done", "Next sync at ")
	term.quitIdle()
	if _, err := os.Stat(db + ".schedule"); !os.IsNotExist(err) {
		t.Errorf("leaving the dashboard left the schedule's state file: %v", err)
	}

	again := startTerminal(t, env, 120, 40, args...)
	again.waitFor("✓ Sync done", "Next sync at ")
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-again.exited:
	case <-time.After(screenWait):
		t.Fatalf("SIGTERM did not stop the schedule; screen:\n%s", again.screen())
	}
	if code := again.cmd.ProcessState.ExitCode(); code != exitSIGTERM {
		t.Fatalf("SIGTERM between runs: exit %d, want %d", code, exitSIGTERM)
	}
}
