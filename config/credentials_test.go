package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/leversync/leversync/lever"
)

const testSecret = "lvr-Secret-0123456789abcdef"

var (
	productionRoot = lever.Production.BaseURL()
	sandboxRoot    = lever.Sandbox.BaseURL()
)

func testCredentials(t *testing.T, useKeyring bool) *Credentials {
	return &Credentials{ConfigDir: filepath.Join(t.TempDir(), "config", "leversync"), UseKeyring: useKeyring, Timeout: time.Second}
}

func TestCredentialsInKeyring(t *testing.T) {
	keyring.MockInit()
	c := testCredentials(t, true)
	key := lever.NewAPIKey(" " + testSecret + "\n")
	where, err := c.Save(sandboxRoot, key)
	if err != nil || where != (Place{}) || where.String() != InKeyring {
		t.Fatalf("Save = %q, %v; want the keyring", where, err)
	}
	if _, err := os.Stat(c.ConfigDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("saving to the keyring wrote the config folder")
	}
	got, where, err := c.Load(sandboxRoot)
	if err != nil || got.Reveal() != key.Reveal() || where.String() != InKeyring {
		t.Fatalf("Load = %v %q %v", got, where, err)
	}
	if _, _, err := c.Load(productionRoot); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("Load of another environment = %v, want ErrNoCredential", err)
	}
	if err := c.Delete(sandboxRoot); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Load(sandboxRoot); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("Load after Delete = %v", err)
	}
	wantErr(t, c.Delete(sandboxRoot), ErrNoCredential)
}

func TestCredentialsFallBackToFile(t *testing.T) {
	keyring.MockInitWithError(errors.New("no secret service on this machine"))
	c := testCredentials(t, true)
	where, err := c.Save(productionRoot, lever.NewAPIKey(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.ConfigDir, "credentials.json")
	if where.File != path || where.KeyringProblem != "no system keyring here" {
		t.Fatalf("where = %+v, want %q without a keyring", where, path)
	}
	if _, err := c.Save(sandboxRoot, lever.NewAPIKey("other-"+testSecret)); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, c.ConfigDir: 0o700} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", p, info.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(c.ConfigDir)
	if len(entries) != 1 {
		t.Errorf("config folder holds %d files, want only credentials.json (no temp files left)", len(entries))
	}
	got, where, err := c.Load(productionRoot)
	if err != nil || got.Reveal() != testSecret || where.File != path {
		t.Fatalf("Load = %v %q %v", got, where, err)
	}
	if err := c.Delete(productionRoot); err != nil {
		t.Fatal(err)
	}
	if got, _, err := c.Load(sandboxRoot); err != nil || got.Reveal() != "other-"+testSecret {
		t.Fatalf("deleting production lost sandbox: %v %v", got, err)
	}
	if err := c.Delete(sandboxRoot); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("credentials.json left after its last key was deleted")
	}
}

// A keyring that hangs (locked, waiting for a prompt) costs the timeout,
// then the file is used.
func TestCredentialsKeyringTimeout(t *testing.T) {
	keyring.MockInit()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := func(string, string, string) error { <-release; return nil }
	saved := keyringSet
	keyringSet = hang
	t.Cleanup(func() { keyringSet = saved })

	c := testCredentials(t, true)
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	where, err := c.Save(sandboxRoot, lever.NewAPIKey(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Save took %v with a hanging keyring", d)
	}
	if where.File == "" || !strings.Contains(where.KeyringProblem, "did not answer") {
		t.Fatalf("a hanging keyring was reported as %+v", where)
	}
	if got, _, err := c.Load(sandboxRoot); err != nil || got.Reveal() != testSecret {
		t.Fatalf("Load = %v %v", got, err)
	}
}

// A key moved to the keyring leaves no older copy in the file.
func TestCredentialsKeyringReplacesFileCopy(t *testing.T) {
	keyring.MockInitWithError(errors.New("unavailable"))
	c := testCredentials(t, true)
	if _, err := c.Save(sandboxRoot, lever.NewAPIKey("old-"+testSecret)); err != nil {
		t.Fatal(err)
	}
	keyring.MockInit()
	if where, err := c.Save(sandboxRoot, lever.NewAPIKey(testSecret)); err != nil || where.File != "" {
		t.Fatalf("Save = %q %v", where, err)
	}
	if b, err := os.ReadFile(filepath.Join(c.ConfigDir, "credentials.json")); err == nil && bytes.Contains(b, []byte("old-")) {
		t.Fatal("the old key stayed in the file")
	}
}

func TestCredentialsHideKeyInErrors(t *testing.T) {
	keyring.MockInit()
	c := testCredentials(t, false)
	for _, root := range []string{"", "not a url", "http://api.lever.co/v1", "https://" + testSecret + "@api.lever.co/v1"} {
		if _, err := c.Save(root, lever.NewAPIKey(testSecret)); err == nil || strings.Contains(err.Error(), testSecret) {
			t.Errorf("Save for %q = %v", root, err)
		}
	}
	if err := os.MkdirAll(c.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.ConfigDir, "credentials.json"), []byte(`{"keys":{"sandbox":"`+testSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Load(sandboxRoot)
	if err == nil || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("Load of a damaged file = %v (must fail without quoting it)", err)
	}
}

func TestSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "leversync")
	if s, err := LoadSettings(dir); err != nil || s != (Settings{}) {
		t.Fatalf("LoadSettings of nothing = %+v %v", s, err)
	}
	want := Settings{Environment: lever.Custom, BaseURL: "http://127.0.0.1:8080/v1"}
	if err := SaveSettings(dir, want); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadSettings(dir); err != nil || got != want {
		t.Fatalf("LoadSettings = %+v %v", got, err)
	}
	if info, _ := os.Stat(filepath.Join(dir, "settings.json")); info.Mode().Perm() != 0o600 {
		t.Fatalf("settings mode %o", info.Mode().Perm())
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o700 {
		t.Fatalf("config folder mode %o", info.Mode().Perm())
	}
	if err := SaveSettings(dir, Settings{Environment: lever.Demo}); err == nil {
		t.Fatal("the demo environment was saved")
	}
	if got, _ := LoadSettings(dir); got != want {
		t.Fatalf("a refused save changed the settings: %+v", got)
	}
	for range 2 { // the second finds nothing, which is fine
		if err := RemoveSettings(dir); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := LoadSettings(dir); err != nil || got != (Settings{}) {
		t.Fatalf("LoadSettings after RemoveSettings = %+v %v", got, err)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %q", err, target)
	}
}

// TestKeyringServicesAreSeparate: two Credentials with their own keyring
// service and folder (two profiles) never see each other's key for the same
// root, and removing every key of one leaves the other's.
func TestKeyringServicesAreSeparate(t *testing.T) {
	for _, useKeyring := range []bool{true, false} {
		keyring.MockInit()
		a := testCredentials(t, useKeyring)
		b := testCredentials(t, useKeyring)
		b.KeyringService = "leversync-work"
		if _, err := a.Save(productionRoot, lever.NewAPIKey("a-"+testSecret)); err != nil {
			t.Fatal(err)
		}
		if got, _, err := b.Load(productionRoot); !errors.Is(err, ErrNoCredential) {
			t.Fatalf("keyring %v: the other service found %v, %v", useKeyring, got.Reveal() == "a-"+testSecret, err)
		}
		if _, err := b.Save(productionRoot, lever.NewAPIKey("b-"+testSecret)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.DeleteAll(); err != nil {
			t.Fatal(err)
		}
		if got, _, err := a.Load(productionRoot); err != nil || got.Reveal() != "a-"+testSecret {
			t.Fatalf("keyring %v: removing the other service's keys took this one's: %v", useKeyring, err)
		}
		if useKeyring {
			if s, err := keyring.Get(DefaultKeyringService, "production"); err != nil || s != "a-"+testSecret {
				t.Fatalf("the default service does not hold the key saved without a service: %v", err)
			}
		}
	}
}
