package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// compact rewrites the store into a new file and renames it over the old
// one. bbolt keeps the bytes of freed pages until it reuses them, so a
// deleted record (a deleted candidate's personal data) can linger on disk
// after its tombstone is written; compact leaves only live data, and clears
// the mark Scrub looks for. It blocks every other use of the store while it
// copies, keeps the file locked throughout (the old file until the new one,
// locked by this process, has replaced it), and on failure leaves the store
// as it was.
func (s *Store) compact() error {
	if s.readOnly {
		return errors.New("compact: the store was opened read-only; this is a bug in leversync")
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	tmp := s.path + ".compact"
	_ = os.Remove(tmp) // left by an interrupted Compact
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: s.timeout, MaxSize: s.maxSize})
	if err != nil {
		return fmt.Errorf("compact the store: %w", writeError(err))
	}
	dst.AllocSize = allocSize
	fail := func(err error) error {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact the store (it is unchanged): %w", writeError(err))
	}
	if err := protect(func() error { return bolt.Compact(dst, s.db, 64<<20) }); err != nil {
		if errors.Is(err, errPanic) {
			return fail(corruptError(s.path, "compaction could not read it", err))
		}
		return fail(err)
	}
	if err := dst.Update(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			return meta.Delete(keyScrub)
		}
		return nil
	}); err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	// dst holds its own lock; once renamed, new openers find it locked, and
	// openers already waiting on the old file see it was replaced.
	if err := os.Rename(tmp, s.path); err != nil {
		return fail(err)
	}
	syncDir(filepath.Dir(s.path))
	old := s.db
	s.db = dst
	if err := old.Close(); err != nil {
		return fmt.Errorf("compact the store: close the old file: %w", err)
	}
	return nil
}

// Pack rewrites the file with its pages full, as a scrub does, and
// reports whether it did. Records and index entries are written in the
// order of Lever's ids, which is random, so bbolt's pages are left about
// two-thirds full by the splits; after a run that read everything (the
// first sync, or --full) the rewrite gives that third back at the cost of
// one copy of the file (BenchmarkScrub; the file is locked meanwhile). A
// file under packAtLeast is left as it is: what it would give back is
// small. A failure leaves the file as it was.
func (s *Store) Pack() (bool, error) {
	info, err := os.Stat(s.path)
	if err != nil || info.Size() < packAtLeast {
		return false, err
	}
	return true, s.compact()
}

// packAtLeast is the smallest file Pack rewrites: about 1,500 candidates.
const packAtLeast = 4 << 20

// syncDir makes a rename durable; failures only weaken durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
