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

// TestSearchOpportunitiesByNameAndEmail searches a new file, whose index
// is deferred until its first sync ends, and one whose index is built.
func TestSearchOpportunitiesByNameAndEmail(t *testing.T) {
	t.Run("deferred", func(t *testing.T) { testSearch(t, false) })
	t.Run("built", func(t *testing.T) { testSearch(t, true) })
}

func testSearch(t *testing.T, built bool) {
	s := newStore(t)
	if !deferred(t, s) {
		t.Fatal("a new file does not defer its search index")
	}
	mustCommit(t, s,
		syncer.Batch{Resource: lever.Postings, Upserts: []lever.Record{record(lever.Postings, "post-1", "", `{"id":"post-1","text":"Backend Engineer"}`)}},
		syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
			candidate("o1", "Alice Smith", "alice.smith@example.com"),
			candidate("o2", "Alicia Keys", "ak@music.example"),
			candidate("o3", "Bob Smithers", "bob@example.com", "Bobby@Other.example"),
			candidate("o4", "Mary-Jane Watson", "mj@example.com"),
		}},
	)
	if built {
		mustBuildTermIndex(t, s)
	}
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
	afterChanges := func(when string) {
		for query, want := range map[string][]string{"smith": nil, "jones": {"o1"}, "alice.smith": nil, "bob": nil, "ali": {"o1", "o2"}} {
			if got, _ := searchIDs(t, s, query, 10); !slices.Equal(got, want) {
				t.Errorf("%s, search %q = %v, want %v", when, query, got, want)
			}
		}
		mustCheck(t, s)
	}
	afterChanges("after the changes")
	if !built {
		mustBuildTermIndex(t, s)
		afterChanges("once the index is built")
	}
	if deferred(t, s) {
		t.Error("the index is built, and still marked deferred")
	}
}

// deferred reports whether s defers its search index.
func deferred(t *testing.T, s *Store) bool { return hasMeta(t, s, keyTermsDeferred) }

// mustBuildTermIndex builds s's search index as the end of its first sync
// does.
func mustBuildTermIndex(t *testing.T, s *Store) {
	t.Helper()
	if err := s.FinishRun(syncer.RunState{}); err != nil {
		t.Fatal(err)
	}
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
			mustBuildTermIndex(t, s)
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

// TestBuiltIndexIsTheOneKeptPerRecord: the search index a file builds at
// the end of its first sync, in several ranges and transactions, holds
// byte for byte what a file keeping it record by record holds after the
// same commits (new candidates, renames, deletions); a build that stopped
// half-way, leaving stray entries, is started over.
func TestBuiltIndexIsTheOneKeptPerRecord(t *testing.T) {
	defer func(e, p int) { termBuildEntries, termBuildPuts = e, p }(termBuildEntries, termBuildPuts)
	termBuildEntries, termBuildPuts = 40, 7

	kept, built := newStore(t), newStore(t)
	if err := kept.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyTermsDeferred) }); err != nil {
		t.Fatal(err)
	}
	names := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson", "Ada Byron"}
	var pages [][]syncer.Batch
	for p := range 6 {
		var recs []lever.Record
		for i := range 20 {
			n := p*20 + i
			name := fmt.Sprintf("%s %d", names[n%len(names)], n)
			recs = append(recs, candidate(fmt.Sprintf("o%03d", (n*37)%120), name, fmt.Sprintf("c%d@example.com", n)))
		}
		pages = append(pages, []syncer.Batch{{Resource: lever.Opportunities, Upserts: recs}})
	}
	pages = append(pages,
		[]syncer.Batch{{Resource: lever.Opportunities, Upserts: []lever.Record{candidate("o005", "Renamed Person", "new@example.com")}}},
		[]syncer.Batch{{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "o010", DeletedAt: 1}, {ID: "o011", DeletedAt: 1}}}},
	)
	for _, page := range pages {
		mustCommit(t, kept, page...)
		mustCommit(t, built, page...)
	}
	// An earlier build that stopped: stray entries in both buckets.
	if err := built.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketTermIndex).Put(termKey("stray", "o999"), nil); err != nil {
			return err
		}
		return tx.Bucket(bucketOpportunityTerms).Put([]byte("o999"), []byte("stray"))
	}); err != nil {
		t.Fatal(err)
	}
	mustBuildTermIndex(t, built)
	for _, b := range [][]byte{bucketTermIndex, bucketOpportunityTerms} {
		want, got := bucketDump(t, kept, b), bucketDump(t, built, b)
		if len(want) < 100 {
			t.Fatalf("%s holds %d entries: too few to compare", b, len(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s built: %d entries, kept per record: %d\nbuilt: %q\nkept:  %q", b, len(got), len(want), got, want)
		}
	}
	mustCheck(t, built)
	// 18 Ada Lovelaces and 17 Ada Byrons; the renamed and deleted
	// candidates are Alans.
	if got, _ := searchIDs(t, built, "ada", 100); len(got) != 35 {
		t.Errorf("search \"ada\" found %d, want 35", len(got))
	}
}

// bucketDump is every key and value of bucket name, as "key=value".
func bucketDump(t *testing.T, s *Store, name []byte) []string {
	t.Helper()
	var out []string
	if err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(k, v []byte) error {
			out = append(out, string(k)+"="+string(v))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
