package lever

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	cases := []struct {
		name     string
		r        Resource
		raw      string
		parent   string
		id       string
		updated  int64
		postings []string
		wantErr  bool
	}{
		// Lever's real shape: archived object, never-updated null updatedAt,
		// fields this project does not know yet (kept in Raw).
		{"real opportunity", Opportunities, `{"id":"o1","stage":"lead-new","archived":{"archivedAt":1700000000000,"reason":"r-hired"},
			"applications":[{"id":"ap","type":"posting","posting":"p1"}],"updatedAt":null,"somethingNew":{"x":1}}`, "", "o1", 0, []string{"p1"}, false},
		// The docs' shape: top-level archivedAt and archiveReason, expanded posting.
		{"documented opportunity", Opportunities, `{"id":"o2","archivedAt":1700000000001,"archiveReason":"r-2",
			"applications":[{"posting":{"id":"p2","text":"Engineer"}}],"updatedAt":1700000000002}`, "", "o2", 1700000000002, []string{"p2"}, false},
		{"closed posting, float updatedAt", Postings, `{"id":"p","state":"closed","distributionChannels":null,"urls":null,"updatedAt":2.0}`, "", "p", 2, nil, false},
		{"note of an opportunity", Notes, `{"id":"n1","text":"Call back","createdAt":1}`, "o1", "n1", 0, nil, false},
		{"expanded applications", Opportunities, `{"id":"o1","updatedAt":12,"applications":[{"id":"a","posting":"p1"},{"posting":{"id":"p2"}}]}`, "", "o1", 12, []string{"p1", "p2"}, false},
		{"application ids", Opportunities, `{"id":"o2","updatedAt":null,"applications":["a1","a2"]}`, "", "o2", 0, nil, false},
		{"no application posting", Opportunities, `{"id":"o3","applications":[{"id":"a","posting":null}]}`, "", "o3", 0, nil, false},
		{"source by text", Sources, `{"text":"LinkedIn","count":3}`, "", "LinkedIn", 0, nil, false},
		{"tag without text", Tags, `{"count":3}`, "", "", 0, nil, true},
		{"no id", Users, `{"name":"x"}`, "", "", 0, nil, true},
		{"not json", Users, `{"id":`, "", "", 0, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := DecodeRecord(c.r, []byte(c.raw), c.parent)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if rec.ID != c.id || rec.UpdatedAt != c.updated || !slices.Equal(rec.PostingIDs, c.postings) || string(rec.Raw) != c.raw || rec.Parent != c.parent {
				t.Errorf("got %+v", rec)
			}
		})
	}
}

// TestDecodeRecordNameAndEmails: an opportunity carries its name and emails
// for the store's search; other records do not.
func TestDecodeRecordNameAndEmails(t *testing.T) {
	rec, err := DecodeRecord(Opportunities, []byte(`{"id":"o1","name":"Ada Lovelace","emails":["ada@example.com","a@b.c"]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "Ada Lovelace" || !slices.Equal(rec.Emails, []string{"ada@example.com", "a@b.c"}) {
		t.Errorf("opportunity decoded as name %q emails %q", rec.Name, rec.Emails)
	}
	rec, err = DecodeRecord(Users, []byte(`{"id":"u1","name":"Grace","emails":["g@example.com"]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "" || rec.Emails != nil {
		t.Errorf("a user decoded with search fields: %q %q", rec.Name, rec.Emails)
	}
}

// TestDeeplyNestedRecordsAreRefused: a record nested deeper than
// encoding/json reads (10,000 levels) is an error, and one nested 100,000,000
// levels deep does not exhaust the stack on the way; one nested 2,000
// levels deep is read.
func TestDeeplyNestedRecordsAreRefused(t *testing.T) {
	nested := func(depth int) json.RawMessage {
		return json.RawMessage(`{"id":"opp-1","x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
	}
	if rec, err := DecodeRecord(Opportunities, nested(2000), ""); err != nil || rec.ID != "opp-1" {
		t.Errorf("a record nested 2,000 levels deep: %+v, %v", rec.ID, err)
	}
	for _, depth := range []int{10_001, 32_000_000} {
		if _, err := DecodeRecord(Opportunities, nested(depth), ""); err == nil {
			t.Errorf("a record nested %d levels deep was read", depth)
		}
	}
}
