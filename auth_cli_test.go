package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/lever/fakelever"
)

// TestLoginSavesKeyForSyncAndLogoutRemovesIt: login verifies the key and
// saves it (no keyring here, so a 0600 file), sync then needs no key, and
// logout removes it.
func TestLoginSavesKeyForSyncAndLogoutRemovesIt(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 8, Opportunities: 120})
	env := isolatedEnv(t)
	home := strings.TrimPrefix(env[0], "HOME=")
	credFile := filepath.Join(home, "config", "leversync", "credentials.json")

	bad := runBin(t, env, "wrongwrongwrongwrongwrongwrongwrong\n", "login", "--key-stdin", "--base-url", srv.URL())
	if bad.code != exitNoKey {
		t.Fatalf("login with a wrong key: exit %d, want %d: %s", bad.code, exitNoKey, bad.stderr)
	}
	if _, err := os.Stat(credFile); err == nil {
		t.Fatal("a rejected key was saved")
	}

	res := runBin(t, env, "  "+fakelever.KeyFull+"\n", "login", "--key-stdin", "--base-url", srv.URL())
	if res.code != 0 {
		t.Fatalf("login: exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, credFile) {
		t.Errorf("login does not say where the key went: %q", res.stdout)
	}
	fi, err := os.Stat(credFile)
	if err != nil {
		t.Fatalf("no credentials file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	assertNoKey(t, fakelever.KeyFull, "login's output", []byte(res.stdout), []byte(res.stderr))

	// No flag and no LEVER_API_KEY: the saved environment and key apply.
	db := filepath.Join(t.TempDir(), "ls.db")
	sync := runBin(t, env, "", append([]string{"sync", "--db", db}, fastSync...)...)
	if sync.code != 0 {
		t.Fatalf("sync with the saved key: exit %d: %s", sync.code, sync.stderr)
	}
	assertStoreMatchesFake(t, env, db, srv)

	out := runBin(t, env, "", "logout")
	if out.code != 0 || !strings.Contains(out.stdout, "Removed") {
		t.Fatalf("logout: exit %d: %q %q", out.code, out.stdout, out.stderr)
	}
	if _, err := os.Stat(credFile); err == nil {
		if b, _ := os.ReadFile(credFile); strings.Contains(string(b), fakelever.KeyFull) {
			t.Fatal("logout left the key in the credentials file")
		}
	}
	again := runBin(t, env, "", append([]string{"sync", "--db", db}, fastSync...)...)
	if again.code != exitNoKey {
		t.Fatalf("sync after logout: exit %d, want %d", again.code, exitNoKey)
	}
}

func TestResetAsksThenDeletes(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 8, Opportunities: 50})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	res := runBin(t, env, "", "reset", "--db", db)
	if res.code != exitUsage || !strings.Contains(res.stderr, "--yes") {
		t.Fatalf("reset without a terminal or --yes: exit %d: %q", res.code, res.stderr)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal("reset deleted the file without confirmation")
	}
	res = runBin(t, env, "", "reset", "--db", db, "--yes")
	if res.code != 0 {
		t.Fatalf("reset --yes: exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("the data file is still there: %v", err)
	}
}

// TestSavedKeyGoesOnlyToItsRoot: a key saved for one API root is never sent
// to another (another host, or the same host's sandbox root); a key given in
// the command goes where the command says.
func TestSavedKeyGoesOnlyToItsRoot(t *testing.T) {
	a := startFake(t, fakelever.Config{Seed: 8, Opportunities: 30})
	other := startFake(t, fakelever.Config{Seed: 9, Opportunities: 30})
	env := isolatedEnv(t)
	if res := runBin(t, env, fakelever.KeyFull+"\n", "login", "--key-stdin", "--base-url", a.URL()); res.code != 0 {
		t.Fatalf("login: exit %d: %s", res.code, res.stderr)
	}
	dir := t.TempDir()
	for _, root := range []string{other.URL(), a.SandboxURL()} {
		before := other.Stats().Requests + a.Stats().Requests
		res := runBin(t, env, "", append([]string{"sync", "--base-url", root, "--db", filepath.Join(dir, "x.db")}, fastSync...)...)
		if res.code != exitNoKey {
			t.Errorf("sync --base-url %s with a key saved for %s: exit %d, want %d: %s", root, a.URL(), res.code, exitNoKey, res.stderr)
		}
		if after := other.Stats().Requests + a.Stats().Requests; after != before {
			t.Errorf("sync --base-url %s sent %d requests with a key saved for another root", root, after-before)
		}
	}
	if res := runBin(t, env, "", append([]string{"sync", "--base-url", a.URL(), "--db", filepath.Join(dir, "a.db")}, fastSync...)...); res.code != 0 {
		t.Errorf("sync --base-url with the root the key was saved for: exit %d: %s", res.code, res.stderr)
	}
	if res := runBin(t, env, "", append([]string{"sync", "--db", filepath.Join(dir, "a.db")}, fastSync...)...); res.code != 0 {
		t.Errorf("sync with the saved root and key: exit %d: %s", res.code, res.stderr)
	}
	withKey := append(append([]string{}, env...), "LEVER_API_KEY="+fakelever.KeyFull)
	if res := runBin(t, withKey, "", append([]string{"sync", "--base-url", other.URL(), "--db", filepath.Join(dir, "o.db")}, fastSync...)...); res.code != 0 {
		t.Errorf("LEVER_API_KEY with --base-url: exit %d: %s", res.code, res.stderr)
	}
}

// TestOfflineLoginSaysWhatFailed: with nothing answering at the API root,
// login says within seconds which host it could not reach and what to do,
// exits 5, and saves nothing.
func TestOfflineLoginSaysWhatFailed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	ln.Close() // nothing listens there now: every connection is refused
	env := isolatedEnv(t)
	start := time.Now()
	res := runBin(t, env, fakelever.KeyFull+"\n", "login", "--key-stdin", "--base-url", "http://"+host+"/v1")
	took := time.Since(start)
	if res.code != exitUnavailable {
		t.Errorf("offline login: exit %d, want %d: %s", res.code, exitUnavailable, res.stderr)
	}
	if took > 20*time.Second {
		t.Errorf("offline login took %v before saying anything useful", took.Round(time.Second))
	}
	for _, want := range []string{host, "network", "leversync login"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("offline login's message does not name %q: %s", want, res.stderr)
		}
	}
	if strings.Contains(res.stderr, "context deadline exceeded") {
		t.Errorf("offline login says only that a deadline passed: %s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimPrefix(env[0], "HOME="), "config", "leversync", "credentials.json")); err == nil {
		t.Error("an unchecked key was saved")
	}
}

// TestOfflineSyncSaysItRetries: a sync whose API root refuses every
// connection says so at each retry, before it gives up (plain lines, and
// retry events with --json), and its error names the command that checks
// the connection. Before, it was silent until it gave up, a minute later.
func TestOfflineSyncSaysItRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	ln.Close() // nothing listens there now: every connection is refused
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	args := []string{"sync", "--base-url", "http://" + host + "/v1", "--db", db, "--retries", "2", "--backoff", "10ms"}
	res := runBin(t, env, "", args...)
	if res.code != exitUnavailable || strings.Count(res.stderr, "retrying after") != 2 || !strings.Contains(res.stderr, "leversync doctor") {
		t.Errorf("offline sync: exit %d, want %d with two retry lines and 'leversync doctor':\n%s", res.code, exitUnavailable, res.stderr)
	}
	res = runBin(t, env, "", append(args, "--json")...)
	if res.code != exitUnavailable || strings.Count(res.stdout, `"type":"retry"`) != 2 {
		t.Errorf("offline sync --json: exit %d, want %d with two retry events:\n%s", res.code, exitUnavailable, res.stdout)
	}
}
