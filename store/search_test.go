package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func candidate(id, name string, emails ...string) lever.Record {
	quoted := make([]string, len(emails))
	for i, e := range emails {
		quoted[i] = fmt.Sprintf("%q", e)
	}
	return record(lever.Opportunities, id, "", fmt.Sprintf(`{"id":%q,"name":%q,"emails":[%s],"applications":[{"posting":"post-1"}]}`,
		id, name, strings.Join(quoted, ",")))
}

func searchIDs(t *testing.T, s *Store, query string, limit int) ([]string, bool) {
	t.Helper()
	found, more, err := s.SearchOpportunities(query, limit)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range found {
		ids = append(ids, c.ID)
	}
	return ids, more
}

func TestSearchOpportunitiesByNameAndEmail(t *testing.T) {
	s := newStore(t)
	mustCommit(t, s,
		syncer.Batch{Resource: lever.Postings, Upserts: []lever.Record{record(lever.Postings, "post-1", "", `{"id":"post-1","text":"Backend Engineer"}`)}},
		syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
			candidate("o1", "Alice Smith", "alice.smith@example.com"),
			candidate("o2", "Alicia Keys", "ak@music.example"),
			candidate("o3", "Bob Smithers", "bob@example.com", "Bobby@Other.example"),
			candidate("o4", "Mary-Jane Watson", "mj@example.com"),
		}},
	)
	mustCheck(t, s)
	cases := []struct {
		query string
		want  []string
	}{
		{"ali", []string{"o1", "o2"}},       // name words by prefix, sorted by name
		{"ALICE", []string{"o1"}},           // any case
		{"smith", []string{"o1", "o3"}},     // a later word of the name
		{"ali smi", []string{"o1"}},         // every word must match
		{"alice.smith@exa", []string{"o1"}}, // an email by prefix
		{"bobby@other", []string{"o3"}},     // a second email, lower-cased
		{"jane", []string{"o4"}},            // a hyphenated name's parts
		{"example", nil},                    // an email matches from its start only
		{"zed", nil},
		{"   ", nil},
	}
	for _, c := range cases {
		if got, _ := searchIDs(t, s, c.query, 10); !slices.Equal(got, c.want) {
			t.Errorf("search %q = %v, want %v", c.query, got, c.want)
		}
	}
	if got, more := searchIDs(t, s, "a", 1); len(got) != 1 || !more {
		t.Errorf("search \"a\" limited to 1 = %v (more %v), want one and more", got, more)
	}
	found, _, _ := s.SearchOpportunities("bob", 10)
	if len(found) != 1 || !slices.Equal(found[0].Jobs, []string{"Backend Engineer"}) || found[0].Email != "bob@example.com" {
		t.Errorf("search result %+v, want Bob with his job's title", found)
	}

	// A rename moves the candidate in the index; a deletion removes it.
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{candidate("o1", "Alice Jones", "alice.jones@example.com")}})
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "o3", DeletedAt: 5}}})
	for query, want := range map[string][]string{"smith": nil, "jones": {"o1"}, "alice.smith": nil, "bob": nil} {
		if got, _ := searchIDs(t, s, query, 10); !slices.Equal(got, want) {
			t.Errorf("after the changes, search %q = %v, want %v", query, got, want)
		}
	}
	mustCheck(t, s)
}

// TestCheckFindsABrokenSearchIndex: an entry left behind, or one missing,
// is reported as damage.
func TestCheckFindsABrokenSearchIndex(t *testing.T) {
	for name, breakIt := range map[string]func(tx *bolt.Tx) error{
		"stale entry": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketTermIndex).Put(termKey("ghost", "o1"), nil)
		},
		"missing entry": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketTermIndex).Delete(termKey("alice", "o1"))
		},
		"no terms": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketOpportunityTerms).Delete([]byte("o1"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{candidate("o1", "Alice Smith", "a@example.com")}})
			mustCheck(t, s)
			if err := s.update(breakIt); err != nil {
				t.Fatal(err)
			}
			if err := s.Check(); err == nil || !strings.Contains(err.Error(), "search index") && !strings.Contains(err.Error(), "search terms") {
				t.Fatalf("Check = %v, want the search index reported", err)
			}
		})
	}
}
