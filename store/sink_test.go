package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func TestUpsertReplacesRecord(t *testing.T) {
	s := newStore(t)
	first := opportunity("opp-1", 100, "post-a")
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{first}})
	second := opportunity("opp-1", 200, "post-a")
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{second}})

	if got := stored(t, s, lever.Opportunities, "opp-1"); !bytes.Equal(got, second.Raw) {
		t.Fatalf("stored raw is not the second upsert:\n%s", got)
	}
	counts, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[lever.Opportunities] != 1 {
		t.Fatalf("count = %d after upserting one id twice, want 1", counts[lever.Opportunities])
	}
	mustCheck(t, s)
}

func TestIndexFollowsPostingChanges(t *testing.T) {
	s := newStore(t)
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
		opportunity("opp-1", 1, "post-a", "post-b"),
		opportunity("opp-2", 1, "post-a"),
	}})
	assertCandidates(t, s, "post-a", "opp-1", "opp-2")
	assertCandidates(t, s, "post-b", "opp-1")

	// opp-1 moves from a+b to c.
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-1", 2, "post-c")}})
	assertCandidates(t, s, "post-a", "opp-2")
	assertCandidates(t, s, "post-b")
	assertCandidates(t, s, "post-c", "opp-1")
	mustCheck(t, s)
}

func assertCandidates(t *testing.T, s *Store, posting string, want ...string) {
	t.Helper()
	cs, err := s.OpportunitiesOfPosting(posting)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("candidates of %s = %v, want %v", posting, got, want)
	}
}

func TestDeletionRemovesRecordIndexAndDetail(t *testing.T) {
	s := newStore(t)
	mustCommit(t, s,
		syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-1", 1, "post-a"), opportunity("opp-2", 1, "post-a")}},
		syncer.Batch{Resource: lever.Notes, Upserts: []lever.Record{
			record(lever.Notes, "note-1", "opp-1", `{"id":"note-1","value":"private remark about opp-1"}`),
			record(lever.Notes, "note-2", "opp-2", `{"id":"note-2","value":"about opp-2"}`),
		}},
		syncer.Batch{Resource: lever.Offers, Upserts: []lever.Record{record(lever.Offers, "offer-1", "opp-1", `{"id":"offer-1"}`)}},
	)
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "opp-1", DeletedAt: 5000}},
		Checkpoint: syncer.Checkpoint{Stream: "opportunities/deleted", Offset: "next"}})

	if got := stored(t, s, lever.Opportunities, "opp-1"); got != nil {
		t.Fatalf("deleted opportunity still stored: %s", got)
	}
	assertCandidates(t, s, "post-a", "opp-2")
	if ids := exportIDs(t, s, lever.Notes, false); !slices.Equal(ids, []string{"note-2"}) {
		t.Fatalf("notes after deleting opp-1 = %v, want [note-2]", ids)
	}
	if ids := exportIDs(t, s, lever.Offers, false); len(ids) != 0 {
		t.Fatalf("offers after deleting opp-1 = %v, want none", ids)
	}
	var tomb []byte
	err := s.Export(lever.Opportunities, true, func(id string, raw []byte) error {
		if id == "opp-1" {
			tomb = append([]byte(nil), raw...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"opp-1","deletedAt":5000,"deleted":true}`; string(tomb) != want {
		t.Fatalf("tombstone = %s, want %s", tomb, want)
	}
	counts, _ := s.Counts()
	deleted, _ := s.DeletedCounts()
	if counts[lever.Opportunities] != 1 || counts[lever.Notes] != 1 || counts[lever.Offers] != 0 || deleted[lever.Opportunities] != 1 {
		t.Fatalf("counts %v deleted %v", counts, deleted)
	}
	if ids, _ := s.OpportunityIDs("", 0, 10); !slices.Equal(ids, []string{"opp-2"}) {
		t.Fatalf("OpportunityIDs = %v, want [opp-2]", ids)
	}
	// Nothing of the deleted candidate is readable in any bucket.
	err = s.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Contains(v, []byte("opp-1@example.com")) || bytes.Contains(v, []byte("private remark")) {
					return fmt.Errorf("bucket %s key %q still holds the deleted candidate's data", name, k)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}

	// The record coming back lifts its tombstone.
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-1", 9, "post-b")}})
	if deleted, _ := s.DeletedCounts(); deleted[lever.Opportunities] != 0 {
		t.Fatalf("tombstone kept after the record came back: %v", deleted)
	}
	mustCheck(t, s)
}

func TestReplaceDeletesOldDetail(t *testing.T) {
	s := newStore(t)
	note := func(id, parent string) lever.Record {
		return record(lever.Notes, id, parent, fmt.Sprintf(`{"id":%q,"value":"v"}`, id))
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Notes, Replace: "opp-1", Upserts: []lever.Record{note("n1", "opp-1"), note("n2", "opp-1")}},
		syncer.Batch{Resource: lever.Notes, Replace: "opp-2", Upserts: []lever.Record{note("n3", "opp-2")}})
	mustCommit(t, s, syncer.Batch{Resource: lever.Notes, Replace: "opp-1", Upserts: []lever.Record{note("n4", "opp-1")},
		Checkpoint: syncer.Checkpoint{Stream: "notes", Cursor: "opp-1"}})

	if ids := exportIDs(t, s, lever.Notes, false); !slices.Equal(ids, []string{"n4", "n3"}) {
		t.Fatalf("notes = %v, want [n4 n3] (opp-1's old notes replaced, opp-2's kept)", ids)
	}
	if c, _ := s.Counts(); c[lever.Notes] != 2 {
		t.Fatalf("notes count = %d, want 2", c[lever.Notes])
	}
	if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Replace: "opp-1"}); err == nil {
		t.Fatal("Replace on a list resource was accepted")
	}
	mustCheck(t, s)
}

func TestCommitIsAllOrNothing(t *testing.T) {
	s := newStore(t)
	good := syncer.Batch{Resource: lever.Postings, Upserts: []lever.Record{record(lever.Postings, "post-a", "", `{"id":"post-a","text":"Engineer"}`)},
		Checkpoint: syncer.Checkpoint{Stream: "postings", Offset: "tok"}}
	// Commit takes records as lever.DecodeRecord made them and does not parse
	// their JSON again; a record without an id is what it refuses.
	bad := syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{{Raw: json.RawMessage(`{"name":"no id"}`)}}}
	if err := s.Commit(good, bad); err == nil {
		t.Fatal("a batch with a record without an id was accepted")
	}
	if c, _ := s.Counts(); c[lever.Postings] != 0 {
		t.Fatalf("postings = %d after a failed commit, want 0", c[lever.Postings])
	}
	if _, ok, _ := s.Checkpoint("postings"); ok {
		t.Fatal("checkpoint kept after a failed commit")
	}
}

// A page too big for the disk leaves no record and no checkpoint, and the
// same commit succeeds once there is room.
func TestDiskFullRollsBack(t *testing.T) {
	path := t.TempDir() + "/full.db"
	s, err := Open(path, Options{MaxSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var page syncer.Batch
	page.Resource = lever.Opportunities
	for i := range 300 {
		page.Upserts = append(page.Upserts, opportunity(fmt.Sprintf("opp-%04d", i), int64(i+1), "post-a"))
	}
	page.Checkpoint = syncer.Checkpoint{Stream: "opportunities", Offset: "page-2", Records: 300}

	err = s.Commit(page)
	wantErr(t, err, ErrDiskFull)
	if c, _ := s.Counts(); c[lever.Opportunities] != 0 {
		t.Fatalf("%d opportunities kept after a failed commit", c[lever.Opportunities])
	}
	if _, ok, _ := s.Checkpoint("opportunities"); ok {
		t.Fatal("checkpoint kept after a failed commit")
	}
	mustCheck(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCommit(t, s, page)
	if c, _ := s.Counts(); c[lever.Opportunities] != 300 {
		t.Fatalf("%d opportunities after retrying, want 300", c[lever.Opportunities])
	}
	if cp, ok, _ := s.Checkpoint("opportunities"); !ok || cp.Offset != "page-2" {
		t.Fatalf("checkpoint after retry = %+v %v", cp, ok)
	}
	mustCheck(t, s)
}

func TestRunStateAndCheckpoints(t *testing.T) {
	s := newStore(t)
	if cur, last, err := s.LoadRun(); err != nil || cur != nil || last != nil {
		t.Fatalf("new store LoadRun = %v %v %v", cur, last, err)
	}
	run := syncer.RunState{ID: "r1", Full: true, StartedAt: 10}
	if err := s.StartRun(run); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, syncer.Batch{Checkpoint: syncer.Checkpoint{Stream: "users", Offset: "t1", Records: 100}})
	if cp, ok, err := s.Checkpoint("users"); err != nil || !ok || cp.Offset != "t1" || cp.Records != 100 {
		t.Fatalf("checkpoint = %+v %v %v", cp, ok, err)
	}
	run.ServerStartedAt = 9
	if err := s.UpdateRun(run); err != nil {
		t.Fatal(err)
	}
	cur, _, _ := s.LoadRun()
	if cur == nil || cur.ServerStartedAt != 9 {
		t.Fatalf("current run = %+v, want the updated one", cur)
	}

	// A new run starts every stream over.
	if err := s.StartRun(syncer.RunState{ID: "r2"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Checkpoint("users"); ok {
		t.Fatal("StartRun kept a checkpoint")
	}
	mustCommit(t, s, syncer.Batch{Checkpoint: syncer.Checkpoint{Stream: "users", Done: true}})
	done := syncer.RunState{ID: "r2", FinishedAt: 20, Result: syncer.ResultOK, Totals: map[lever.Resource]int{lever.Users: 3}}
	if err := s.FinishRun(done); err != nil {
		t.Fatal(err)
	}
	cur, last, err := s.LoadRun()
	if err != nil || cur != nil || last == nil || last.ID != "r2" || last.Totals[lever.Users] != 3 {
		t.Fatalf("after FinishRun: current %+v last %+v err %v", cur, last, err)
	}
	if _, ok, _ := s.Checkpoint("users"); ok {
		t.Fatal("FinishRun kept a checkpoint")
	}
	if last.Result != syncer.ResultOK {
		t.Fatalf("last run = %+v", last)
	}
}

func TestOpportunityIDs(t *testing.T) {
	s := newStore(t)
	var page []lever.Record
	for i := range 10 {
		page = append(page, opportunity(fmt.Sprintf("opp-%02d", i), int64(i*100), "post-a")) // opp-00 has updatedAt null
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})

	all, _ := s.OpportunityIDs("", 0, 100)
	if len(all) != 10 || all[0] != "opp-00" || all[9] != "opp-09" {
		t.Fatalf("all = %v", all)
	}
	got, _ := s.OpportunityIDs("opp-03", 0, 3)
	if !slices.Equal(got, []string{"opp-04", "opp-05", "opp-06"}) {
		t.Fatalf("after opp-03 limit 3 = %v", got)
	}
	got, _ = s.OpportunityIDs("", 700, 100)
	if !slices.Equal(got, []string{"opp-07", "opp-08", "opp-09"}) {
		t.Fatalf("updated since 700 = %v", got)
	}
	got, _ = s.OpportunityIDs("opp-07", 700, 100)
	if !slices.Equal(got, []string{"opp-08", "opp-09"}) {
		t.Fatalf("after opp-07 updated since 700 = %v", got)
	}
}

func TestCheckFindsInconsistency(t *testing.T) {
	s := newStore(t)
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-1", 1, "post-a")}})
	mustCheck(t, s)
	// Break the index behind the store's back.
	err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPostingIndex).Delete(indexKey("post-a", "opp-1")) })
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.Check(), ErrCorrupt)
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(lever.Users)).Put([]byte("u"), []byte(`{}`)) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check = %v, want ErrCorrupt", err)
	}
}

func TestCommitManyKeepsCheckPassing(t *testing.T) {
	s := newStore(t)
	for round := range 5 {
		var page []lever.Record
		var notes []syncer.Batch
		for i := range 50 {
			id := fmt.Sprintf("opp-%03d", i)
			page = append(page, opportunity(id, int64(round*1000+i), fmt.Sprintf("post-%d", (i+round)%4)))
			notes = append(notes, syncer.Batch{Resource: lever.Notes, Replace: id, Upserts: []lever.Record{
				record(lever.Notes, fmt.Sprintf("n-%d-%d", round, i), id, fmt.Sprintf(`{"id":"n-%d-%d"}`, round, i)),
			}})
		}
		var dels []lever.Deletion
		for i := round; i < 50; i += 7 {
			dels = append(dels, lever.Deletion{ID: fmt.Sprintf("opp-%03d", i), DeletedAt: int64(round)})
		}
		mustCommit(t, s, append([]syncer.Batch{{Resource: lever.Opportunities, Upserts: page}}, notes...)...)
		mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: dels})
		mustCheck(t, s)
	}
}

func TestWholeListTombstonesWhatLeverNoLongerLists(t *testing.T) {
	s := newStore(t)
	tag := func(text string) lever.Record {
		return record(lever.Tags, text, "", `{"text":"`+text+`","count":1}`)
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Tags, Upserts: []lever.Record{tag("a"), tag("b"), tag("c")}})
	// The last page of a complete read brings c; a and c are listed.
	mustCommit(t, s, syncer.Batch{Resource: lever.Tags, Upserts: []lever.Record{tag("c")},
		Whole: &syncer.WholeList{Keys: []string{"a", "c"}, At: 42}})
	if got := exportIDs(t, s, lever.Tags, false); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("tags after a whole read of a and c: %v", got)
	}
	if got := exportIDs(t, s, lever.Tags, true); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("tags with tombstones: %v, want b tombstoned", got)
	}
	// A whole list on a resource Lever does not return whole is refused.
	if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Whole: &syncer.WholeList{}}); err == nil {
		t.Fatal("a whole list of opportunities was accepted")
	}
	mustCheck(t, s)
}

// Missing is what an incremental sync asks before it reads a reference
// list again: a key never stored is missing; one Lever deleted is not,
// since no read would bring it back.
func TestMissingNamesWhatIsNotStored(t *testing.T) {
	s := newStore(t)
	mustCommit(t, s, syncer.Batch{Resource: lever.Tags, Upserts: []lever.Record{{ID: "Go", Raw: []byte(`{"text":"Go","count":1}`)}}},
		syncer.Batch{Resource: lever.Stages, Upserts: []lever.Record{{ID: "stage-1", Raw: []byte(`{"id":"stage-1"}`)}, {ID: "stage-2", Raw: []byte(`{"id":"stage-2"}`)}}})
	mustCommit(t, s, syncer.Batch{Resource: lever.Stages, Deletes: []lever.Deletion{{ID: "stage-2", DeletedAt: 5}}})
	for _, c := range []struct {
		res  lever.Resource
		keys []string
		want bool
	}{
		{lever.Stages, []string{"stage-1"}, false},
		{lever.Stages, []string{"stage-1", "stage-2"}, false},
		{lever.Stages, []string{"stage-2", "stage-3"}, true},
		{lever.Stages, []string{"stage-3"}, true},
		{lever.Tags, []string{"Go"}, false},
		{lever.Tags, []string{"go"}, true},
		{lever.Users, []string{"user-1"}, true},
		{lever.Users, nil, false},
	} {
		got, err := s.Missing(c.res, c.keys)
		if err != nil || got != c.want {
			t.Errorf("Missing(%s, %q) = %v, %v; want %v", c.res, c.keys, got, err, c.want)
		}
	}
	if _, err := s.Missing(lever.Notes, []string{"n"}); err == nil {
		t.Error("Missing of per-opportunity notes: no error")
	}
}
