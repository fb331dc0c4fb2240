package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// Pages committed from several goroutines while the UI reads all land, and
// the file stays consistent.
func TestConcurrentCommitsAndReads(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 4 {
		wg.Go(func() {
			for p := range 5 {
				var page []lever.Record
				for i := range 20 {
					page = append(page, opportunity(fmt.Sprintf("w%d-p%d-%02d", w, p, i), 1, fmt.Sprintf("post-%d", i%3)))
				}
				if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Upserts: page,
					Checkpoint: syncer.Checkpoint{Stream: fmt.Sprintf("worker-%d", w), Offset: fmt.Sprint(p)}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := s.Postings(); err != nil {
				errs <- err
			}
			if _, err := s.OpportunitiesOfPosting("post-1"); err != nil {
				errs <- err
			}
			if _, err := s.Counts(); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c, _ := s.Counts(); c[lever.Opportunities] != 400 {
		t.Fatalf("count = %d, want 400", c[lever.Opportunities])
	}
	mustCheck(t, s)
}

func TestDiskFullErrors(t *testing.T) {
	for _, err := range []error{
		berrors.ErrMaxSizeReached,
		&os.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC},
		fmt.Errorf("grow: %w", syscall.EDQUOT),
	} {
		if got := writeError(err); !errors.Is(got, ErrDiskFull) || !errors.Is(got, err) {
			t.Errorf("writeError(%v) = %v, want ErrDiskFull wrapping it", err, got)
		}
	}
	if got := writeError(errors.New("other")); errors.Is(got, ErrDiskFull) {
		t.Error("an unrelated error became ErrDiskFull")
	}
}

// A folder leversync did not create keeps its mode; a path that is a folder
// is refused.
func TestOpenLeavesExistingFolderAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "l.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o755 {
		t.Fatalf("existing folder mode changed to %o", info.Mode().Perm())
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("opened a folder as a store")
	}
}
