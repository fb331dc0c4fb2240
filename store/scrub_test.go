package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// FileText is fileText for the tests of package store_test, which sync
// through app and so have no open store: every byte of the file at path,
// free pages included, then the JSON of every compressed record found in
// it, decoded with the file's dictionaries.
func FileText(t *testing.T, path string) []byte {
	t.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return fileText(t, s, path)
}

// OpportunityPagesFill is how full the leaf pages of the file's
// opportunities are, in bytes used over their size: about two-thirds as a
// sync writes them in Lever's random id order, nearly full once packed.
func OpportunityPagesFill(t *testing.T, path string) float64 {
	t.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fill float64
	if err := s.view(func(tx *bolt.Tx) error {
		st := tx.Bucket([]byte(lever.Opportunities)).Stats()
		fill = float64(st.LeafInuse) / float64(st.LeafPageN*tx.DB().Info().PageSize)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return fill
}

// changed is opportunity id as opportunityJSON makes it, with the fields
// in set replaced.
func changed(id string, updatedAt int64, set map[string]any) lever.Record {
	var o map[string]any
	if err := json.Unmarshal(opportunityJSON(id, updatedAt, "post-a"), &o); err != nil {
		panic(err)
	}
	for k, v := range set {
		o[k] = v
	}
	raw, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return record(lever.Opportunities, id, "", string(raw))
}

func scrubbed(t *testing.T, s *Store) bool {
	t.Helper()
	done, err := s.Scrub()
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// marked reports whether the file is marked for Scrub.
func marked(t *testing.T, s *Store) bool { return hasMeta(t, s, keyScrub) }

// hasMeta reports whether the file's meta bucket holds key.
func hasMeta(t *testing.T, s *Store, key []byte) bool {
	t.Helper()
	var set bool
	if err := s.view(func(tx *bolt.Tx) error { set = tx.Bucket(bucketMeta).Get(key) != nil; return nil }); err != nil {
		t.Fatal(err)
	}
	return set
}

func notes(parent string, texts ...string) syncer.Batch {
	b := syncer.Batch{Resource: lever.Notes, Replace: parent}
	for i, text := range texts {
		id := fmt.Sprintf("note-%s-%d", parent, i)
		b.Upserts = append(b.Upserts, record(lever.Notes, id, parent, fmt.Sprintf(`{"id":%q,"value":%q,"user":"user-1"}`, id, text)))
	}
	return b
}

// anonymized is what Lever serves for opportunity id after a
// data-protection request.
func anonymized(id string, updatedAt int64) lever.Record {
	return changed(id, updatedAt, map[string]any{"isAnonymized": true, "name": "", "headline": "", "emails": []string{},
		"phones": []any{}, "links": []string{}, "location": nil})
}

// Deleting, anonymizing or overwriting a candidate with other personal
// data, or dropping a note, marks the file in the same commit; a change
// that drops no personal text (a stage move, an owner or tags changed, a
// page read again, the same notes) does not. The removed data is in free
// pages until Scrub rewrites the file, which leaves none of it, even
// decoded, and every live record.
func TestScrubLeavesNoRemovedPersonalData(t *testing.T) {
	s := newStore(t)
	path := s.path
	for p := range 4 { // enough for a dictionary: most records are compressed
		var page []lever.Record
		for i := p * 100; i < (p+1)*100; i++ {
			page = append(page, opportunity(fmt.Sprintf("opp-%04d", i), 1, "post-a"))
		}
		mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
	}
	for i := 0; i < 40; i++ {
		mustCommit(t, s, notes(fmt.Sprintf("opp-%04d", i), fmt.Sprintf("kept remark about opp-%04d", i), fmt.Sprintf("salary wish of opp-%04d: 90k", i)))
	}
	if marked(t, s) || scrubbed(t, s) {
		t.Fatal("new records alone asked for a rewrite")
	}

	for name, b := range map[string]syncer.Batch{
		"a stage move, another owner, no tags": {Resource: lever.Opportunities, Upserts: []lever.Record{
			changed("opp-0010", 2, map[string]any{"stage": "lead-responded", "tags": []string{}, "owner": "user-9", "followers": []string{}})}},
		"a page read again": {Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-0011", 1, "post-a")}},
		"the same notes":    notes("opp-0012", "kept remark about opp-0012", "salary wish of opp-0012: 90k"),
	} {
		mustCommit(t, s, b)
		if marked(t, s) {
			t.Fatalf("%s marked the file for a rewrite", name)
		}
	}
	// In this order: the user deleted is the one whose email changed.
	for _, c := range []struct {
		name string
		b    syncer.Batch
	}{
		{"an email replaced", syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
			changed("opp-0001", 3, map[string]any{"emails": []string{"new-0001@example.net"}})}}},
		{"anonymized", syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{anonymized("opp-0002", 3)}}},
		{"deleted", syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "opp-0003", DeletedAt: 4}}}},
		{"a note removed", notes("opp-0004", "kept remark about opp-0004")},
		{"a user's email", syncer.Batch{Resource: lever.Users, Upserts: []lever.Record{record(lever.Users, "user-1", "", `{"id":"user-1","name":"Ann Lee","email":"ann@new.example"}`)}}},
		{"a user deleted", syncer.Batch{Resource: lever.Users, Deletes: []lever.Deletion{{ID: "user-1", DeletedAt: 5}}}},
		{"deleted with its notes", syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "opp-0005", DeletedAt: 4}}}},
	} {
		name, b := c.name, c.b
		if name == "a user's email" {
			mustCommit(t, s, syncer.Batch{Resource: lever.Users, Upserts: []lever.Record{record(lever.Users, "user-1", "", `{"id":"user-1","name":"Ann Lee","email":"ann@old.example"}`)}})
		}
		mustCommit(t, s, b)
		if !marked(t, s) {
			t.Fatalf("%s: the file is not marked for a rewrite", name)
		}
		if !scrubbed(t, s) || marked(t, s) {
			t.Fatalf("%s: Scrub did not rewrite the file, or left the mark", name)
		}
	}

	// All at once, in one commit, as a sync's page would: the old bytes
	// are in free pages, then gone.
	gone := []string{
		"opp-0021@example.com",                                               // overwritten: a new email
		"Candidate opp-0022", "opp-0022@example.com", "example.com/opp-0022", // anonymized
		"Candidate opp-0023", "opp-0023@example.com", "kept remark about opp-0023", // deleted, with its notes
		"salary wish of opp-0024", // a note Lever no longer returns
	}
	mustCommit(t, s,
		syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
			changed("opp-0021", 3, map[string]any{"emails": []string{"new-0021@example.net"}}),
			anonymized("opp-0022", 3),
		}, Deletes: []lever.Deletion{{ID: "opp-0023", DeletedAt: 4}}},
		notes("opp-0024", "kept remark about opp-0024"))
	raw := fileText(t, s, path)
	for _, g := range gone {
		if !bytes.Contains(raw, []byte(g)) {
			t.Errorf("%q is not in the file's free pages before Scrub: the search would prove nothing", g)
		}
	}
	if !scrubbed(t, s) {
		t.Fatal("Scrub did not rewrite a file that lost personal data")
	}
	raw = fileText(t, s, path)
	for _, g := range gone {
		if bytes.Contains(raw, []byte(g)) {
			t.Errorf("the scrubbed file still holds %q", g)
		}
	}
	for _, live := range []string{"new-0021@example.net", "opp-0025@example.com", "Candidate opp-0399", "kept remark about opp-0024", "salary wish of opp-0030"} {
		if !bytes.Contains(raw, []byte(live)) {
			t.Errorf("live data %q is missing from the scrubbed file", live)
		}
	}
	if scrubbed(t, s) {
		t.Fatal("a second Scrub rewrote the file again")
	}
	mustCheck(t, s)
	if c, _ := s.Counts(); c[lever.Opportunities] != 397 || c[lever.Notes] != 72 { // 80, less opp-0003, 0005 and 0023 (deleted), one of 0004 and of 0024
		t.Fatalf("counts after the rewrites: %v", c)
	}
}

// The mark is written with the commit that removes the data, so a process
// killed before it scrubs leaves the work to the next one.
func TestScrubMarkOutlivesTheProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-1", 1, "post-a"), opportunity("opp-2", 1, "post-a")}})
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "opp-1", DeletedAt: 2}, {ID: "never-stored", DeletedAt: 2}}})
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !scrubbed(t, s) {
		t.Fatal("the mark of a deletion did not outlive the process")
	}

	// A tombstone for a record the file never held removes nothing.
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: "never-stored-either", DeletedAt: 3}}})
	if scrubbed(t, s) {
		t.Fatal("a tombstone for a record never stored asked for a rewrite")
	}
}

// While the file is rewritten and the new one takes its place, no other
// writer gets in: every open for writing meanwhile is ErrInUse, and a
// reader ends up on the new file.
func TestCompactLetsNoSecondWriterIn(t *testing.T) {
	s := newStore(t)
	commitOpportunities(t, s, 0, 300)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	opens := 0
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			o, err := Open(s.path, Options{Timeout: 20 * time.Millisecond})
			opens++
			if err == nil {
				o.Close()
				errs <- errors.New("a second writer opened the file during compactions")
				return
			}
			if !errors.Is(err, ErrInUse) {
				errs <- fmt.Errorf("a second writer got %v, want ErrInUse", err)
				return
			}
		}
	})
	for i := range 8 {
		mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: fmt.Sprintf("%08x-1111-4222-8333-%012x", i*7919, i), DeletedAt: 9}}})
		if !scrubbed(t, s) {
			t.Fatal("no rewrite after a deletion")
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if opens < 8 {
		t.Fatalf("only %d opens tried: the test proves little", opens)
	}
	if _, err := os.Stat(s.path + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the temporary file was left behind")
	}
	mustCheck(t, s)
}

// FuzzPersonalText: the scanner that finds a stored record's personal
// text, run inside every commit that replaces a record, never panics on
// damaged bytes, finds in valid JSON exactly the strings that decoding the
// whole value finds outside structural fields, and never finds that a
// record drops text it keeps.
func FuzzPersonalText(f *testing.F) {
	f.Add([]byte(opportunityJSON("opp-1", 1, "post-a")))
	f.Add([]byte(`{"id":"n","value":"caf\u00e9 \"quoted\" \\ done","user":"u","fields":[{"text":"x","value":[1,true,null,{"a":"b"}]}]}`))
	f.Add([]byte(`["a",{"stage":{"text":"hidden"}},-1.5e3,"",false]`))
	f.Add([]byte(`{"a":"\ud83d\ude00","b":"\u0000"}`))
	f.Add([]byte(`{"a":`))
	f.Add([]byte(`{"a":"x","a":"y"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := map[string]bool{}
		err := personalText(raw, func(s []byte) { got[string(s)] = true })
		if !json.Valid(raw) || !utf8.Valid(raw) {
			return
		}
		if err != nil {
			t.Fatalf("valid JSON %q: %v", raw, err)
		}
		// The oracle: encoding/json's tokens, which keep duplicate keys as
		// the scanner does.
		want := map[string]bool{}
		d := json.NewDecoder(bytes.NewReader(raw))
		var walk func(skip bool)
		walk = func(skip bool) {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch x := tok.(type) {
			case string:
				if x != "" && !skip {
					want[x] = true
				}
			case json.Delim:
				for d.More() {
					if x == '{' {
						k, err := d.Token()
						if err != nil {
							t.Fatal(err)
						}
						walk(skip || structural[k.(string)])
					} else {
						walk(skip)
					}
				}
				if _, err := d.Token(); err != nil {
					t.Fatal(err)
				}
			}
		}
		walk(false)
		if !maps.Equal(got, want) {
			t.Fatalf("%q: found %q, decoding finds %q", raw, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		if drops, err := dropsText(raw, raw); err != nil || drops {
			t.Fatalf("%q drops its own text (%v)", raw, err)
		}
	})
}

// TestCommitReplacesADeeplyNestedRecord: a record nested as deep as Lever's
// records are read (lever's decoder refuses deeper than encoding/json, 10,000
// levels) is replaced like any other, its dropped text found: a limit of
// its own here made every later commit of that record fail, and the sync
// with it.
func TestCommitReplacesADeeplyNestedRecord(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deep := func(email string) any {
		var v any = []any{email}
		for range 5000 {
			v = []any{v}
		}
		return v
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
		changed("opp-deep", 1, map[string]any{"custom": deep("deep@example.com")})}})
	if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{
		changed("opp-deep", 2, map[string]any{"custom": deep("other@example.com")})}}); err != nil {
		t.Fatalf("replacing a record nested 5,000 levels deep: %v", err)
	}
	if !marked(t, s) {
		t.Error("the replaced record dropped an email, but the file is not marked for a scrub")
	}
}
