package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
)

func runLines(t *testing.T, cfg Config, initial steps.State, input string) string {
	t.Helper()
	var out bytes.Buffer
	cfg.In, cfg.Out = strings.NewReader(input), &out
	err := runAccessible(context.Background(), cfg, initial, newLinePrompter(context.Background(), cfg.In, cfg.Out))
	if err != nil {
		t.Fatalf("accessible run: %v\n%s", err, out.String())
	}
	return out.String()
}

func TestAccessibleWholeFlow(t *testing.T) {
	f := newFake(t)
	f.sync = recorded(t, "warnings")
	// Enter takes every default; the checklist needs ten Enters; then the key.
	input := "\n\n" + // admin, super admin
		"\n" + // organization
		"lev\n\n" + // search, choose
		"\n" + // auth method
		"\n" + // data
		"\n\n" + // access, confidential
		strings.Repeat("\n", 10) +
		"  " + secretKey + "  \n"
	out := runLines(t, Config{Services: f}, steps.NewState(), input)
	for _, want := range []string{
		"Step 1 of 10: Before you start",
		"if you see Integrations and API on the left, you have them",
		"Step 3 of 10: Connect ATS account",
		"Use my credentials (planned, not available yet)",
		"Step 7 of 10: Create the key in Lever",
		`6 of 10: Name it "leversync"`,
		"find all opportunities: granted",
		"create an opportunity: looks granted",
		"Key saved in the system keyring",
		"Step 10 of 10: Sync",
		"Syncing archive reasons…",
		"archive reasons: 8 records.",
		"opportunities: 1,140 records.",
		"Retrying: HTTP 429 on /opportunities, attempt 1, waited 1s.",
		"Warning: the key has no access to confidential data; confidential jobs and candidates are left out",
		"deletions: 2 records.",
		"Sync done: synced, with warnings.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, secretKey) {
		t.Error("the key was printed")
	}
	if len(f.keys) != 1 || f.keys[0].Reveal() != secretKey {
		t.Error("connect did not get the trimmed key")
	}
	last, _ := f.lastSaved()
	if !last.Completed {
		t.Errorf("not saved as complete: %+v", last)
	}
}

// An incremental sync's kept reference lists are said, with their age.
func TestAccessibleSaysKeptLists(t *testing.T) {
	f := newFake(t)
	f.sync = recorded(t, "changes")
	input := "\n\n\n" + "lev\n\n" + "\n\n\n\n" + strings.Repeat("\n", 10) + secretKey + "\n"
	out := runLines(t, Config{Services: f}, steps.NewState(), input)
	for _, want := range []string{
		"users: kept, read under 1 min ago; read again at 1 h, or for a new entry.",
		"requisitions: kept, read under 1 min ago; read again at 1 h, or for a new entry.",
		"opportunities: 5 records.",
		"Sync done: everything synced.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAccessibleRefusalsBackAndQuit(t *testing.T) {
	f := &fakeServices{}
	input := "2\n1\n" + // not an admin: refused
		"n\n" + // no hand-off note
		"1\n1\n" + // admin, super admin
		"2\n" + // HRIS: refused, Recruiting now the default
		"\n" + // Recruiting
		"b\n" + // back from the provider step
		"q\n" // quit on the organization step
	out := runLines(t, Config{Services: f}, steps.NewState(), input)
	for _, want := range []string{
		"Not yet: leversync needs Lever administrator rights",
		"does not connect an applicant tracking system",
		"Quitting. Your progress is saved",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	last, _ := f.lastSaved()
	if last.Step != steps.StepOrganization {
		t.Errorf("saved at %s, want organization after going back", last.Step)
	}
}

func TestAccessibleMissingPermissions(t *testing.T) {
	f := &fakeServices{report: func(s steps.State, _ lever.APIKey) steps.ConnectReport {
		r := grantedReport(s)
		for i := range r.Checks {
			if r.Checks[i].Name == "find all tags" || r.Checks[i].Name == "find all requisitions" {
				r.Checks[i].Status = steps.Missing
			}
		}
		return r
	}}
	out := runLines(t, Config{Services: f}, stateAt(steps.StepPasteKey), secretKey+"\nq\n")
	if !strings.Contains(out, `Problem: the key lacks 2 permissions: "find all tags" and "find all requisitions"`) ||
		!strings.Contains(out, "Fix: permissions cannot be edited after a key is created: generate a new key with them") {
		t.Errorf("missing permissions not explained:\n%s", out)
	}
	if !strings.Contains(out, "Step 7 of 10") {
		t.Error("not routed back to creating the key")
	}
}

func TestAccessibleDemoKey(t *testing.T) {
	f := newFake(t)
	out := runLines(t, demo(f), stateAt(steps.StepPasteKey), "\n")
	if !strings.Contains(out, demoKey) || !strings.Contains(out, "Sync done") {
		t.Errorf("demo key not offered or flow not finished:\n%s", out)
	}
	if f.keys[0].Reveal() != demoKey {
		t.Error("Enter did not take the demo key")
	}
}

func TestAccessibleInputEnds(t *testing.T) {
	var out bytes.Buffer
	in := strings.NewReader("\n")
	err := runAccessible(context.Background(), Config{Services: &fakeServices{}, In: in, Out: &out}, steps.NewState(), newLinePrompter(context.Background(), in, &out))
	if err == nil || !strings.Contains(err.Error(), "input ended") {
		t.Fatalf("err = %v", err)
	}
}

// A failed check of the key is followed, as in the wizard, by the
// doctor's checks that fail, the matching one first, with evidence and fix.
func TestAccessibleDiagnosesAFailedKey(t *testing.T) {
	for _, c := range []struct {
		name, key string
		want      []string
	}{
		{"rejected", secretKey, []string{
			"Diagnosis: Key accepted fails: Lever Production rejected the key (401)",
			"  Fix: ",
		}},
		{"missing two permissions", fakelever.KeyMissingTwo, []string{
			"Diagnosis: Permissions fails: ",
			"  find all requisitions (read): missing (403)",
		}},
	} {
		svc, _, _ := servicesOn(t, smallLever, false)
		var out bytes.Buffer
		in := strings.NewReader(c.key + "\n")
		cfg := Config{Services: svc, In: in, Out: &out}
		// The input ends at the next question: the run's error says so.
		_ = runAccessible(context.Background(), cfg, stateAt(steps.StepPasteKey), newLinePrompter(context.Background(), in, &out))
		got := out.String()
		for _, want := range c.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, want, got)
			}
		}
		if strings.Index(got, "Diagnosis:") < strings.Index(got, "Checking the key") {
			t.Errorf("%s: no diagnosis after the check:\n%s", c.name, got)
		}
	}
}

// The accessible mode asks for the profile as the wizard does, when the
// current one holds an account already.
func TestAccessibleAsksForTheProfile(t *testing.T) {
	run := func(cfg Config, input string) string {
		var out bytes.Buffer
		in := strings.NewReader(input)
		cfg.In, cfg.Out = in, &out
		// The input ends at a later question: the run's error says so.
		_ = runAccessible(context.Background(), cfg, steps.NewState(), newLinePrompter(context.Background(), in, &out))
		return out.String()
	}
	t.Run("a new profile", func(t *testing.T) {
		h := &profileHooks{setup: map[string]*fakeServices{"client-a": {}}}
		old := &fakeServices{}
		out := run(Config{Services: old, Profiles: h.profiles(t, "default", true)}, "Client-A\n\n\n")
		if !strings.Contains(out, "Which profile is this Lever account for?") {
			t.Fatalf("no profile question:\n%s", out)
		}
		if !slices.Equal(h.setUp, []string{"client-a"}) {
			t.Fatalf("set up %v, want client-a", h.setUp)
		}
		assertSavedIn(t, h, "client-a", old)
	})
	t.Run("the current profile", func(t *testing.T) {
		h := &profileHooks{setup: map[string]*fakeServices{}}
		old := &fakeServices{}
		run(Config{Services: old, Profiles: h.profiles(t, "default", true)}, "\n\n\n")
		if s, ok := old.lastSaved(); !ok || s.Step != steps.StepOrganization || len(h.setUp) != 0 {
			t.Fatalf("default's progress: %+v, %v; set up %v", s, ok, h.setUp)
		}
	})
	t.Run("names refused, then the current one", func(t *testing.T) {
		h := &profileHooks{setup: map[string]*fakeServices{}}
		out := run(Config{Services: &fakeServices{}, Profiles: h.profiles(t, "default", true)}, "no/slash\nother\n\n")
		for _, want := range []string{"Not a profile name: ", "Profile other cannot be set up: no services for other."} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Count(out, "Which profile is this Lever account for?") != 3 {
			t.Errorf("the question was not asked three times:\n%s", out)
		}
	})
	t.Run("not asked on a new profile", func(t *testing.T) {
		h := &profileHooks{}
		if out := run(Config{Services: &fakeServices{}, Profiles: h.profiles(t, "default", false)}, "\n"); strings.Contains(out, "Which profile") {
			t.Fatalf("asked for the profile of an empty one:\n%s", out)
		}
	})
}

// readSpy counts the reads made of it.
type readSpy struct{ reads atomic.Int32 }

func (r *readSpy) Read([]byte) (int, error) {
	r.reads.Add(1)
	return 0, io.EOF
}

// TestPromptAfterASignalReadsNothing: once the context is done, a question
// returns its error without starting a read, which would outlive the wait
// (and, for a key, turn echo off after the prompt turned it back on).
func TestPromptAfterASignalReadsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := &readSpy{}
	p := newLinePrompter(ctx, in, io.Discard)
	if _, err := p.Input("Name?", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Input after the context ended = %v, want context.Canceled", err)
	}
	if _, err := p.Secret("Key?", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Secret after the context ended = %v, want context.Canceled", err)
	}
	time.Sleep(50 * time.Millisecond) // a read started in the background would have run by now
	if n := in.reads.Load(); n != 0 {
		t.Errorf("%d reads started after the context ended", n)
	}
}

// TestConfirm: only "yes" (any case, spaces around it) confirms; other
// answers and input that ends say no; a context already ended asks and
// reads nothing.
func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{"yes\n": true, " YES \n": true, "yes": true, "y\n": false, "no\n": false, "": false} {
		var out bytes.Buffer
		got, err := Confirm(context.Background(), strings.NewReader(in), &out, "Delete it? Type yes to confirm: ")
		if err != nil || got != want {
			t.Errorf("Confirm with %q = %v, %v; want %v", in, got, err, want)
		}
		if out.String() != "Delete it? Type yes to confirm: " {
			t.Errorf("Confirm with %q printed %q", in, out.String())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := &readSpy{}
	var out bytes.Buffer
	if got, err := Confirm(ctx, in, &out, "Delete it? "); got || !errors.Is(err, context.Canceled) {
		t.Errorf("Confirm after the context ended = %v, %v; want false, context.Canceled", got, err)
	}
	time.Sleep(50 * time.Millisecond) // a read started in the background would have run by now
	if n := in.reads.Load(); n != 0 || out.Len() != 0 {
		t.Errorf("after the context ended: %d reads, printed %q", n, out.String())
	}
}
