package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func TestPostingsAndCandidates(t *testing.T) {
	s := newStore(t)
	mustCommit(t, s,
		syncer.Batch{Resource: lever.Stages, Upserts: []lever.Record{
			record(lever.Stages, "lead-new", "", `{"id":"lead-new","text":"New lead"}`),
			record(lever.Stages, "stage-offer", "", `{"id":"stage-offer","text":"Offer"}`),
		}},
		syncer.Batch{Resource: lever.ArchiveReasons, Upserts: []lever.Record{
			record(lever.ArchiveReasons, "ar-hired", "", `{"id":"ar-hired","text":"Hired","type":"hired"}`),
			record(lever.ArchiveReasons, "ar-withdrew", "", `{"id":"ar-withdrew","text":"Withdrew","type":"non-hired"}`),
		}},
		syncer.Batch{Resource: lever.Users, Upserts: []lever.Record{
			record(lever.Users, "user-1", "", `{"id":"user-1","name":"Rita Recruiter","email":"rita@example.com"}`),
		}},
		syncer.Batch{Resource: lever.Postings, Upserts: []lever.Record{
			record(lever.Postings, "post-b", "", `{"id":"post-b","text":"Backend Engineer","state":"published","confidentiality":"non-confidential",
				"categories":{"team":"Platform","department":"Engineering","location":"Lisbon","commitment":"Full-time"},"createdAt":100,"updatedAt":200,
				"distributionChannels":["public"]}`),
			record(lever.Postings, "post-a", "", `{"id":"post-a","text":"Account Executive","state":"closed","confidentiality":"confidential",
				"categories":{"location":"Remote"},"createdAt":50,"updatedAt":null,"distributionChannels":null,"urls":null}`),
			record(lever.Postings, "post-c", "", `{"id":"post-c","text":"Designer","state":"internal"}`),
		}},
		syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
			// stage as an id, archived as Lever really sends it
			record(lever.Opportunities, "o1", "", `{"id":"o1","name":"zoe Park","emails":["zoe@example.com","z@ex.org"],"stage":"stage-offer",
				"origin":"applied","owner":"user-1","archived":{"archivedAt":300,"reason":"ar-hired"},"createdAt":10,"updatedAt":20,
				"applications":[{"id":"a1","posting":"post-b"}]}`),
			// expanded stage and posting, archived null
			record(lever.Opportunities, "o2", "", `{"id":"o2","name":"Adam Li","emails":[],"stage":{"id":"lead-new","text":"New lead (expanded)"},
				"origin":"sourced","owner":{"id":"user-2","name":"Omar Owner"},"archived":null,"createdAt":11,"updatedAt":null,
				"applications":[{"id":"a2","posting":{"id":"post-b","text":"Backend Engineer"}}]}`),
			// the docs' top-level archive fields, unknown reason id
			record(lever.Opportunities, "o3", "", `{"id":"o3","name":"Bea","emails":["bea@example.com"],"stage":"lead-new",
				"archivedAt":400,"archiveReason":"ar-unknown","applications":[{"posting":"post-a"}]}`),
		}},
	)

	ps, err := s.Postings()
	if err != nil {
		t.Fatal(err)
	}
	want := []PostingSummary{
		{ID: "post-a", Text: "Account Executive", State: "closed", Location: "Remote", Confidential: true, Candidates: 1, CreatedAt: 50},
		{ID: "post-b", Text: "Backend Engineer", State: "published", Team: "Platform", Department: "Engineering", Location: "Lisbon",
			Commitment: "Full-time", Candidates: 2, CreatedAt: 100, UpdatedAt: 200},
		{ID: "post-c", Text: "Designer", State: "internal"},
	}
	if !slices.Equal(ps, want) {
		t.Fatalf("Postings =\n%+v\nwant\n%+v", ps, want)
	}

	cs, err := s.OpportunitiesOfPosting("post-b")
	if err != nil {
		t.Fatal(err)
	}
	wantCS := []CandidateSummary{
		{ID: "o2", Name: "Adam Li", StageID: "lead-new", StageText: "New lead (expanded)", Origin: "sourced", Owner: "Omar Owner", CreatedAt: 11},
		{ID: "o1", Name: "zoe Park", Email: "zoe@example.com", StageID: "stage-offer", StageText: "Offer", Origin: "applied",
			Archived: true, ArchiveReason: "Hired", Owner: "Rita Recruiter", CreatedAt: 10, UpdatedAt: 20},
	}
	if !reflect.DeepEqual(cs, wantCS) {
		t.Fatalf("OpportunitiesOfPosting(post-b) =\n%+v\nwant\n%+v", cs, wantCS)
	}
	cs, _ = s.OpportunitiesOfPosting("post-a")
	if len(cs) != 1 || !cs[0].Archived || cs[0].ArchiveReason != "ar-unknown" || cs[0].StageText != "New lead" {
		t.Fatalf("OpportunitiesOfPosting(post-a) = %+v", cs)
	}
	if cs, _ := s.OpportunitiesOfPosting("post-none"); len(cs) != 0 {
		t.Fatalf("unknown posting has candidates %+v", cs)
	}
}

func TestExportOrderAndTombstones(t *testing.T) {
	s := newStore(t)
	tag := func(text string) lever.Record {
		return record(lever.Tags, text, "", fmt.Sprintf(`{"text":%q,"count":1}`, text))
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Tags, Upserts: []lever.Record{tag("go"), tag("Go"), tag("backend"), tag("zeta")}})
	mustCommit(t, s, syncer.Batch{Resource: lever.Tags, Deletes: []lever.Deletion{{ID: "backend", DeletedAt: 7}, {ID: "absent", DeletedAt: 8}}})

	if ids := exportIDs(t, s, lever.Tags, false); !slices.Equal(ids, []string{"Go", "go", "zeta"}) {
		t.Fatalf("export = %v (sources and tags are keyed by exact, case-sensitive text)", ids)
	}
	var lines []string
	err := s.Export(lever.Tags, true, func(id string, raw []byte) error {
		if !json.Valid(raw) {
			t.Errorf("%s: invalid JSON %s", id, raw)
		}
		lines = append(lines, id+" "+string(raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Go {"text":"Go","count":1}`,
		`absent {"id":"absent","deletedAt":8,"deleted":true}`,
		`backend {"id":"backend","deletedAt":7,"deleted":true}`,
		`go {"text":"go","count":1}`,
		`zeta {"text":"zeta","count":1}`,
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("export --include-deleted =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	stop := fmt.Errorf("stop here")
	n := 0
	if err := s.Export(lever.Tags, false, func(string, []byte) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("an error from fn: got %v after %d calls", err, n)
	}
	if err := s.Export("widgets", false, func(string, []byte) error { return nil }); err == nil {
		t.Fatal("an unknown resource was exported")
	}
}

func TestCountsOfNewStore(t *testing.T) {
	s := newStore(t)
	c, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != len(lever.AllResources) {
		t.Fatalf("Counts has %d resources, want all %d", len(c), len(lever.AllResources))
	}
	for r, n := range c {
		if n != 0 {
			t.Fatalf("%s = %d in a new store", r, n)
		}
	}
}
