package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
	bolt "go.etcd.io/bbolt"
)

// The headless `leversync sync` and the wizard's sync are built by the same
// wiring (app.Start): synced from one fake Lever, their files hold the same
// records, byte for byte, and both equal the fake's data.
func TestHeadlessAndWizardSyncStoreTheSame(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 7, Opportunities: 250, Postings: 12})
	env := keyEnv(t, fakelever.KeyFull)
	dir := t.TempDir()

	headless := filepath.Join(dir, "headless.db")
	if res := runBin(t, env, "", syncArgs(srv, headless)...); res.code != 0 {
		t.Fatalf("headless sync: exit %d: %s", res.code, res.stderr)
	}

	wizard := filepath.Join(dir, "wizard.db")
	svc := app.NewServices(app.ServicesConfig{
		DBPath:   wizard,
		BaseURLs: map[lever.Environment]string{lever.Production: srv.URL()},
		Client:   lever.Options{Rate: -1},
	})
	s := steps.NewState()
	s.Step, s.Completed = steps.StepSync, true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := svc.StartSync(ctx, s, lever.NewAPIKey(fakelever.KeyFull))
	if err != nil {
		t.Fatal(err)
	}
	for range run.Events() {
	}
	if _, err := run.Wait(); err != nil {
		t.Fatalf("wizard sync: %v", err)
	}

	got := exportAll(t, env, wizard)
	want := exportAll(t, env, headless)
	for _, r := range lever.ListResources {
		if got[r] != want[r] {
			t.Errorf("%s: the wizard's file differs from the headless one (%d records against %d)", r, strings.Count(got[r], "\n"), strings.Count(want[r], "\n"))
		}
	}
	assertStoreMatchesFake(t, env, headless, srv)
}

// `leversync jobs` lists what the store's Jobs queries return: every posting
// with its number of candidates, and one job's candidates with stage names.
func TestJobsListsPostingsAndCandidates(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 3, Opportunities: 120, Postings: 8})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "jobs.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}

	res := runBin(t, env, "", "jobs", "--db", db, "--json")
	if res.code != 0 {
		t.Fatalf("jobs: exit %d: %s", res.code, res.stderr)
	}
	var jobs []store.PostingSummary
	if err := json.Unmarshal([]byte(res.stdout), &jobs); err != nil {
		t.Fatalf("jobs --json: %v", err)
	}
	if len(jobs) != len(srv.Expected(string(lever.Postings))) {
		t.Fatalf("jobs lists %d postings, the fake has %d", len(jobs), len(srv.Expected(string(lever.Postings))))
	}
	// Every candidate's application names a posting, so the counts add up
	// to the candidates that applied to a stored job.
	busiest := jobs[0]
	sum := 0
	for _, j := range jobs {
		sum += j.Candidates
		if j.Candidates > busiest.Candidates {
			busiest = j
		}
	}
	if sum == 0 {
		t.Fatal("no job has a candidate")
	}

	res = runBin(t, env, "", "jobs", "--db", db, busiest.ID, "--json")
	if res.code != 0 {
		t.Fatalf("jobs %s: exit %d: %s", busiest.ID, res.code, res.stderr)
	}
	var cands []store.CandidateSummary
	if err := json.Unmarshal([]byte(res.stdout), &cands); err != nil {
		t.Fatal(err)
	}
	if len(cands) != busiest.Candidates {
		t.Errorf("job %s lists %d candidates, its count says %d", busiest.ID, len(cands), busiest.Candidates)
	}
	for _, c := range cands {
		if c.StageID != "" && c.StageText == "" {
			t.Errorf("candidate %s: stage %s has no name", c.ID, c.StageID)
		}
	}

	plain := runBin(t, env, "", "jobs", "--db", db)
	if plain.code != 0 || !strings.Contains(plain.stdout, busiest.Text) || !strings.HasPrefix(plain.stdout, "JOB") {
		t.Errorf("jobs (plain): exit %d, stdout %q", plain.code, plain.stdout)
	}
	if res := runBin(t, env, "", "jobs", "--db", db, "no-such-job"); res.code != 2 || !strings.Contains(res.stderr, "leversync jobs") {
		t.Errorf("unknown job: exit %d, stderr %q; want 2 and the command that lists jobs", res.code, res.stderr)
	}
}

// `status --check` verifies the file: a sound file says so, a damaged one
// exits 6.
func TestStatusCheck(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 5, Opportunities: 60})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "check.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	res := runBin(t, env, "", "status", "--db", db, "--check")
	if res.code != 0 || !strings.Contains(res.stdout, "Integrity: checked, sound") {
		t.Fatalf("status --check: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	if res := runBin(t, env, "", "status", "--db", db); strings.Contains(res.stdout, "Integrity") {
		t.Error("status without --check claims an integrity check")
	}

	// Damage what only the check reads: the stored count of users no longer
	// matches the users stored.
	bdb, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("counts")).Put([]byte(lever.Users), binary.BigEndian.AppendUint64(nil, 999))
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if res := runBin(t, env, "", "status", "--db", db); res.code != 0 {
		t.Fatalf("status without --check of a file with a wrong count: exit %d: %s", res.code, res.stderr)
	}
	res = runBin(t, env, "", "status", "--db", db, "--check")
	if res.code != 6 || !strings.Contains(res.stderr, "inconsistent records") {
		t.Errorf("status --check of a damaged file: exit %d, stderr %q; want 6 naming the damage", res.code, res.stderr)
	}
}

// A sync that deletes records rewrites the file, so a deleted candidate's
// data is not left in bbolt's freed pages. Through compression the deleted
// JSON cannot be seen in the file's bytes, so this counts free pages: the
// rewritten file keeps only the few that bbolt's copy freed of its own
// (its earlier freelist and meta pages), while the same sync without the
// rewrite leaves dozens. (The store's own tests decode every value in the
// file, free pages included, to show the deleted data is gone.)
func TestDeletedCandidatesLeaveTheFile(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 11, Opportunities: 300, Postings: 6})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "deleted.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	srv.DeleteOpportunities(20)
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("incremental sync: exit %d: %s", res.code, res.stderr)
	}
	bdb, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st := bdb.Stats()
	bdb.Close()
	if st.FreePageN+st.PendingPageN > 4 {
		t.Errorf("%d free and %d pending pages after a sync that deleted candidates: the file was not rewritten", st.FreePageN, st.PendingPageN)
	}
	assertStoreMatchesFake(t, env, db, srv)
}
