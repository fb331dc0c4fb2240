package main

import (
	"crypto/sha256"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/store"
)

// restartFake stops srv and starts a fake with cfg on the same address, so
// the API root stays the same while the account behind it changes.
func restartFake(t *testing.T, srv *fakelever.Server, cfg fakelever.Config) *fakelever.Server {
	t.Helper()
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	cfg.Rate = -1
	next, err := fakelever.Start(cfg, u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { next.Close() })
	return next
}

// fileHash is the SHA-256 of the file at path.
func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// statusOf is `status --json` of db.
func statusOf(t *testing.T, env []string, db string) statusReport {
	t.Helper()
	res := runBin(t, env, "", "status", "--db", db, "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); res.code != 0 || err != nil {
		t.Fatalf("status --json: exit %d, %v: %s %s", res.code, err, res.stdout, res.stderr)
	}
	return rep
}

// TestDataFileHoldsOneAccount: a data file is bound to one Lever account.
// Another API root (another host, the sandbox root of the same host) or
// another account answering at the same root is refused with exit 6 and
// the fix, before anything is written; the same account syncs on.
func TestDataFileHoldsOneAccount(t *testing.T) {
	a := startFake(t, fakelever.Config{Seed: 31, Opportunities: 60})
	b := startFake(t, fakelever.Config{Seed: 32, Opportunities: 60})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "x.db")
	if res := runBin(t, env, "", syncArgs(a, db)...); res.code != 0 {
		t.Fatalf("first sync: exit %d: %s", res.code, res.stderr)
	}
	want := fileHash(t, db)
	refused := func(name string, env []string, args []string, says string) {
		t.Helper()
		res := runBin(t, env, "", args...)
		if res.code != exitStore {
			t.Fatalf("%s: exit %d, want %d: %s", name, res.code, exitStore, res.stderr)
		}
		for _, s := range []string{says, "--db", "leversync reset"} {
			if !strings.Contains(res.stderr, s) {
				t.Errorf("%s: the error does not say %q: %s", name, s, res.stderr)
			}
		}
		if fileHash(t, db) != want {
			t.Fatalf("%s: the refused sync wrote to the data file", name)
		}
	}
	refused("another host", env, syncArgs(b, db), a.URL())
	refused("the sandbox root of the same fake", keyEnv(t, fakelever.KeySandbox),
		append([]string{"sync", "--base-url", a.SandboxURL(), "--db", db}, fastSync...), a.URL())

	// The same root, now answering for another account.
	other := restartFake(t, a, fakelever.Config{Seed: 33, Opportunities: 60})
	refused("another account at the same root", env, syncArgs(other, db), "another Lever account")
	if rep := statusOf(t, env, db); rep.BaseURL != a.URL() {
		t.Fatalf("status names %s, want the file's own root %s", rep.BaseURL, a.URL())
	}

	// The first account again, its root spelled another way: it syncs on.
	again := restartFake(t, other, fakelever.Config{Seed: 31, Opportunities: 60})
	spelled := strings.Replace(again.URL(), "/v1", "/v1/", 1)
	if res := runBin(t, env, "", append([]string{"sync", "--base-url", spelled, "--db", db}, fastSync...)...); res.code != 0 {
		t.Fatalf("the same account: exit %d: %s", res.code, res.stderr)
	}
	assertStoreMatchesFake(t, env, db, again)
}

// TestOlderDataFileAdoptsItsAccount: a file bound by an earlier leversync
// (environment and API root only) keeps syncing at its root, and from then
// on refuses another account there.
func TestOlderDataFileAdoptsItsAccount(t *testing.T) {
	a := startFake(t, fakelever.Config{Seed: 41, Opportunities: 30})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "old.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// What an earlier leversync recorded: no fingerprint.
	if err := st.Bind(lever.Custom, a.URL(), nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if res := runBin(t, env, "", syncArgs(a, db)...); res.code != 0 {
		t.Fatalf("sync of an older file at its root: exit %d: %s", res.code, res.stderr)
	}
	other := restartFake(t, a, fakelever.Config{Seed: 42, Opportunities: 30})
	if res := runBin(t, env, "", syncArgs(other, db)...); res.code != exitStore || !strings.Contains(res.stderr, "another Lever account") {
		t.Fatalf("another account at the older file's root: exit %d: %s", res.code, res.stderr)
	}
}
