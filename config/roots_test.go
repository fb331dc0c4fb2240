package config

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/leversync/leversync/lever"
)

// TestKeysArePerAPIRoot: a key is found under the root it was saved for,
// however that root is spelled, and under no other: not another host, not
// the same host's sandbox root, not another port.
func TestKeysArePerAPIRoot(t *testing.T) {
	for _, useKeyring := range []bool{true, false} {
		keyring.MockInit()
		c := testCredentials(t, useKeyring)
		const root = "https://proxy.example.com/lever/v1"
		if _, err := c.Save(root, lever.NewAPIKey(testSecret)); err != nil {
			t.Fatal(err)
		}
		for _, same := range []string{root, "https://PROXY.example.com/lever/v1/", "https://proxy.example.com:443/lever/v1", " https://proxy.example.com/lever/v1 "} {
			if got, _, err := c.Load(same); err != nil || got.Reveal() != testSecret {
				t.Errorf("keyring %v: Load(%q) = %v, want the key saved for %q", useKeyring, same, err, root)
			}
		}
		for _, other := range []string{"https://proxy.example.com/v1", "https://proxy.example.com:8443/lever/v1", "https://evil.example.com/lever/v1", productionRoot, sandboxRoot, "http://127.0.0.1:8080/lever/v1"} {
			if got, _, err := c.Load(other); !errors.Is(err, ErrNoCredential) {
				t.Errorf("keyring %v: Load(%q) = %v, %v; a key saved for %s must not be found there", useKeyring, other, got, err, root)
			}
		}
		if _, err := c.Save(productionRoot, lever.NewAPIKey("prod-"+testSecret)); err != nil {
			t.Fatal(err)
		}
		if got, _, err := c.Load(sandboxRoot); !errors.Is(err, ErrNoCredential) {
			t.Errorf("keyring %v: the production key was found for the sandbox: %v %v", useKeyring, got, err)
		}
		if got, _, _ := c.Load(root); got.Reveal() != testSecret {
			t.Errorf("keyring %v: saving production's key replaced the proxy's", useKeyring)
		}
	}
}

// TestKeysSavedBeforeStillWork: keys saved per environment by earlier
// versions (keyring entries and credentials.json keyed "production",
// "sandbox", "eu") are found for the hosted roots without a new login; the
// old single "custom" key is found only for the root its settings name.
func TestKeysSavedBeforeStillWork(t *testing.T) {
	keyring.MockInit()
	if err := keyring.Set(DefaultKeyringService, "sandbox", "sand-"+testSecret); err != nil {
		t.Fatal(err)
	}
	c := testCredentials(t, true)
	if err := os.MkdirAll(c.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := `{"keys":{"production":"prod-` + testSecret + `","custom":"custom-` + testSecret + `"}}`
	if err := os.WriteFile(filepath.Join(c.ConfigDir, "credentials.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SaveSettings(c.ConfigDir, Settings{Environment: lever.Custom, BaseURL: "http://127.0.0.1:8080/v1"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		productionRoot:               "prod-" + testSecret,
		sandboxRoot:                  "sand-" + testSecret,
		"http://127.0.0.1:8080/v1/":  "custom-" + testSecret,
		"http://localhost:8080/v1":   "",
		"http://127.0.0.1:9999/v1":   "",
		lever.EU.BaseURL():           "",
		"https://api.lever.co/v2":    "",
		"http://127.0.0.1:8080/v1/x": "",
	}
	for root, key := range want {
		got, _, err := c.Load(root)
		if key == "" {
			if !errors.Is(err, ErrNoCredential) {
				t.Errorf("Load(%q) = %v, %v; want none", root, got, err)
			}
			continue
		}
		if err != nil || got.Reveal() != key {
			t.Errorf("Load(%q) = %v, want the key saved before", root, err)
		}
	}
	removed, err := c.DeleteAll()
	if err != nil || len(removed) != 3 {
		t.Fatalf("DeleteAll = %v, %v; want 3 keys removed", removed, err)
	}
	for root := range want {
		if _, _, err := c.Load(root); !errors.Is(err, ErrNoCredential) {
			t.Errorf("after DeleteAll, Load(%q) = %v", root, err)
		}
	}
}

// TestStaleKeyringKeyNeverWins: when the keyring times out on save, the
// key goes to the file, and a later load returns it rather than the older
// key the keyring still holds, and says it came from the file.
func TestStaleKeyringKeyNeverWins(t *testing.T) {
	keyring.MockInit()
	c := testCredentials(t, true)
	if _, err := c.Save(sandboxRoot, lever.NewAPIKey("old-"+testSecret)); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	saved := keyringSet
	keyringSet = func(string, string, string) error { <-release; return nil }
	t.Cleanup(func() { keyringSet = saved })
	c.Timeout = 100 * time.Millisecond

	place, err := c.Save(sandboxRoot, lever.NewAPIKey(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if place.File == "" || !strings.Contains(place.KeyringProblem, "did not answer") {
		t.Errorf("Save = %+v; want the file, saying the keyring did not answer", place)
	}
	got, where, err := c.Load(sandboxRoot)
	if err != nil || got.Reveal() != testSecret {
		t.Fatalf("Load after a keyring timeout = old key %v (%v): the stale keyring key won", got.Reveal() == "old-"+testSecret, err)
	}
	if where.File != filepath.Join(c.ConfigDir, "credentials.json") {
		t.Errorf("Load says the key came from %q, want the file", where)
	}
}

// TestSaveToFileRemovesKeyringCopy: a keyring that refuses to store (but
// answers) loses its older copy when the key goes to the file.
func TestSaveToFileRemovesKeyringCopy(t *testing.T) {
	keyring.MockInit()
	c := testCredentials(t, true)
	if _, err := c.Save(productionRoot, lever.NewAPIKey("old-"+testSecret)); err != nil {
		t.Fatal(err)
	}
	saved := keyringSet
	keyringSet = func(string, string, string) error { return errors.New("the collection is read-only") }
	t.Cleanup(func() { keyringSet = saved })
	if place, err := c.Save(productionRoot, lever.NewAPIKey(testSecret)); err != nil || place.File == "" {
		t.Fatalf("Save = %+v, %v", place, err)
	}
	if s, err := keyring.Get(DefaultKeyringService, "production"); err == nil {
		t.Errorf("the keyring still holds a key (old %v)", s == "old-"+testSecret)
	}
}

// FuzzSlot: two API roots share a saved key only when they are the same
// root; a slot never holds a user name, password, query or fragment; a
// hosted environment's slot is its name only for its own root.
func FuzzSlot(f *testing.F) {
	for _, s := range []string{productionRoot, sandboxRoot, "https://API.LEVER.CO:443/v1/", "http://127.0.0.1:8080/v1", "http://[::1]:80/sandbox/v1",
		"https://u:p@api.lever.co/v1", "https://api.lever.co/v1?x=1", "https://api.lever.co/v1#f", "https://api.lever.co:/v1", "https://api.lever.co/%761", "custom", "production", ""} {
		f.Add(s, productionRoot)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, errA := slotFor(a)
		sb, errB := slotFor(b)
		if errA != nil || errB != nil {
			return
		}
		na, _ := lever.NormalizeBaseURL(a)
		nb, _ := lever.NormalizeBaseURL(b)
		if (sa == sb) != (na == nb) {
			t.Fatalf("roots %q and %q: slots %q, %q but normalized roots %q, %q", a, b, sa, sb, na, nb)
		}
		if again, err := slotFor(na); err != nil || again != sa {
			t.Fatalf("slot of the normalized root %q = %q, %v; want %q", na, again, err, sa)
		}
		if u, err := url.Parse(sa); sa == legacyCustomSlot || (err == nil && (u.User != nil || u.RawQuery != "" || u.Fragment != "")) {
			t.Fatalf("slot %q for %q", sa, a)
		}
		for _, env := range lever.Environments {
			if (sa == string(env)) != (na == env.BaseURL()) {
				t.Fatalf("root %q got slot %q", a, sa)
			}
		}
	})
}
