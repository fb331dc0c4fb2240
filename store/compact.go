package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
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

	tmp := s.path + compactSuffix
	// A copy left by an interrupted compaction goes. A file that cannot be
	// removed is not one this user made (another user's, in a shared
	// folder): the copy is never written into it, only into a file created
	// here (O_EXCL), private from the start.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("compact the store (it is unchanged): %s is in the way and cannot be removed: %w; remove it, or keep the data file in a folder of your own", tmp, err)
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: s.timeout, MaxSize: s.maxSize, OpenFile: createNew})
	if err != nil {
		return fmt.Errorf("compact the store: %w", writeError(err))
	}
	dst.AllocSize = allocSize
	fail := func(err error) error {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact the store (it is unchanged): %w", writeError(err))
	}
	if err := protect(func() error { return copyFile(dst, s.db) }); err != nil {
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

// compactSuffix names the copy a compaction writes beside the file. It
// holds the same data, and a process killed while copying leaves it
// behind (Remove deletes it).
const compactSuffix = ".compact"

// Remove deletes the store at path and what a process killed mid-way can
// leave beside it: its pid sidecar and a compaction's copy, which holds the
// same data. Opening the file first proves that no process holds it; a
// damaged file goes too. The caller decides that path is a store
// (Recognize).
func Remove(path string) error {
	st, err := Open(path, Options{})
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if st != nil {
		if err := st.Close(); err != nil {
			return err
		}
	}
	// What was left beside it goes first: if it cannot, the file stays,
	// and the next attempt finds both.
	for _, left := range []string{path + compactSuffix, path + pidSuffix} {
		if err := os.Remove(left); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s (the data file is still there): %w", left, err)
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

// createNew opens name for bbolt only if this call creates it.
func createNew(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag|os.O_CREATE|os.O_EXCL, perm)
}

// compactTxBytes: a copy commits every so many bytes of keys and values,
// as bolt.Compact does, so that its memory stays bounded.
const compactTxBytes = 64 << 20

// copyFile copies every bucket of src into dst, a new file, with its pages
// full. The signature goes first, in a transaction of its own, so that it
// gets a page at the start of the copy as it does in a new file; bbolt's
// own Compact writes buckets in no fixed order, and a copy cut short could
// lose it (Recognize).
func copyFile(dst, src *bolt.DB) error {
	if err := dst.Update(sign); err != nil {
		return err
	}
	tx, err := dst.Begin(true)
	if err != nil {
		return err
	}
	c := &copier{dst: dst, tx: tx}
	defer func() { _ = c.tx.Rollback() }() // a committed one says so, harmlessly
	err = src.View(func(stx *bolt.Tx) error {
		return stx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, bucketSignature) {
				return nil
			}
			return c.copyBucket([][]byte{name}, b)
		})
	})
	if err != nil {
		return err
	}
	return c.tx.Commit()
}

// copier is copyFile's transaction on the new file and its size so far.
type copier struct {
	dst  *bolt.DB
	tx   *bolt.Tx
	size int
}

// copyBucket creates the bucket at path in the copy and copies src into
// it, nested buckets included.
func (c *copier) copyBucket(path [][]byte, src *bolt.Bucket) error {
	name := path[len(path)-1]
	if err := c.grow(len(name)); err != nil {
		return err
	}
	var b *bolt.Bucket
	var err error
	if len(path) == 1 {
		b, err = c.tx.CreateBucket(name)
	} else {
		b, err = c.bucket(path[:len(path)-1]).CreateBucket(name)
	}
	if err != nil {
		return fmt.Errorf("copy bucket %s: %w", name, err)
	}
	if err := b.SetSequence(src.Sequence()); err != nil {
		return err
	}
	return src.ForEach(func(k, v []byte) error {
		if v == nil {
			return c.copyBucket(append(path[:len(path):len(path)], k), src.Bucket(k))
		}
		if err := c.grow(len(k) + len(v)); err != nil {
			return err
		}
		// A commit in grow ends the bucket's handle: look it up again.
		b := c.bucket(path)
		b.FillPercent = 1
		return b.Put(k, v)
	})
}

// bucket is the copy's bucket at path.
func (c *copier) bucket(path [][]byte) *bolt.Bucket {
	b := c.tx.Bucket(path[0])
	for _, name := range path[1:] {
		b = b.Bucket(name)
	}
	return b
}

// grow counts n more bytes in the transaction, committing it and starting
// another first when they would take it past compactTxBytes.
func (c *copier) grow(n int) error {
	if c.size += n; c.size <= compactTxBytes {
		return nil
	}
	if err := c.tx.Commit(); err != nil {
		return err
	}
	tx, err := c.dst.Begin(true)
	if err != nil {
		return err
	}
	c.tx, c.size = tx, n
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
