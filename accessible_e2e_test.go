package main

import (
	"path/filepath"
	"strings"
	"testing"

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
