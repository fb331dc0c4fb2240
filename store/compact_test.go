package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func TestCompactDropsDeletedBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var dels []lever.Deletion
	for p := range 4 {
		// The first page is stored plain, and trains the dictionary the
		// later ones are compressed with.
		var page []lever.Record
		for i := p * 100; i < (p+1)*100; i++ {
			id := fmt.Sprintf("opp-%04d", i)
			page = append(page, opportunity(id, 1, "post-a"))
			if i%2 == 0 {
				dels = append(dels, lever.Deletion{ID: id, DeletedAt: 9})
			}
		}
		mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Deletes: dels})

	// A reader that starts waiting for the lock before the file is replaced
	// must end up reading the new file, not the unlinked old one.
	type result struct {
		n   int
		err error
	}
	waiter := make(chan result, 1)
	go func() {
		r, err := Open(path, Options{ReadOnly: true, Timeout: 10 * time.Second})
		if err != nil {
			waiter <- result{err: err}
			return
		}
		defer r.Close()
		c, err := r.Counts()
		waiter <- result{c[lever.Opportunities], err}
	}()
	time.Sleep(50 * time.Millisecond) // let the reader start waiting; the test holds either way

	if err := s.compact(); err != nil {
		t.Fatal(err)
	}
	raw := fileText(t, s, path)
	for _, d := range dels {
		if bytes.Contains(raw, []byte(d.ID+"@example.com")) {
			t.Fatalf("the compacted file still holds %s's email", d.ID)
		}
	}
	if !bytes.Contains(raw, []byte("opp-0001@example.com")) {
		t.Fatal("a live record is missing from the compacted file")
	}
	if c, _ := s.Counts(); c[lever.Opportunities] != 200 {
		t.Fatalf("count after compaction = %d, want 200", c[lever.Opportunities])
	}
	if d, _ := s.DeletedCounts(); d[lever.Opportunities] != 200 {
		t.Fatalf("tombstones after compaction = %d, want 200", d[lever.Opportunities])
	}
	mustCheck(t, s)
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{opportunity("opp-9999", 2, "post-b")}})

	// Still locked: a writer gets ErrInUse.
	if _, err := Open(path, Options{Timeout: 200 * time.Millisecond}); !errors.Is(err, ErrInUse) {
		t.Fatalf("open during a held, compacted store = %v, want ErrInUse", err)
	}
	if _, err := os.Stat(path + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("temporary file left behind")
	}
	s.Close()
	got := <-waiter
	if got.err != nil || got.n != 201 {
		t.Fatalf("waiting reader got %d records, %v; want the compacted file's 201", got.n, got.err)
	}
}

// fileText is every byte of the file, free pages included, followed by the
// JSON of every compressed record found anywhere in it (each zstd frame,
// decompressed with the store's dictionaries), so that a search finds a
// record's text whether it is stored plain or compressed.
func fileText(t *testing.T, s *Store, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dicts [][]byte
	for _, d := range s.codec.dicts {
		dicts = append(dicts, d)
	}
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	out := bytes.Clone(raw)
	frames := 0
	for i := 0; ; {
		j := bytes.Index(raw[i:], magic)
		if j < 0 {
			break
		}
		i += j
		// A frame's length is only known by decoding it: stream it, and
		// keep what decodes before the bytes that follow it stop the stream.
		d, err := zstd.NewReader(bytes.NewReader(raw[i:]), zstd.WithDecoderDicts(dicts...), zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(d)
		d.Close()
		if len(text) > 0 {
			frames++
			out = append(out, text...)
		}
		i += len(magic)
	}
	if frames == 0 {
		t.Fatal("no compressed record in the file: the search would prove nothing")
	}
	return out
}
