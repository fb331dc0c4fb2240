package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/store"
)

// envOf is a getenv over vars only.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestDefaultProfileKeepsEarlierPaths: the default profile's files are
// where every earlier leversync kept them (so an install upgrades without a
// new login or a re-sync); another profile's are in folders named after
// it, under the same XDG folders, with its own keyring service.
func TestDefaultProfileKeepsEarlierPaths(t *testing.T) {
	xdg := envOf(map[string]string{"XDG_DATA_HOME": "/xdg/data", "XDG_CONFIG_HOME": "/xdg/config", "HOME": "/home/ann"})
	home := envOf(map[string]string{"XDG_DATA_HOME": "relative/ignored", "HOME": "/home/ann"})
	for _, tc := range []struct {
		getenv func(string) string
		name   string
		want   Profile
	}{
		{xdg, "default", Profile{Name: "default", ConfigDir: "/xdg/config/leversync", DataFile: "/xdg/data/leversync/leversync.db", KeyringService: "leversync"}},
		{home, "default", Profile{Name: "default", ConfigDir: "/home/ann/.config/leversync", DataFile: "/home/ann/.local/share/leversync/leversync.db", KeyringService: "leversync"}},
		{xdg, "Client-A", Profile{Name: "client-a", ConfigDir: "/xdg/config/leversync/profiles/client-a", DataFile: "/xdg/data/leversync/profiles/client-a/leversync.db", KeyringService: "leversync-client-a"}},
		{home, "sandbox_2", Profile{Name: "sandbox_2", ConfigDir: "/home/ann/.config/leversync/profiles/sandbox_2", DataFile: "/home/ann/.local/share/leversync/profiles/sandbox_2/leversync.db", KeyringService: "leversync-sandbox_2"}},
	} {
		got, err := LookupProfile(tc.name, tc.getenv)
		if err != nil || got != tc.want {
			t.Errorf("LookupProfile(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	p, _ := LookupProfile("default", xdg)
	c := p.Config()
	if c.SettingsDir != p.ConfigDir || c.Credentials.ConfigDir != p.ConfigDir || !c.Credentials.UseKeyring || c.Credentials.KeyringService != config.DefaultKeyringService {
		t.Errorf("the default profile's config = %+v, %+v", c, *c.Credentials)
	}
}

func TestProfileNames(t *testing.T) {
	for _, ok := range []string{"default", "a", "work", "client-a", "sandbox_2", "0", strings.Repeat("x", 32), "ACME"} {
		if _, err := ParseProfileName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "_x", "a b", "a/b", "..", ".", "a.b", "../x", "x\x00", "é", "a\\b", "a:b", strings.Repeat("x", 33), "con", "NUL", "com1", "lpt9", "x\n"} {
		if n, err := ParseProfileName(bad); !errors.Is(err, ErrProfileName) {
			t.Errorf("%q accepted as %q", bad, n)
		}
		if _, err := LookupProfile(bad, envOf(nil)); !errors.Is(err, ErrProfileName) {
			t.Errorf("LookupProfile(%q) = %v", bad, err)
		}
	}
}

// TestProfilesShareNothing: two profiles' keys (in the keyring and in the
// file), settings and data files are separate, and listing finds both.
func TestProfilesShareNothing(t *testing.T) {
	for _, useKeyring := range []bool{true, false} {
		keyring.MockInit()
		getenv := tempXDG(t)
		def, _ := LookupProfile(DefaultProfile, getenv)
		work, _ := LookupProfile("work", getenv)
		dc, wc := def.Config(), work.Config()
		dc.Credentials.UseKeyring, wc.Credentials.UseKeyring = useKeyring, useKeyring
		root := Target{Env: lever.Production, BaseURL: lever.Production.BaseURL()}
		if _, err := dc.SaveKey(root, lever.NewAPIKey("default-key-0123456789")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := wc.SavedKey(root); !errors.Is(err, ErrNoKey) {
			t.Fatalf("keyring %v: the work profile found the default profile's key: %v", useKeyring, err)
		}
		sandbox := Target{Env: lever.Sandbox, BaseURL: lever.Sandbox.BaseURL()}
		if _, err := wc.SaveKey(sandbox, lever.NewAPIKey("work-key-0123456789")); err != nil {
			t.Fatal(err)
		}
		if got, err := dc.ResolveTarget("", ""); err != nil || got.Env != lever.Production {
			t.Errorf("the default profile's target = %+v, %v; want production (the work profile saved sandbox)", got, err)
		}
		if got, err := wc.ResolveTarget("", ""); err != nil || got.Env != lever.Sandbox {
			t.Errorf("the work profile's target = %+v, %v", got, err)
		}
		if def.DataFile == work.DataFile || def.ConfigDir == work.ConfigDir || strings.HasPrefix(work.ConfigDir+"/", def.ConfigDir+"/credentials") {
			t.Fatalf("the profiles share files: %+v %+v", def, work)
		}
		list, err := ListProfiles(getenv)
		if err != nil || len(list) != 2 || list[0] != def || list[1] != work {
			t.Fatalf("ListProfiles = %+v, %v", list, err)
		}
		if err := work.Remove(); err != nil {
			t.Fatal(err)
		}
		if got, _, err := dc.SavedKey(root); err != nil || got.Reveal() != "default-key-0123456789" {
			t.Fatalf("keyring %v: removing the work profile took the default's key: %v", useKeyring, err)
		}
		if _, _, err := wc.SavedKey(sandbox); !errors.Is(err, ErrNoKey) {
			t.Fatalf("keyring %v: the removed profile's key is still found: %v", useKeyring, err)
		}
		if list, _ := ListProfiles(getenv); len(list) != 1 {
			t.Fatalf("after Remove, ListProfiles = %+v", list)
		}
	}
}

// tempXDG is a getenv whose XDG folders are fresh temporary folders.
func tempXDG(t *testing.T) func(string) string {
	home := t.TempDir()
	return envOf(map[string]string{"HOME": home, "XDG_DATA_HOME": filepath.Join(home, "data"), "XDG_CONFIG_HOME": filepath.Join(home, "config")})
}

// TestRemoveProfile: a profile's data file goes only when it is
// leversync's and nothing uses it; otherwise nothing at all is removed.
// The default profile is never removed this way.
func TestRemoveProfile(t *testing.T) {
	keyring.MockInitWithError(errors.New("no keyring"))
	getenv := tempXDG(t)
	def, _ := LookupProfile(DefaultProfile, getenv)
	if err := def.Remove(); err == nil {
		t.Fatal("the default profile was removed")
	}
	p, _ := LookupProfile("work", getenv)
	c := p.Config()
	fake := startFake(t)
	target := Target{Env: lever.Custom, BaseURL: fake.URL()}
	if _, err := c.SaveKey(target, lever.NewAPIKey(fakelever.KeyFull)); err != nil {
		t.Fatal(err)
	}
	run, err := Start(context.Background(), SyncJob{Target: target, Key: lever.NewAPIKey(fakelever.KeyFull), DBPath: p.DataFile, Client: lever.Options{Rate: -1}})
	if err != nil {
		t.Fatal(err)
	}
	for range run.Events() {
	}
	if _, err := run.Wait(); err != nil {
		t.Fatal(err)
	}
	// Held by a sync: refused, nothing removed.
	st, err := store.Open(p.DataFile, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("Remove of a held file = %v", err)
	}
	st.Close()
	// A schedule running between its runs: refused too.
	sf, err := lockSchedule(p.DataFile + scheduleSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := sf.write(ScheduleState{PID: os.Getpid(), EveryMs: 60000}); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(); !errors.Is(err, ErrScheduled) {
		t.Fatalf("Remove under a schedule = %v", err)
	}
	sf.release()
	if _, _, err := c.SavedKey(target); err != nil {
		t.Fatalf("a refused Remove took the key: %v", err)
	}
	// A compaction killed half-way left its copy of the data: it goes too.
	data, err := os.ReadFile(p.DataFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.DataFile+".compact", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{p.DataFile, p.DataFile + ".compact", filepath.Dir(p.DataFile), p.ConfigDir} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after Remove", gone)
		}
	}
	// Something that is not a data file at the path: named, kept.
	if err := os.MkdirAll(filepath.Dir(p.DataFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.DataFile, []byte("my notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(); !errors.Is(err, store.ErrNotStore) {
		t.Fatalf("Remove of a text file = %v", err)
	}
	if b, _ := os.ReadFile(p.DataFile); string(b) != "my notes\n" {
		t.Fatal("Remove changed a file that is not leversync's")
	}
}
