package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
