package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// commitUntilDictionary commits pages of opportunities until the
// dictionary in use is the want-th, and returns their JSON by id.
func commitUntilDictionary(t *testing.T, s *Store, want uint32) map[string][]byte {
	t.Helper()
	all := map[string][]byte{}
	for n := 0; ; n += 100 {
		var id uint32
		_ = s.view(func(tx *bolt.Tx) error {
			id, _ = dictionaryInUse(tx.Bucket(bucketDictionaryInUse), lever.Opportunities)
			return nil
		})
		if id == want {
			return all
		}
		if n > 5000 {
			t.Fatalf("dictionary %d still in use after %d opportunities, want %d", id, n, want)
		}
		maps.Copy(all, commitOpportunities(t, s, n, n+100))
	}
}

// commitOpportunities commits opportunities from..to-1 a page of 100 at a
// time, as a sync does, and returns their JSON by id.
func commitOpportunities(t *testing.T, s *Store, from, to int) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for lo := from; lo < to; lo += 100 {
		page := syncer.Batch{Resource: lever.Opportunities}
		for i := lo; i < min(lo+100, to); i++ {
			id := fmt.Sprintf("%08x-1111-4222-8333-%012x", i*7919, i)
			rec := opportunity(id, int64(1700000000000+i), fmt.Sprintf("post-%d", i%7))
			page.Upserts = append(page.Upserts, rec)
			out[id] = rec.Raw
		}
		mustCommit(t, s, page)
	}
	return out
}

// dictionaryOf returns the dictionary id a stored value was compressed
// with: -1 for a plain value.
func dictionaryOf(t *testing.T, v []byte) int {
	t.Helper()
	kind, _, body, err := splitValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if kind == valuePlain {
		return -1
	}
	var h zstd.Header
	if err := h.Decode(body); err != nil {
		t.Fatal(err)
	}
	return int(h.DictionaryID)
}

// storedDictionaries counts the opportunities per dictionary id (-1: plain).
func storedDictionaries(t *testing.T, s *Store) map[int]int {
	t.Helper()
	out := map[int]int{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(lever.Opportunities)).ForEach(func(_, v []byte) error {
			out[dictionaryOf(t, v)]++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertExport(t *testing.T, s *Store, want map[string][]byte) {
	t.Helper()
	n := 0
	err := s.Export(lever.Opportunities, false, func(id string, raw []byte) error {
		n++
		if !bytes.Equal(raw, want[id]) {
			return fmt.Errorf("export of %s differs from what was committed:\n%s\nwant\n%s", id, raw, want[id])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("exported %d opportunities, committed %d", n, len(want))
	}
}

// Records are compressed once the resource holds enough of them to train a
// dictionary, and export gives back every byte as committed.
func TestExportThroughCompression(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := commitOpportunities(t, s, 0, 300)
	// Stages are too few to train on: they stay plain.
	stage := record(lever.Stages, "lead-new", "", `{"id":"lead-new","text":"New lead \u00e9\n"}`)
	mustCommit(t, s, syncer.Batch{Resource: lever.Stages, Upserts: []lever.Record{stage}})

	byDict := storedDictionaries(t, s)
	if byDict[-1] != 100 || byDict[1] != 200 {
		t.Fatalf("opportunities per dictionary = %v, want the first page plain and the rest with dictionary 1", byDict)
	}
	assertExport(t, s, want)
	if got := stored(t, s, lever.Stages, "lead-new"); !bytes.Equal(got, stage.Raw) {
		t.Fatalf("stage = %s, want %s", got, stage.Raw)
	}
	mustCheck(t, s)

	// Compressed, 300 records of 2 KB take far less than their JSON.
	raw := 0
	for _, v := range want {
		raw += len(v)
	}
	var stored int
	_ = s.view(func(tx *bolt.Tx) error {
		stored = tx.Bucket([]byte(lever.Opportunities)).Stats().LeafInuse
		return nil
	})
	if stored > raw/2 {
		t.Fatalf("opportunities take %d bytes of pages for %d bytes of JSON", stored, raw)
	}

	// Updates rewrite a record, compressed with the dictionary in use; one
	// far bigger than the compressor's window too.
	updated := opportunity("00000000-1111-4222-8333-000000000000", 1800000000000, "post-9")
	big := opportunity("00000001-1111-4222-8333-000000000001", 1, "post-1")
	big.Raw = bytes.Replace(big.Raw, []byte(`"headline":"`), []byte(`"headline":"`+strings.Repeat("\u00e9t\u00e9 ", 150000)), 1)
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{updated, big}})
	want[updated.ID], want[big.ID] = updated.Raw, big.Raw
	_ = s.view(func(tx *bolt.Tx) error {
		if d := dictionaryOf(t, tx.Bucket([]byte(lever.Opportunities)).Get([]byte(big.ID))); d != 1 {
			t.Errorf("the %d KB record was stored with dictionary %d, want 1", len(big.Raw)>>10, d)
		}
		return nil
	})
	assertExport(t, s, want)
	if ids, _ := s.OpportunityIDs("", 1800000000000, 10); !slices.Equal(ids, []string{updated.ID}) {
		t.Fatalf("updated since = %v, want the updated one", ids)
	}
	if c, _ := s.OpportunitiesOfPosting("post-9"); len(c) != 1 || c[0].ID != updated.ID {
		t.Fatalf("candidates of post-9 = %+v", c)
	}
	mustCheck(t, s)
}

// A new dictionary is trained as the resource grows; records written with
// an older one stay readable, also after the file is opened again.
func TestDictionaryRotationKeepsOldRecordsReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := commitUntilDictionary(t, s, 2)
	maps.Copy(want, commitOpportunities(t, s, 100000, 100100))
	byDict := storedDictionaries(t, s)
	if byDict[-1] == 0 || byDict[1] == 0 || byDict[2] == 0 {
		t.Fatalf("opportunities per dictionary = %v, want plain ones, and ones with dictionaries 1 and 2", byDict)
	}
	err = s.view(func(tx *bolt.Tx) error {
		if id, _ := dictionaryInUse(tx.Bucket(bucketDictionaryInUse), lever.Opportunities); id != 2 {
			return fmt.Errorf("dictionary in use = %d, want 2", id)
		}
		if tx.Bucket(bucketDictionaries).Get(binary.BigEndian.AppendUint32(nil, 1)) == nil {
			return fmt.Errorf("dictionary 1 was dropped while records use it")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	assertExport(t, s, want)
	mustCheck(t, s)
	s.Close()

	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertExport(t, s, want)
	mustCheck(t, s)
}

// A dictionary stays in the file after the records it was trained on are
// deleted, so it must hold no candidate's data: only what many records
// share.
func TestDictionariesHoldNoCandidateData(t *testing.T) {
	s := newStore(t)
	want := commitUntilDictionary(t, s, 2)
	var dicts [][]byte
	_ = s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDictionaries).ForEach(func(_, v []byte) error {
			dicts = append(dicts, bytes.Clone(v))
			return nil
		})
	})
	if len(dicts) != 2 {
		t.Fatalf("%d dictionaries, want 2", len(dicts))
	}
	all := bytes.Join(dicts, nil)
	for _, shared := range []string{`"emails":["`, `"stageChanges":[{"toStageId":"lead-new"`, "https://hire.lever.co/candidates"} {
		if !bytes.Contains(all, []byte(shared)) {
			t.Errorf("the dictionaries lack %q, which every record holds", shared)
		}
	}
	for id := range want {
		suffix := id[strings.LastIndexByte(id, '-')+1:] // unique to the candidate
		if bytes.Contains(all, []byte(suffix)) {
			t.Fatalf("a dictionary holds %s, part of candidate %s's id, name and email", suffix, id)
		}
	}
}

// A stored value that cannot be decoded is ErrCorrupt wherever it is read,
// never a panic, and Check finds it.
func TestCorruptValueIsErrCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commitOpportunities(t, s, 0, 200)
	const victim = "00000000-1111-4222-8333-000000000000" // in the first, plain page
	var good []byte
	_ = s.view(func(tx *bolt.Tx) error {
		// One compressed value, to damage in several ways.
		c := tx.Bucket([]byte(lever.Opportunities)).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v[0] == valueZstd {
				good = bytes.Clone(v)
				break
			}
		}
		return nil
	})
	if good == nil {
		t.Fatal("no compressed opportunity")
	}
	_, _, body, _ := splitValue(good)
	head := good[:len(good)-len(body)]
	flipped := bytes.Clone(good)
	flipped[len(flipped)-10] ^= 0xff
	otherDict := bytes.Clone(body)
	otherDict[5] = 99 // the frame header's one-byte dictionary id
	cases := map[string][]byte{
		"a flipped byte (checksum)": flipped,
		"truncated":                 good[:len(good)-20],
		"an unknown dictionary":     append(bytes.Clone(head), otherDict...),
		"garbage frame":             append(bytes.Clone(head), "not zstd at all"...),
		"an unknown kind":           append([]byte{7}, good[1:]...),
		"bad index fields":          {valueZstd, 200},
		"empty":                     {},
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte(lever.Opportunities)).Put([]byte(victim), bad)
			})
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, s.Export(lever.Opportunities, false, func(string, []byte) error { return nil }), ErrCorrupt)
			_, err = s.OpportunitiesOfPosting("post-0")
			wantErr(t, err, ErrCorrupt)
			wantErr(t, s.Check(), ErrCorrupt)
		})
	}
}

// A record whose dictionary is missing from the file is ErrCorrupt: at
// open when it is the dictionary in use, else where the record is read and
// in Check.
func TestMissingDictionaryIsErrCorrupt(t *testing.T) {
	s := newStore(t)
	commitOpportunities(t, s, 0, 200)
	path := s.path
	s.Close()
	drop := func(inUse uint32) {
		t.Helper()
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketDictionaries).Delete(binary.BigEndian.AppendUint32(nil, 1)); err != nil {
				return err
			}
			if inUse == 1 {
				return nil
			}
			v := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, inUse), 200)
			return tx.Bucket(bucketDictionaryInUse).Put([]byte(lever.Opportunities), v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	drop(1)
	_, err := Open(path, Options{ReadOnly: true})
	wantErr(t, err, ErrCorrupt)

	drop(0) // as if no dictionary were in use: the file opens
	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantErr(t, s.Check(), ErrCorrupt)
	wantErr(t, s.Export(lever.Opportunities, false, func(string, []byte) error { return nil }), ErrCorrupt)
}

func TestPackedIDs(t *testing.T) {
	for _, id := range []string{"0007155c-ed3b-4764-9110-1ab6ec51b41d", "0007155C-ED3B-4764-9110-1AB6EC51B41D",
		"opp-1", "", "ffffffff-ffff-ffff-ffff-ffffffffffff", "0007155c-ed3b-4764-9110-1ab6ec51b41", "a\x01b"} {
		p := appendPackedID(nil, id)
		if isUUID(id) != (len(p) == 17) {
			t.Errorf("%q packs to %d bytes", id, len(p))
		}
		got, rest, ok := readPackedID(append(p, "tail"...))
		if !ok || got != id || string(rest) != "tail" {
			t.Errorf("%q packs and reads back as %q, %q, %v", id, got, rest, ok)
		}
		posting, opp, ok := parseIndexKey(indexKey(id, "opp-2"))
		if !ok || posting != id || opp != "opp-2" {
			t.Errorf("index key of %q reads back as %q %q %v", id, posting, opp, ok)
		}
	}
	if !bytes.HasPrefix(indexKey("post-1", "opp-2"), indexKey("post-1", "")) || bytes.HasPrefix(indexKey("post-10", "opp-2"), indexKey("post-1", "")) {
		t.Error("a posting's index prefix does not select exactly its entries")
	}
}

func FuzzDecodeValue(f *testing.F) {
	s, err := Open(filepath.Join(f.TempDir(), "s.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	for lo := 0; lo < 200; lo += 100 {
		page := syncer.Batch{Resource: lever.Opportunities}
		for i := lo; i < lo+100; i++ {
			page.Upserts = append(page.Upserts, opportunity(fmt.Sprintf("opp-%03d", i), 1, "post-a"))
		}
		if err := s.Commit(page); err != nil {
			f.Fatal(err)
		}
	}
	_ = s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(lever.Opportunities)).ForEach(func(_, v []byte) error {
			if len(v) < 600 {
				f.Add(bytes.Clone(v))
			}
			return nil
		})
	})
	f.Add([]byte{valuePlain, 0, '{', '}'})
	f.Fuzz(func(t *testing.T, v []byte) {
		out, err := s.codec.decode(v, nil)
		if err == nil && len(v) > 0 && v[0] == valuePlain && !bytes.HasSuffix(v, out) {
			t.Fatalf("a plain value decoded to other bytes: %q -> %q", v, out)
		}
		_, _, _ = opportunityIndex(v)
	})
}

// Updating or deleting an opportunity whose stored value is damaged is
// ErrCorrupt, and nothing of the commit is kept.
func TestCommitOverCorruptValueIsErrCorrupt(t *testing.T) {
	s := newStore(t)
	commitOpportunities(t, s, 0, 100)
	const id = "00000000-1111-4222-8333-000000000000"
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(lever.Opportunities)).Put([]byte(id), []byte{valueZstd, 200})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.Commit(syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity(id, 2, "post-1")}}), ErrCorrupt)
	wantErr(t, s.Commit(syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: id, DeletedAt: 3}}}), ErrCorrupt)
	if d, _ := s.DeletedCounts(); d[lever.Opportunities] != 0 {
		t.Fatal("a failed commit kept a tombstone")
	}
}

// TestPreparedBeforeADictionaryIsCompressedAtCommit: pages are prepared
// (compressed) on the streams' goroutines while earlier pages commit. A
// page prepared before the commit that trained the first dictionary, or a
// new one, is compressed again with it; one prepared with the dictionary
// in use is stored as prepared.
func TestPreparedBeforeADictionaryIsCompressedAtCommit(t *testing.T) {
	s := newStore(t)
	page := func(from int) syncer.Batch {
		b := syncer.Batch{Resource: lever.Opportunities}
		for i := from; i < from+100; i++ {
			b.Upserts = append(b.Upserts, opportunity(fmt.Sprintf("%08x-1111-4222-8333-%012x", i*7919, i), 1700000000000, "post-1"))
		}
		return b
	}
	first, early := page(0), page(100)
	s.Prepare(&first)
	s.Prepare(&early) // before any dictionary
	mustCommit(t, s, first)
	if byDict := storedDictionaries(t, s); byDict[-1] != 100 {
		t.Fatalf("opportunities per dictionary = %v, want the first page plain", byDict)
	}
	mustCommit(t, s, early)
	if byDict := storedDictionaries(t, s); byDict[-1] != 100 || byDict[1] != 100 {
		t.Fatalf("opportunities per dictionary = %v, want the page prepared before dictionary 1 compressed with it", byDict)
	}

	// Prepared with the dictionary in use: stored as prepared.
	late := page(200)
	s.Prepare(&late)
	p := late.Prepared.(prepared)
	p.values[0] = encodeValue(nil, opportunityFields(0, nil, []byte{}), late.Upserts[0].Raw)
	mustCommit(t, s, late)
	if byDict := storedDictionaries(t, s); byDict[-1] != 101 || byDict[1] != 199 {
		t.Fatalf("opportunities per dictionary = %v, want the prepared values stored as they were", byDict)
	}
}
