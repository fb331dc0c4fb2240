package ui

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
)

// realServices wires the wizard to the fake Lever the way --demo does.
func realServices(t *testing.T, demo bool) (steps.Services, app.ServicesConfig) {
	t.Helper()
	svc, cfg, _ := servicesOn(t, fakelever.Config{Opportunities: 40, Postings: 6, Users: 5, Rate: -1}, demo)
	return svc, cfg
}

// servicesOn wires the wizard to a fake Lever of fc, as realServices does.
func servicesOn(t *testing.T, fc fakelever.Config, demo bool) (steps.Services, app.ServicesConfig, *fakelever.Server) {
	t.Helper()
	fake, err := fakelever.Start(fc, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	dir := t.TempDir()
	cfg := app.ServicesConfig{
		Demo:     demo,
		DemoKey:  lever.NewAPIKey(fakelever.KeyFull),
		BaseURLs: map[lever.Environment]string{lever.Production: fake.URL(), lever.Sandbox: fake.SandboxURL()},
		DBPath:   filepath.Join(dir, "leversync.db"),
		Config:   app.Config{Credentials: &config.Credentials{ConfigDir: filepath.Join(dir, "config")}},
		Client:   lever.Options{Rate: -1, MaxRetries: 1, BaseBackoff: time.Millisecond},
	}
	return app.NewServices(cfg), cfg, fake
}

func TestDemoAgainstFakeLever(t *testing.T) {
	svc, cfg := realServices(t, true)
	tm := teatest.NewTestModel(t, NewModel(Config{Services: svc, Demo: true, DemoKey: fakelever.KeyFull}, stateAt(steps.StepPasteKey)),
		teatest.WithInitialTermSize(120, 40))
	waitText(t, tm, "demo key is filled in")
	tm.Send(press("enter"))
	waitText(t, tm, "the demo never saves a key")
	tm.Send(press("enter"))
	waitText(t, tm, "Up to date")
	fm := finalModel(t, tm)
	if !fm.state.Completed {
		t.Fatal("setup not complete")
	}
	fm.release(10 * time.Second)
	if _, _, err := cfg.Config.Credentials.Load(cfg.BaseURLs[lever.Production]); err == nil {
		t.Error("the demo saved a key")
	}
	// A restart resumes on the sync view from the saved progress.
	saved, ok, err := svc.LoadProgress(t.Context())
	if err != nil || !ok || NewModel(Config{Services: svc}, saved).state.Step != steps.StepSync {
		t.Fatalf("restart: %+v %v %v", saved, ok, err)
	}
}

func TestMissingTwoAgainstFakeLever(t *testing.T) {
	svc, cfg := realServices(t, false)
	tm := teatest.NewTestModel(t, NewModel(Config{Services: svc}, stateAt(steps.StepPasteKey)), teatest.WithInitialTermSize(120, 40))
	var out bytes.Buffer
	teatest.WaitFor(t, io.TeeReader(tm.Output(), &out), func(b []byte) bool { return bytes.Contains(b, []byte("hidden on screen")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.PasteMsg{Content: fakelever.KeyMissingTwo + "\n"})
	tm.Send(press("enter"))
	teatest.WaitFor(t, io.TeeReader(tm.Output(), &out), func(b []byte) bool {
		return bytes.Contains(b, []byte(`lacks 2 permissions: "find all tags" and "find all requisitions"`))
	}, teatest.WithDuration(20*time.Second))
	fm := finalModel(t, tm)
	rest, _ := io.ReadAll(tm.Output())
	out.Write(rest)
	if fm.state.Step != steps.StepCreateKey {
		t.Fatalf("routed to %s", fm.state.Step)
	}
	if bytes.Contains(out.Bytes(), []byte(fakelever.KeyMissingTwo)) {
		t.Fatal("the key appeared on screen")
	}
	db, err := os.ReadFile(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(fakelever.KeyMissingTwo)) {
		t.Fatal("the key is in the data file")
	}
}

// TestFakeSaveKeyAnswersAsTheServicesDo keeps the fake's demo answer the
// real services' one, so a golden frame shows what the demo shows.
func TestFakeSaveKeyAnswersAsTheServicesDo(t *testing.T) {
	svc, _ := realServices(t, true)
	want, err := svc.SaveKey(t.Context(), lever.Production, lever.NewAPIKey(fakelever.KeyFull))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeServices{}
	got, _ := demo(fake).Services.SaveKey(t.Context(), lever.Production, lever.NewAPIKey(fakelever.KeyFull))
	if got != want {
		t.Errorf("the fake's demo says %q, the services say %q", got, want)
	}
}
