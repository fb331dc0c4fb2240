package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// TestCheckFindsAPageNumberPastTheFile: a branch page that names a page
// past the end of the file is ErrCorrupt from Check, read-only or not. bbolt
// checks on a goroutine of its own, where reading such a page faulted
// beyond recovery and ended the whole process.
func TestCheckFindsAPageNumberPastTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for p := range 4 {
		var page []lever.Record
		for i := range 50 {
			page = append(page, opportunity(fmt.Sprintf("opp-%d-%03d", p, i), 1, "post-a"))
		}
		mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
	}
	s.Close()

	// The first child named by the opportunities' root branch page.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var at int64
	if err := db.View(func(tx *bolt.Tx) error {
		root := int64(tx.Bucket([]byte(lever.Opportunities)).Root())
		at = root*int64(tx.DB().Info().PageSize) + 16 + 8 // page header, then pos and ksize
		if info, err := tx.Page(int(root)); err != nil || info == nil || info.Type != "branch" {
			return fmt.Errorf("the opportunities' root page is %+v (%v), not a branch", info, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(binary.LittleEndian.AppendUint64(nil, 1<<22), at); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, readOnly := range []bool{true, false} {
		s, err := Open(path, Options{ReadOnly: readOnly})
		if err != nil {
			t.Fatalf("open (read-only %v): %v", readOnly, err)
		}
		if err := s.Check(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Check (read-only %v) of a file whose branch page names a page past its end = %v, want ErrCorrupt", readOnly, err)
		}
		s.Close()
	}
}

// TestCheckBesideCommits: Check finds nothing wrong with a sound store
// while pages commit beside it. bbolt's check reads the freelist, which a
// commit running beside it changes.
func TestCheckBesideCommits(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := 0; ; p++ {
			select {
			case <-stop:
				return
			default:
			}
			var page []lever.Record
			for i := range 20 {
				page = append(page, opportunity(fmt.Sprintf("opp-%04d-%02d", p, i), 1, "post-a"))
			}
			if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Upserts: page}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 300 {
		if err := s.Check(); err != nil {
			t.Errorf("check %d of a sound store beside commits: %v", i+1, err)
			break
		}
	}
	close(stop)
	wg.Wait()
}

// TestRemoveKeepsTheFileWhenALeftoverStays: when what a killed process
// left beside the file (a compaction's copy, which holds the same data)
// cannot be deleted, the file is not deleted either, so that the next try
// finds both; Remove used to delete the file first, and the copy stayed
// behind unseen.
func TestRemoveKeepsTheFileWhenALeftoverStays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A folder with something in it: no os.Remove takes it.
	if err := os.MkdirAll(filepath.Join(path+".compact", "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err == nil || !strings.Contains(err.Error(), ".compact") {
		t.Errorf("Remove with an undeletable copy beside the file = %v, want an error naming it", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Remove deleted the file although the copy beside it stayed: %v", err)
	}
}
