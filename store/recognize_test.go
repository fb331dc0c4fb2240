package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// TestRecognize: leversync's own files are recognized, sound or damaged;
// anything else is named and refused; and looking changes nothing.
func TestRecognize(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var page []lever.Record
	for i := range 200 {
		page = append(page, opportunity(fmt.Sprintf("opp-%03d", i), 1, "post-a"))
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
	s.Close()
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	fdb, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = fdb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	fdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	foreignBytes, _ := os.ReadFile(foreign)
	random := make([]byte, 64<<10)
	rand.Read(random)
	badSums := bytes.Clone(goodBytes)
	for _, off := range []int{pageHeaderLen + 40, 4096 + pageHeaderLen + 40} {
		badSums[off] ^= 0xff // both meta pages fail their checksum
	}

	cases := []struct {
		name    string
		content []byte
		ours    bool
		what    string
	}{
		{"sound store", goodBytes, true, ""},
		{"truncated store", goodBytes[:len(goodBytes)/2], true, ""},
		{"meta checksums broken", badSums, true, ""},
		{"zeroed meta pages", append(make([]byte, 8192), goodBytes[8192:]...), true, ""},
		{"other bbolt", foreignBytes, false, "bbolt file of another program"},
		{"text file", []byte("name,email\nAnn,ann@example.com\n"), false, "a text file"},
		{"random bytes", random, false, "not a bbolt database"},
		{"a leversync source file", []byte("var x = \"index_opportunities_by_posting\"\n"), false, "a text file"},
		{"empty", nil, false, "an empty file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file.db")
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			before := fileSum(t, path)
			err := Recognize(path)
			if tc.ours && err != nil {
				t.Errorf("Recognize = %v, want it recognized", err)
			}
			if !tc.ours && (!errors.Is(err, ErrNotStore) || !strings.Contains(err.Error(), tc.what)) {
				t.Errorf("Recognize = %v, want ErrNotStore saying %q", err, tc.what)
			}
			if fileSum(t, path) != before {
				t.Error("Recognize changed the file")
			}
			if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
				t.Error("Recognize wrote a pid sidecar")
			}
		})
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, what := range map[string]string{dir: "a folder", fifo: "a named pipe", os.DevNull: "a device"} {
		if err := Recognize(path); !errors.Is(err, ErrNotStore) || !strings.Contains(err.Error(), what) {
			t.Errorf("Recognize(%s) = %v, want %q", path, err, what)
		}
		// Open refuses them too, rather than treating them as a new store.
		if s, err := Open(path, Options{}); !errors.Is(err, ErrNotStore) {
			if s != nil {
				s.Close()
			}
			t.Errorf("Open(%s) = %v, want ErrNotStore", path, err)
		}
	}
	if err := Recognize(filepath.Join(dir, "missing.db")); !errors.Is(err, ErrNoStore) {
		t.Errorf("Recognize of nothing = %v", err)
	}
	held, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := Recognize(good); !errors.Is(err, ErrInUse) {
		t.Errorf("Recognize of a file a sync holds = %v, want ErrInUse", err)
	}
}

// TestOpenInAFolderThatTakesNoFiles: a read-write open whose file cannot
// be created is not "no store yet: run sync first".
func TestOpenInAFolderThatTakesNoFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc here")
	}
	_, err := Open("/proc/leversync-test.db", Options{})
	if err == nil || errors.Is(err, ErrNoStore) || strings.Contains(err.Error(), "sync first") {
		t.Fatalf("Open in /proc = %v", err)
	}
	if !strings.Contains(err.Error(), "--db") {
		t.Errorf("the error does not say what to do: %v", err)
	}
}

// TestRecognizeAFileCutShort: a data file cut to its first half, after a
// sync's worth of commits moved the page naming its buckets anywhere, is
// still recognized by its signature page; each run of commits places the
// pages differently, so several files are tried.
func TestRecognizeAFileCutShort(t *testing.T) {
	dir := t.TempDir()
	for n := range 12 {
		path := filepath.Join(dir, fmt.Sprintf("cut-%d.db", n))
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for p := range 10 + n {
			var page []lever.Record
			for i := range 40 {
				page = append(page, opportunity(fmt.Sprintf("opp-%02d-%03d", p, i), int64(p), fmt.Sprintf("post-%d", i%7)))
			}
			mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
		}
		s.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		half := len(b) / 2 / 4096 * 4096
		if err := os.WriteFile(path, b[:half], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Recognize(path); err != nil {
			t.Errorf("the first %d of %d bytes of a data file: %v", half, len(b), err)
		}
	}
}

// TestRecognizeAPackedFileCutShort: a file that Pack or Scrub rewrote
// keeps its signature in its first pages, as a new file does, so that
// reset still knows the first few pages of it for leversync's; bbolt's own
// Compact placed the signature wherever its buckets happened to be
// written, which is in no fixed order.
func TestRecognizeAPackedFileCutShort(t *testing.T) {
	const kept = 8 * 4096
	dir := t.TempDir()
	for n := range 6 {
		path := filepath.Join(dir, fmt.Sprintf("packed-%d.db", n))
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for p := range 8 {
			var page []lever.Record
			for i := range 50 {
				page = append(page, opportunity(fmt.Sprintf("opp-%d-%02d-%03d", n, p, i), int64(p), fmt.Sprintf("post-%d", i%7)))
			}
			mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
		}
		if err := s.compact(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 4*kept {
			t.Fatalf("the packed file is %d bytes: too small to cut", len(b))
		}
		if err := os.WriteFile(path, b[:kept], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Recognize(path); err != nil {
			t.Errorf("the first %d of %d bytes of a packed data file: %v", kept, len(b), err)
		}
	}
}
