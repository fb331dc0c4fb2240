package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
)

// loggedFake is a fake Lever on loopback that logs the key of every request
// it receives, and can be made to answer everything with a 503 (down) or a
// 401 (the key revoked).
type loggedFake struct {
	*fakelever.Server
	url string

	mu   sync.Mutex
	keys map[string]int // key -> requests that carried it

	down, revoked atomic.Bool
}

func startLoggedFake(t *testing.T, cfg fakelever.Config) *loggedFake {
	t.Helper()
	if cfg.Rate == 0 {
		cfg.Rate = -1
	}
	f := &loggedFake{Server: fakelever.New(cfg), keys: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.url = "http://" + ln.Addr().String() + "/v1"
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = f.Close() })
	return f
}

func (f *loggedFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, _, _ := r.BasicAuth()
	f.mu.Lock()
	f.keys[key]++
	f.mu.Unlock()
	switch {
	case f.revoked.Load():
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":"UnauthorizedError","message":"Invalid API key"}`))
	case f.down.Load():
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":"ServiceUnavailable","message":"Lever is temporarily unavailable"}`))
	default:
		f.Server.ServeHTTP(w, r)
	}
}

// keysSeen are the keys that reached the fake.
func (f *loggedFake) keysSeen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// profileExport is export's output of every list resource for a profile.
func profileExport(t *testing.T, env []string, profileArgs ...string) map[lever.Resource]string {
	t.Helper()
	out := map[lever.Resource]string{}
	for _, r := range lever.ListResources {
		res := runBin(t, env, "", append([]string{"export", "--resource", string(r)}, profileArgs...)...)
		if res.code != 0 {
			t.Fatalf("export %s %v: exit %d: %s", r, profileArgs, res.code, res.stderr)
		}
		out[r] = res.stdout
	}
	return out
}

// TestTwoProfilesTwoAccounts: two profiles, each logged in to its own Lever
// account (different data), sync into their own files; each file holds
// exactly its own account's data, each key reached only its own server,
// `profiles --json` reports both, and removing one leaves the other whole.
func TestTwoProfilesTwoAccounts(t *testing.T) {
	alpha := startLoggedFake(t, fakelever.Config{Seed: 11, Opportunities: 150})
	beta := startLoggedFake(t, fakelever.Config{Seed: 22, Opportunities: 90})
	if expectedExport(alpha.Server, lever.Opportunities) == expectedExport(beta.Server, lever.Opportunities) {
		t.Fatal("the two accounts hold the same data: the test could not tell them apart")
	}
	env := isolatedEnv(t)
	home := strings.TrimPrefix(env[0], "HOME=")
	betaEnv := append(slices.Clone(env), "LEVERSYNC_PROFILE=beta")

	// One by flag, one by the environment variable.
	if res := runBin(t, env, fakelever.KeyFull, "login", "--profile", "alpha", "--key-stdin", "--base-url", alpha.url); res.code != 0 {
		t.Fatalf("login alpha: exit %d: %s", res.code, res.stderr)
	}
	if res := runBin(t, betaEnv, fakelever.KeyReadOnly, "login", "--key-stdin", "--base-url", beta.url); res.code != 0 {
		t.Fatalf("login beta: exit %d: %s", res.code, res.stderr)
	}
	// Each profile syncs from its saved settings and key: no flag names
	// the server or the key.
	if res := runBin(t, env, "", append([]string{"sync", "--profile", "alpha"}, fastSync...)...); res.code != 0 {
		t.Fatalf("sync alpha: exit %d: %s", res.code, res.stderr)
	}
	if res := runBin(t, betaEnv, "", append([]string{"sync"}, fastSync...)...); res.code != 0 {
		t.Fatalf("sync beta: exit %d: %s", res.code, res.stderr)
	}
	// The default profile has no key: it syncs nothing and sends nothing.
	before := [2]int{len(alpha.keysSeen()), len(beta.keysSeen())}
	if res := runBin(t, env, "", "sync", "--base-url", alpha.url); res.code != exitNoKey {
		t.Fatalf("sync of the default profile with another profile's root: exit %d, want %d: %s", res.code, exitNoKey, res.stderr)
	}
	if after := [2]int{len(alpha.keysSeen()), len(beta.keysSeen())}; after != before {
		t.Fatal("a profile without a key sent a request")
	}

	for name, c := range map[string]struct {
		fake *loggedFake
		env  []string
		args []string
	}{"alpha": {alpha, env, []string{"--profile", "alpha"}}, "beta": {beta, betaEnv, nil}} {
		got := profileExport(t, c.env, c.args...)
		for _, r := range lever.ListResources {
			if want := expectedExport(c.fake.Server, r); got[r] != want {
				t.Errorf("profile %s, %s: the file does not hold exactly its own account's data (%d lines, want %d)", name, r, strings.Count(got[r], "\n"), strings.Count(want, "\n"))
			}
		}
	}
	if got := alpha.keysSeen(); !slices.Equal(got, []string{fakelever.KeyFull}) {
		t.Errorf("alpha's server received %d distinct keys (want only alpha's): beta's among them: %v", len(got), slices.Contains(got, fakelever.KeyReadOnly))
	}
	if got := beta.keysSeen(); !slices.Equal(got, []string{fakelever.KeyReadOnly}) {
		t.Errorf("beta's server received %d distinct keys (want only beta's): alpha's among them: %v", len(got), slices.Contains(got, fakelever.KeyFull))
	}

	res := runBin(t, betaEnv, "", "profiles", "--json")
	if res.code != 0 {
		t.Fatalf("profiles --json: exit %d: %s", res.code, res.stderr)
	}
	var reps []profileReport
	if err := json.Unmarshal([]byte(res.stdout), &reps); err != nil {
		t.Fatalf("profiles --json: %v: %s", err, res.stdout)
	}
	if len(reps) != 3 || reps[0].Name != "default" || reps[1].Name != "alpha" || reps[2].Name != "beta" {
		t.Fatalf("profiles --json lists %+v; want default, alpha, beta", reps)
	}
	if reps[0].Exists || reps[0].Current || reps[1].Current || !reps[2].Current {
		t.Errorf("default exists %v; current: default %v, alpha %v, beta %v (LEVERSYNC_PROFILE=beta)", reps[0].Exists, reps[0].Current, reps[1].Current, reps[2].Current)
	}
	for i, f := range map[int]*loggedFake{1: alpha, 2: beta} {
		r := reps[i]
		wantFile := filepath.Join(home, "data", "leversync", "profiles", r.Name, "leversync.db")
		if r.Environment != lever.Custom || r.BaseURL != f.url || r.DataFile != wantFile || !r.Exists || r.LastSync == 0 || r.LastResult != "ok" {
			t.Errorf("profile %s: %+v", r.Name, r)
		}
		for _, res := range lever.ListResources {
			if want := len(f.Expected(string(res))); r.Counts[res] != want {
				t.Errorf("profile %s: %s count %d, want %d", r.Name, res, r.Counts[res], want)
			}
		}
	}
	text := runBin(t, env, "", "profiles")
	if text.code != 0 || !strings.Contains(text.stdout, "* default") || !strings.Contains(text.stdout, "  alpha") || !strings.Contains(text.stdout, "150") {
		t.Errorf("profiles: exit %d:\n%s", text.code, text.stdout)
	}

	// Removing needs a confirmation; then beta is gone and alpha whole.
	betaFile := reps[2].DataFile
	if res := runBin(t, env, "", "profiles", "remove", "beta"); res.code != exitUsage || !strings.Contains(res.stderr, "--yes") {
		t.Fatalf("profiles remove without a terminal or --yes: exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(betaFile); err != nil {
		t.Fatalf("an unconfirmed remove deleted the data file: %v", err)
	}
	if res := runBin(t, env, "", "profiles", "remove", "beta", "--yes"); res.code != 0 {
		t.Fatalf("profiles remove beta --yes: exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(betaFile); !os.IsNotExist(err) {
		t.Errorf("beta's data file is still there: %v", err)
	}
	if res := runBin(t, betaEnv, "", "sync"); res.code != exitNoKey {
		t.Errorf("sync of the removed profile: exit %d, want %d (its key is gone): %s", res.code, exitNoKey, res.stderr)
	}
	// The commands an error names need the profile too.
	if res := runBin(t, env, "", "sync", "--profile", "beta"); res.code != exitNoKey || !strings.Contains(res.stderr, "add --profile beta") {
		t.Errorf("an error under --profile does not say to keep it: exit %d: %s", res.code, res.stderr)
	}
	if got := profileExport(t, env, "--profile", "alpha"); got[lever.Opportunities] != expectedExport(alpha.Server, lever.Opportunities) {
		t.Error("removing beta changed alpha's data")
	}
	if res := runBin(t, env, "", "sync", "--profile", "alpha", "--rate", "-1"); res.code != 0 {
		t.Errorf("alpha after beta's removal: exit %d: %s", res.code, res.stderr)
	}
}

// TestBadProfileNamesExitTwo: a name that is not safe as a file and
// keyring name is refused with exit 2, by flag or environment, before
// anything is read or written.
func TestBadProfileNamesExitTwo(t *testing.T) {
	env := isolatedEnv(t)
	home := strings.TrimPrefix(env[0], "HOME=")
	for _, name := range []string{"../etc", "a b", "x/y", ".hidden", strings.Repeat("p", 33), "nul", "-x"} {
		res := runBin(t, env, "", "status", "--profile="+name)
		if res.code != exitUsage || !strings.Contains(res.stderr, "profile name") {
			t.Errorf("--profile %q: exit %d: %s", name, res.code, res.stderr)
		}
		res = runBin(t, append(slices.Clone(env), "LEVERSYNC_PROFILE="+name), "", "status")
		if res.code != exitUsage {
			t.Errorf("LEVERSYNC_PROFILE=%q: exit %d: %s", name, res.code, res.stderr)
		}
	}
	// An empty value is refused too: it used to mean the default.
	for _, args := range [][]string{{"status", "--profile="}, {"sync", "--db", ""}, {"status", "--db="}, {"sync", "--base-url", " "}} {
		if res := runBin(t, env, "", args...); res.code != exitUsage || !strings.Contains(res.stderr, "empty value") {
			t.Errorf("%q: exit %d, want %d: %s", args, res.code, exitUsage, res.stderr)
		}
	}
	if res := runBin(t, env, "", "profiles", "remove", "default", "--yes"); res.code != exitUsage {
		t.Errorf("profiles remove default: exit %d: %s", res.code, res.stderr)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("refused names left files in the home folder: %v", entries)
	}
}

// TestLoginNoKeyringSavesToTheFile: with a keyring that works, login saves
// there; with --no-keyring the key goes to the profile's 0600 file (where
// cron and services find it) and not to the keyring.
func TestLoginNoKeyringSavesToTheFile(t *testing.T) {
	keyring.MockInit()
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 10})
	home := t.TempDir()
	getenv := func(k string) string {
		return map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_DATA_HOME": filepath.Join(home, "data")}[k]
	}
	login := func(extra ...string) result {
		var out, errb bytes.Buffer
		args := append([]string{"login", "--key-stdin", "--base-url", srv.URL(), "--profile", "cron"}, extra...)
		code := run(context.Background(), args, strings.NewReader(fakelever.KeyFull), &out, &errb, getenv)
		return result{code: code, stdout: out.String(), stderr: errb.String()}
	}
	credFile := filepath.Join(home, "config", "leversync", "profiles", "cron", "credentials.json")
	slot := srv.URL()
	if res := login(); res.code != 0 || !strings.Contains(res.stdout, "system keyring") {
		t.Fatalf("login: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	if _, err := keyring.Get("leversync-cron", slot); err != nil {
		t.Fatalf("the key is not in the profile's keyring service: %v", err)
	}
	if _, err := os.Stat(credFile); !os.IsNotExist(err) {
		t.Fatalf("a key saved in the keyring also went to the file: %v", err)
	}
	if res := login("--no-keyring"); res.code != 0 || !strings.Contains(res.stdout, credFile) {
		t.Fatalf("login --no-keyring: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	fi, err := os.Stat(credFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the credentials file: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(credFile); !strings.Contains(string(b), fakelever.KeyFull) {
		t.Fatal("login --no-keyring did not put the key in the file")
	}
}
