package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever/fakelever"
)

// A --details run that cannot finish (the key lacks the notes permission)
// never blocks the next sync: a plain sync drops the detail phase with a
// warning and exits 0, --full starts over keeping the stored data, and
// both end with the exact dataset.
func TestUnfinishedDetailsRunNeverBlocks(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 11, Opportunities: 120})
	env := keyEnv(t, fakelever.KeyNoNotes)
	db := filepath.Join(t.TempDir(), "ls.db")

	res := runBin(t, env, "", syncArgs(srv, db, "--details")...)
	if res.code != exitPermission {
		t.Fatalf("sync --details without the notes permission: exit %d, want %d; stderr: %s", res.code, exitPermission, res.stderr)
	}
	res = runBin(t, env, "", syncArgs(srv, db)...)
	if res.code != 0 {
		t.Fatalf("plain sync after the failed --details run: exit %d, want 0; stderr: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr+res.stdout, "detail") {
		t.Errorf("the plain sync does not warn that the detail phase was dropped: stdout %q stderr %q", res.stdout, res.stderr)
	}
	assertStoreMatchesFake(t, env, db, srv)

	// Fail again, then --full: it starts over and keeps what is stored.
	if res := runBin(t, env, "", syncArgs(srv, db, "--details")...); res.code != exitPermission {
		t.Fatalf("second sync --details: exit %d, want %d; stderr: %s", res.code, exitPermission, res.stderr)
	}
	if res := runBin(t, env, "", syncArgs(srv, db, "--full")...); res.code != 0 {
		t.Fatalf("sync --full after the failed --details run: exit %d, want 0; stderr: %s", res.code, res.stderr)
	}
	assertStoreMatchesFake(t, env, db, srv)
	st := runBin(t, env, "", "status", "--db", db)
	if st.code != 0 {
		t.Fatalf("status: exit %d: %s", st.code, st.stderr)
	}
}
