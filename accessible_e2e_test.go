package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leversync/leversync/lever/fakelever"
)

// TestAccessibleWizardFromPipedAnswers runs the whole wizard in plain
// prompts with every answer piped on stdin, no terminal anywhere, through
// to the end of the first sync; then, set up, the same command syncs again
// without a question.
func TestAccessibleWizardFromPipedAnswers(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakelever.Config{Opportunities: 60})
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "leversync.db")
	answers := strings.Join([]string{
		"1", "1", // administrator, Super Admin
		"1",          // Recruiting
		"lever", "1", // search the provider, choose Lever
		"1",      // API key
		"1",      // Production
		"1", "y", // Select All, confidential data
		"", "", "", "", "", "", "", "", "", "", // the ten clicks in Lever
		fakelever.KeyFull,
	}, "\n") + "\n"
	res := runBin(t, env, answers, "--accessible", "--base-url", srv.URL(), "--db", db)
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"Step 6 of 10", "Step 9 of 10", "Connected to Lever Production.", "Step 10 of 10", "Sync done: everything synced."} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, res.stdout)
		}
	}
	assertNoKey(t, fakelever.KeyFull, "the accessible output", []byte(res.stdout), []byte(res.stderr))
	st := runBin(t, env, "", "status", "--db", db)
	if st.code != 0 || !strings.Contains(st.stdout, "opportunities") {
		t.Fatalf("status after the accessible wizard: exit %d: %s %s", st.code, st.stdout, st.stderr)
	}
}

// TestPromptsEndAtOnceOnASignal: a Ctrl-C or SIGTERM while a plain prompt
// waits for an answer ends the command with 130 or 143 at once, and what
// the prompt guarded is left as it was. Before, one signal did nothing
// until Enter was pressed, and the command then went on.
func TestPromptsEndAtOnceOnASignal(t *testing.T) {
	srv := startFake(t, fakelever.Config{Opportunities: 30})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		prompt string
		sig    syscall.Signal
		want   int
	}{
		{"reset", []string{"reset", "--db", db}, "Type yes to confirm", syscall.SIGINT, exitSIGINT},
		{"profiles remove", []string{"profiles", "remove", "work"}, "Type yes to confirm", syscall.SIGTERM, exitSIGTERM},
		{"the accessible wizard", []string{"--accessible", "--base-url", srv.URL(), "--db", db}, "press Enter", syscall.SIGTERM, exitSIGTERM},
	} {
		if tc.name == "profiles remove" {
			if res := runBin(t, env, "", "--profile", "work", "sync", "--base-url", srv.URL()); res.code != 0 {
				t.Fatalf("sync of profile work: exit %d: %s", res.code, res.stderr)
			}
		}
		term := startTerminal(t, env, 100, 30, tc.args...)
		term.waitFor(tc.prompt)
		if err := term.cmd.Process.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-term.exited:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still waiting 10 s after %v at its prompt; output:\n%q", tc.name, tc.sig, term.rawOutput())
		}
		if code := term.cmd.ProcessState.ExitCode(); code != tc.want {
			t.Errorf("%s: exit %d after %v at its prompt, want %d", tc.name, code, tc.sig, tc.want)
		}
		// Only a sync or the wizard has a next run that resumes.
		if out := string(term.rawOutput()); tc.name != "the accessible wizard" && strings.Contains(out, "next run resumes") {
			t.Errorf("%s stopped at its prompt speaks of a next run: %q", tc.name, out)
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("reset stopped at its prompt deleted the file: %v", err)
	}
	if res := runBin(t, env, "", "--profile", "work", "status"); res.code != 0 || !strings.Contains(res.stdout, "opportunities") {
		t.Errorf("profiles remove stopped at its prompt removed the profile: exit %d: %s", res.code, res.stdout)
	}
}

// TestStoppedWizardSaysItResumes: every command that runs the wizard or a
// sync (setup included) says, once stopped, that the next run resumes;
// the others only that they stopped.
func TestStoppedWizardSaysItResumes(t *testing.T) {
	home := t.TempDir()
	getenv := func(k string) string {
		return map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_DATA_HOME": filepath.Join(home, "data")}[k]
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as a signal would
	for _, tc := range []struct {
		args    []string
		resumes bool
	}{
		{[]string{"--accessible"}, true},
		{[]string{"setup", "--accessible"}, true},
		{[]string{"doctor", "--base-url", "http://127.0.0.1:1/v1"}, false},
	} {
		var out, errb bytes.Buffer
		run(ctx, tc.args, strings.NewReader("1\n"), &out, &errb, getenv)
		if got := strings.Contains(errb.String(), "next run resumes"); got != tc.resumes || !strings.Contains(errb.String(), "stopped") {
			t.Errorf("%v stopped: %q, want the next run named: %v", tc.args, errb.String(), tc.resumes)
		}
	}
}
