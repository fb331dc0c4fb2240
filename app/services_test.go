package app

import (
	"context"
	"errors"
	"github.com/leversync/leversync/steps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
)

func at(step steps.StepID) steps.State {
	s := steps.NewState()
	s.Step = step
	return s
}

func allTicked(s steps.State) steps.State {
	for _, it := range steps.CreateKeyChecklist(s) {
		if !s.Ticked(it.ID) {
			s = steps.ToggleTick(s, it.ID)
		}
	}
	return s
}

func startFake(t *testing.T) *fakelever.Server {
	t.Helper()
	s, err := fakelever.Start(fakelever.Config{Opportunities: 30, Postings: 5, Users: 4, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func fakeServices(t *testing.T, fake *fakelever.Server, demo bool) (steps.Services, ServicesConfig) {
	t.Helper()
	dir := t.TempDir()
	cfg := ServicesConfig{
		Demo:     demo,
		DemoKey:  lever.NewAPIKey(fakelever.KeyFull),
		BaseURLs: map[lever.Environment]string{lever.Production: fake.URL(), lever.Sandbox: fake.SandboxURL()},
		DBPath:   filepath.Join(dir, "leversync.db"),
		Config:   Config{Credentials: &config.Credentials{ConfigDir: filepath.Join(dir, "config")}, SettingsDir: filepath.Join(dir, "config")},
		Client:   lever.Options{Rate: -1, MaxRetries: 1, BaseBackoff: time.Millisecond},
	}
	return NewServices(cfg), cfg
}

func connectWith(t *testing.T, svc steps.Services, s steps.State, key string) (steps.ConnectReport, []steps.Check) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	checks := make(chan steps.Check, 64)
	r := svc.Connect(ctx, s, lever.NewAPIKey(key), checks)
	close(checks)
	var streamed []steps.Check
	for c := range checks {
		streamed = append(streamed, c)
	}
	return r, streamed
}

func TestConnectAgainstFakeLever(t *testing.T) {
	fake := startFake(t)
	svc, _ := fakeServices(t, fake, false)
	base := allTicked(at(steps.StepConnect))
	readOnly := base
	readOnly.Access = steps.ReadOnly
	sandbox := base
	sandbox.Environment = lever.Sandbox

	cases := []struct {
		name        string
		s           steps.State
		key         string
		wantStep    steps.StepID
		wantKind    steps.ProblemKind
		wantMissing []string
		wantEnv     lever.Environment
	}{
		{"full key", base, fakelever.KeyFull, steps.StepSync, "", nil, lever.Production},
		{"read-only key, read-only choice", readOnly, fakelever.KeyReadOnly, steps.StepSync, "", nil, lever.Production},
		{"read-only key, read/write choice", base, fakelever.KeyReadOnly, steps.StepCreateKey, steps.ProblemMissingPermissions, writeNames(), lever.Production},
		{"missing two", base, fakelever.KeyMissingTwo, steps.StepCreateKey, steps.ProblemMissingPermissions, []string{"find all tags", "find all requisitions"}, lever.Production},
		{"no confidential", base, fakelever.KeyNoConfidential, steps.StepConnect, steps.ProblemNoConfidential, nil, lever.Production},
		{"sandbox key on production", base, fakelever.KeySandbox, steps.StepData, steps.ProblemOtherEnvironment, nil, lever.Sandbox},
		{"sandbox key on sandbox", sandbox, fakelever.KeySandbox, steps.StepSync, "", nil, lever.Sandbox},
		{"unknown key", base, "notAKeyTheFakeKnows123", steps.StepPasteKey, steps.ProblemRejected, nil, lever.Production},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, streamed := connectWith(t, svc, c.s, c.key)
			next := steps.AfterConnect(c.s, r)
			if next.Step != c.wantStep {
				t.Fatalf("routed to %s, want %s (report err %v, missing %v)", next.Step, c.wantStep, r.Err, r.MissingPermissions())
			}
			if next.Environment != c.wantEnv {
				t.Errorf("environment %s, want %s", next.Environment, c.wantEnv)
			}
			if c.wantKind != "" && (next.Problem == nil || next.Problem.Kind != c.wantKind) {
				t.Fatalf("problem %+v, want %s", next.Problem, c.wantKind)
			}
			if c.wantMissing != nil && !reflect.DeepEqual(next.Problem.Missing, c.wantMissing) {
				t.Errorf("missing %v, want %v", next.Problem.Missing, c.wantMissing)
			}
			if r.Err == nil {
				if len(streamed) != len(r.Checks) {
					t.Errorf("streamed %d checks, reported %d", len(streamed), len(r.Checks))
				}
				want := len(steps.RequiredPermissions(c.s))
				if c.s.Confidential {
					want++
				}
				if len(r.Checks) != want {
					t.Errorf("%d checks, want %d", len(r.Checks), want)
				}
			}
			if r.Err != nil && strings.Contains(r.Err.Error(), c.key) {
				t.Error("an error repeats the key")
			}
		})
	}
}

func writeNames() []string {
	var out []string
	for _, p := range steps.RequiredPermissions(steps.NewState()) {
		if p.Write {
			out = append(out, p.Name)
		}
	}
	return out
}

func TestConnectHonoursCancel(t *testing.T) {
	fake := startFake(t)
	svc, _ := fakeServices(t, fake, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan steps.ConnectReport, 1)
	go func() {
		done <- svc.Connect(ctx, allTicked(at(steps.StepConnect)), lever.NewAPIKey(fakelever.KeyFull), make(chan steps.Check))
	}()
	select {
	case r := <-done:
		if r.Err == nil {
			t.Error("a cancelled connect reported success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Connect did not return after its context was cancelled")
	}
}

func TestProgressAndKey(t *testing.T) {
	fake := startFake(t)
	svc, cfg := fakeServices(t, fake, false)
	ctx := context.Background()

	if _, ok, err := svc.LoadProgress(ctx); ok || err != nil {
		t.Fatalf("fresh load = %v, %v", ok, err)
	}
	if _, err := os.Stat(cfg.DBPath); err == nil {
		t.Error("loading progress created the data file")
	}
	s := allTicked(at(steps.StepPasteKey))
	if err := svc.SaveProgress(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, ok, err := svc.LoadProgress(ctx)
	if err != nil || !ok || !reflect.DeepEqual(got, s) {
		t.Fatalf("load = %+v %v %v", got, ok, err)
	}

	where, err := svc.SaveKey(ctx, lever.Production, lever.NewAPIKey(fakelever.KeyFull))
	if err != nil || !strings.HasPrefix(where, "saved in ") || !strings.Contains(where, "credentials.json") {
		t.Fatalf("SaveKey = %q, %v", where, err)
	}
	k, _, err := cfg.Config.Credentials.Load(cfg.BaseURLs[lever.Production])
	if err != nil || k.Reveal() != fakelever.KeyFull {
		t.Fatalf("saved key not found: %v", err)
	}
	// Saved for the API root the wizard used, not for Lever's own.
	if _, _, err := cfg.Config.Credentials.Load(lever.Production.BaseURL()); !errors.Is(err, config.ErrNoCredential) {
		t.Errorf("the key saved for %s is found for %s: %v", cfg.BaseURLs[lever.Production], lever.Production.BaseURL(), err)
	}
	set, err := config.LoadSettings(cfg.Config.SettingsDir)
	if err != nil || set.Environment != lever.Production {
		t.Errorf("settings = %+v, %v", set, err)
	}
	db, err := os.ReadFile(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), fakelever.KeyFull) {
		t.Error("the key reached the data file")
	}
}

func TestDemoNeverTouchesSavedKeys(t *testing.T) {
	fake := startFake(t)
	svc, cfg := fakeServices(t, fake, true)
	where, err := svc.SaveKey(context.Background(), lever.Production, lever.NewAPIKey(fakelever.KeyFull))
	if err != nil || !strings.Contains(where, "demo") {
		t.Fatalf("demo SaveKey = %q, %v", where, err)
	}
	if _, _, err := cfg.Config.Credentials.Load(cfg.BaseURLs[lever.Production]); !errors.Is(err, config.ErrNoCredential) {
		t.Errorf("the demo saved a key: %v", err)
	}
}

func TestStartSync(t *testing.T) {
	fake := startFake(t)
	svc, _ := fakeServices(t, fake, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := at(steps.StepSync)
	s.Completed = true
	run, err := svc.StartSync(ctx, s, lever.APIKey{}) // the demo key
	if err != nil {
		t.Fatal(err)
	}
	// Progress is saved through the open store while the sync runs.
	if err := svc.SaveProgress(ctx, s); err != nil {
		t.Fatalf("saving progress during a sync: %v", err)
	}
	var types = map[syncer.EventType]int{}
	for ev := range run.Events() {
		types[ev.Type]++
	}
	st, err := run.Wait()
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if st.Result != syncer.ResultOK && st.Result != syncer.ResultWarnings {
		t.Errorf("result %q", st.Result)
	}
	if types[syncer.EventPageStored] == 0 || types[syncer.EventSyncDone] != 1 {
		t.Errorf("events %v", types)
	}
	if st.Totals[lever.Opportunities] != 30 {
		t.Errorf("totals %v", st.Totals)
	}
	// The store was closed: progress can be saved again by opening it.
	if err := svc.SaveProgress(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Wait(); err != nil {
		t.Error("Wait is not repeatable")
	}
}

// TestSavedWhereSaysWhyNotTheKeyring: a key that went to the file because
// the keyring did not answer is not reported as "no system keyring here".
func TestSavedWhereSaysWhyNotTheKeyring(t *testing.T) {
	cases := map[config.Place]string{
		{}: "saved in the system keyring",
		{File: "/c/credentials.json", KeyringProblem: "the system keyring did not answer within 3s"}: "saved in /c/credentials.json, readable only by you (the system keyring did not answer within 3s)",
		{File: "/c/credentials.json", KeyringProblem: "no system keyring here"}:                      "saved in /c/credentials.json, readable only by you (no system keyring here)",
		{File: "/c/credentials.json"}: "saved in /c/credentials.json, readable only by you",
	}
	for place, want := range cases {
		if got := savedWhere(place); !strings.HasPrefix(got, want) {
			t.Errorf("savedWhere(%+v) = %q, want %q", place, got, want)
		}
	}
}
