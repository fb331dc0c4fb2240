package main

import (
	"encoding/json"
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

// A tag Lever serves with empty text cannot be keyed: the sync skips it
// with a warning that names it, reads everything else, and status counts
// it, in text and --json. The next run is the same, never stuck.
func TestMalformedRecordIsSkippedAndCounted(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 12, Opportunities: 80, MalformedTag: true})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	for run := range 2 {
		res := runBin(t, env, "", syncArgs(srv, db)...)
		if res.code != 0 {
			t.Fatalf("sync %d with a malformed tag: exit %d, want 0; stderr: %s", run+1, res.code, res.stderr)
		}
		if !strings.Contains(res.stderr+res.stdout, "skipped a tags record that cannot be read (record 2 of its page)") {
			t.Errorf("sync %d does not name the skipped record: stderr %q", run+1, res.stderr)
		}
		assertStoreMatchesFake(t, env, db, srv)
	}
	st := runBin(t, env, "", "status", "--db", db)
	if st.code != 0 || !strings.Contains(st.stdout, "skipped (could not be read): tags 1") {
		t.Errorf("status: exit %d, does not count the skipped tag: %s", st.code, st.stdout)
	}
	js := runBin(t, env, "", "status", "--db", db, "--json")
	var rep struct {
		LastRun struct {
			Result  string         `json:"result"`
			Skipped map[string]int `json:"skipped"`
		} `json:"lastRun"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &rep); err != nil || rep.LastRun.Skipped["tags"] != 1 || rep.LastRun.Result != "warnings" {
		t.Errorf("status --json: lastRun.skipped = %v, result %q (%v), want tags 1 and warnings: %s", rep.LastRun.Skipped, rep.LastRun.Result, err, js.stdout)
	}
}

// Reference lists are replaced whole: a user, stage, tag, source, archive
// reason or requisition removed in Lever leaves the copy on the next sync
// that reads the list: a full one, or an incremental one once the list is
// an hour old (lever/syncer's TestSyncIncrementalReadsAListOnlyWhenItAged…).
func TestRemovedListRecordsLeaveTheCopy(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 13, Opportunities: 80})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("first sync: exit %d: %s", res.code, res.stderr)
	}
	for _, r := range []string{"users", "requisitions", "stages", "archive_reasons", "sources", "tags"} {
		if gone := srv.RemoveFromList(r, 2); len(gone) != 2 {
			t.Fatalf("RemoveFromList(%s) took %v", r, gone)
		}
	}
	if res := runBin(t, env, "", syncArgs(srv, db, "--full")...); res.code != 0 {
		t.Fatalf("sync --full after removals: exit %d: %s", res.code, res.stderr)
	}
	assertStoreMatchesFake(t, env, db, srv)
	checkStore(t, db)
}
