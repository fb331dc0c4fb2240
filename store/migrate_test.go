package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// schema1File copies testdata/v1.db.gz, a file that leversync's schema 1
// wrote (a synced fake Lever account with details, deletions and a run),
// to a new path.
func schema1File(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/v1.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// schema1Contents is what a schema-1 file holds, read with bbolt alone:
// each bucket's keys and values (schema 1 kept the JSON as the value).
func schema1Contents(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]map[string]string{}
	err = db.View(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket(bucketMeta).Get(keySchema)); v != "1" {
			return fmt.Errorf("the fixture has schema %q, want 1", v)
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			m := map[string]string{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error { m[string(k)] = string(v); return nil })
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// exportDigests is Export of every resource, tombstones included, as the
// lines of testdata/v1.export.sha256, which schema 1's own Export made.
func exportDigests(t *testing.T, s *Store) string {
	t.Helper()
	var out strings.Builder
	for _, r := range lever.AllResources {
		h := sha256.New()
		n := 0
		if err := s.Export(r, true, func(id string, raw []byte) error {
			fmt.Fprintf(h, "%s\x00%s\n", id, raw)
			n++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s %d %x\n", r, n, h.Sum(nil))
	}
	return out.String()
}

func TestMigrateSchema1(t *testing.T) {
	path := schema1File(t)
	v1 := schema1Contents(t, path)
	v1Size := fileSize(t, path)
	want, err := os.ReadFile("testdata/v1.export.sha256")
	if err != nil {
		t.Fatal(err)
	}

	// A reader cannot upgrade, and leaves the file alone.
	before := fileSum(t, path)
	_, err = Open(path, Options{ReadOnly: true})
	wantErr(t, err, ErrSchema)
	if fileSum(t, path) != before {
		t.Fatal("a refused read-only open changed the file")
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := exportDigests(t, s); got != string(want) {
		t.Fatalf("export after the upgrade:\n%s\nschema 1 exported:\n%s", got, want)
	}
	assertSchema1Data(t, s, v1)
	mustCheck(t, s)

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	compressed := assertUpgraded(t, s)
	// The upgrade compacts: the file shrinks, and no schema-1 value is left
	// in a free page (the opportunities are compressed, so no email is left
	// as JSON text; the search index keeps addresses bare, without quotes).
	if int64(len(raw)) >= v1Size {
		t.Errorf("the file did not shrink: %d bytes, %d before", len(raw), v1Size)
	}
	for id, old := range v1[string(lever.Opportunities)] {
		var o struct{ Emails []string }
		if err := json.Unmarshal([]byte(old), &o); err != nil {
			t.Fatal(err)
		}
		for _, e := range o.Emails {
			if bytes.Contains(raw, []byte(strconv.Quote(e))) {
				t.Errorf("opportunity %s's email is still in the file's bytes as JSON", id)
			}
		}
	}
	t.Logf("%d of %d opportunities compressed; the file went from %d to %d bytes", compressed, len(v1[string(lever.Opportunities)]), v1Size, len(raw))
	// The upgrade built the candidate search index (Check above verified it
	// covers every candidate): each is found by its email.
	for id, old := range v1[string(lever.Opportunities)] {
		var o struct{ Emails []string }
		_ = json.Unmarshal([]byte(old), &o)
		if len(o.Emails) == 0 {
			continue
		}
		found, _, err := s.SearchOpportunities(o.Emails[0], 50)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(found, func(c CandidateSummary) bool { return c.ID == id }) {
			t.Errorf("after the upgrade, a search for opportunity %s's email does not find it", id)
		}
	}

	// Opened again, nothing changes.
	s.Close()
	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := exportDigests(t, s); got != string(want) {
		t.Fatalf("export after reopening:\n%s\nwant:\n%s", got, want)
	}
}

// assertUpgraded checks that the upgrade finished: no progress mark, no
// schema-1 key records, the opportunities compressed. It returns how many
// are.
func assertUpgraded(t *testing.T, s *Store) (compressed int) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketOpportunityKeys) != nil || tx.Bucket(bucketMeta).Get(keyRecompress) != nil {
			return errors.New("the upgrade left schema 1's key records or its progress mark")
		}
		return tx.Bucket([]byte(lever.Opportunities)).ForEach(func(k, v []byte) error {
			if isSchema1(v) {
				return fmt.Errorf("opportunity %s is still stored as schema 1 did", k)
			}
			if v[0] == valueZstd {
				compressed++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if compressed == 0 {
		t.Fatal("no opportunity was compressed by the upgrade")
	}
	return compressed
}

// assertSchema1Data checks that s holds what the schema-1 file held: every
// record's JSON, the counts, the posting index, the checkpoints and the
// meta data.
func assertSchema1Data(t *testing.T, s *Store, v1 map[string]map[string]string) {
	t.Helper()
	for _, r := range lever.AllResources {
		got := map[string]string{}
		err := s.view(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte(r)).ForEach(func(k, v []byte) error {
				raw, err := s.codec.decode(v, nil)
				got[string(k)] = string(raw)
				return err
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, v1[string(r)]) {
			t.Errorf("%s: %d records after the upgrade, %d before, or their JSON differs", r, len(got), len(v1[string(r)]))
		}
	}
	for _, name := range []string{string(bucketCounts), string(bucketCheckpoints), string(bucketMeta)} {
		err := s.view(func(tx *bolt.Tx) error {
			got := map[string]string{}
			_ = tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error { got[string(k)] = string(v); return nil })
			want := maps.Clone(v1[name])
			if name == string(bucketMeta) {
				want[string(keySchema)] = fmt.Sprint(SchemaVersion())
			}
			if !maps.Equal(got, want) {
				return fmt.Errorf("bucket %s: %q after the upgrade, want %q", name, got, want)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	// The index: schema 1 keyed it posting NUL opportunity.
	for k := range v1[string(bucketPostingIndex)] {
		posting, opp, _ := strings.Cut(k, "\x00")
		cands, err := s.OpportunitiesOfPosting(posting)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(cands, func(c CandidateSummary) bool { return c.ID == opp }) {
			t.Errorf("opportunity %s is no longer listed under posting %s", opp, posting)
		}
	}
	n := 0
	_ = s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketPostingIndex).Stats().KeyN
		return nil
	})
	if n != len(v1[string(bucketPostingIndex)]) {
		t.Errorf("the index holds %d entries after the upgrade, %d before", n, len(v1[string(bucketPostingIndex)]))
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// An upgrade stopped after any of its transactions (the process killed, the
// disk full) is finished by the next open, with the same result.
func TestMigrateSchema1Resumes(t *testing.T) {
	want, err := os.ReadFile("testdata/v1.export.sha256")
	if err != nil {
		t.Fatal(err)
	}
	saved := recompressChunk
	t.Cleanup(func() { recompressChunk = saved })
	recompressChunk = 20

	// Count the upgrade's steps, then stop after each number of them.
	steps := func(path string, limit int) (n int, mark string) {
		t.Helper()
		db, err := openBolt(path, bolt.Options{}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		s := &Store{db: db, path: path, timeout: time.Second}
		defer s.Close()
		if err := s.upgradeSchema(); err != nil {
			t.Fatal(err)
		}
		if err := s.loadCodec(); err != nil {
			t.Fatal(err)
		}
		for n = 0; n < limit; n++ {
			more, err := s.recompressStep()
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
		}
		_ = s.view(func(tx *bolt.Tx) error {
			mark = string(tx.Bucket(bucketMeta).Get(keyRecompress))
			return nil
		})
		return n, mark
	}
	total, _ := steps(schema1File(t), 1<<30)
	if total < 10 {
		t.Fatalf("the upgrade took %d steps; want a fixture that needs several chunks", total)
	}
	for _, stop := range []int{0, 1, total / 2, total - 1, total} {
		path := schema1File(t)
		_, mark := steps(path, stop)
		if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrSchema) {
			t.Fatalf("stopped after %d steps (mark %q): a read-only open gave %v, want ErrSchema", stop, mark, err)
		}
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("stopped after %d steps (mark %q): %v", stop, mark, err)
		}
		if got := exportDigests(t, s); got != string(want) {
			t.Fatalf("stopped after %d steps (mark %q): export\n%s\nwant\n%s", stop, mark, got, want)
		}
		mustCheck(t, s)
		assertUpgraded(t, s)
		s.Close()
	}

	// The compaction that ends the upgrade needs room for a second copy;
	// without it the open fails, and the next one compacts.
	path := schema1File(t)
	_, err = Open(path, Options{MaxSize: 64 << 10})
	wantErr(t, err, ErrDiskFull)
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrSchema) {
		t.Fatalf("a read-only open before the compaction gave %v, want ErrSchema", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := exportDigests(t, s); got != string(want) {
		t.Fatalf("export after a failed compaction:\n%s\nwant\n%s", got, want)
	}
	assertUpgraded(t, s)
	if size := fileSize(t, path); size >= 1<<20 {
		t.Fatalf("the file was not compacted: %d bytes", size)
	}
}
