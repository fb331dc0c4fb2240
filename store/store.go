// Package store is the bbolt data file of synced Lever records: buckets per
// resource, records compressed with dictionaries trained on the account's
// own records, a schema version with migrations, atomic "page plus
// checkpoint" commits (it implements syncer.Sink and syncer.Preparer), the
// candidate search index (built in bulk when a new file's first sync
// ends), the read queries of the UI and the command line, export and an
// integrity check. The saved key and settings live in package config, never
// here. It imports no UI.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for another process's lock.
const DefaultTimeout = 2 * time.Second

// allocSize is how far ahead of its data bbolt grows the file (its default
// is 16 MiB); each growth costs one fsync.
const allocSize = 4 << 20

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for the file lock; 0 means DefaultTimeout.
	Timeout time.Duration
	// ReadOnly opens the file shared, for status and export; nothing is
	// written, not even a migration.
	ReadOnly bool
	// MaxSize caps the file in bytes (bbolt's MaxSize); 0 is unlimited.
	// Tests use it to simulate a full disk.
	MaxSize int
}

// Store is an open leversync data file. Its methods are safe for concurrent
// use; writes are serialized by bbolt.
type Store struct {
	db       *bolt.DB
	path     string
	readOnly bool
	pidPath  string // the sidecar written while open read-write; "" if none
	maxSize  int
	timeout  time.Duration
	codec    *codec

	// mu lets Compact swap db while no transaction runs; every transaction
	// holds it shared.
	mu sync.RWMutex

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store at path, creating it (mode 0600, in folders created
// 0700) unless o.ReadOnly. It never waits longer than o.Timeout for another
// process: that gives an *InUseError. A file that is damaged or not a
// leversync store gives ErrCorrupt and is left byte-for-byte untouched: an
// existing file is first opened read-only and validated.
func Open(path string, o Options) (*Store, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	deadline := time.Now().Add(o.Timeout)
	info, err := os.Stat(path)
	if err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("open the store: %w: %s is %s; pass a file path to --db", ErrNotStore, path, fileKind(info.Mode()))
	}
	exists := err == nil && info.Size() > 0
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && info.Size() == 0):
		if o.ReadOnly {
			return nil, fmt.Errorf("%w (looked for %s)", ErrNoStore, path)
		}
		if err := makeFolder(filepath.Dir(path)); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("open the store %s: %w; pass --db with a path in a folder you can write to", path, err)
	}

	if exists {
		db, err := openBolt(path, bolt.Options{ReadOnly: true}, o.Timeout)
		if err != nil {
			return nil, notOurs(path, err)
		}
		if err := validate(db, path, o.ReadOnly); err != nil {
			db.Close()
			return nil, notOurs(path, err)
		}
		if o.ReadOnly {
			s := &Store{db: db, path: path, readOnly: true, timeout: o.Timeout}
			if err := s.loadCodec(); err != nil {
				db.Close()
				return nil, err
			}
			return s, nil
		}
		if err := db.Close(); err != nil {
			return nil, fmt.Errorf("open the store %s: %w", path, err)
		}
	}

	// A file already there, empty or not, is made private before anything
	// is written to it, or refused (assertPrivate).
	if info != nil {
		if err := assertPrivate(path); err != nil {
			return nil, err
		}
	}
	// The validation above counts against the same timeout.
	db, err := openBolt(path, bolt.Options{MaxSize: o.MaxSize}, max(time.Until(deadline), 100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, maxSize: o.MaxSize, timeout: o.Timeout}
	if err := s.writePID(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the file and its lock, and removes the pid sidecar. It is
// safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closeErr = s.db.Close()
		if s.pidPath != "" {
			if err := os.Remove(s.pidPath); err != nil && !errors.Is(err, fs.ErrNotExist) && s.closeErr == nil {
				s.closeErr = err
			}
		}
	})
	return s.closeErr
}

// makeFolder creates the store's folder, and any missing parent, with mode
// 0700: the file holds candidates' personal data.
func makeFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the store folder %s: %w; pass --db PATH to put the store elsewhere", dir, err)
	}
	return nil
}

// assertPrivate sets mode 0600 on a store file this user owns, and refuses
// one of another user's that others can read: candidates' data written
// there would not be private, and only its owner can change that.
func assertPrivate(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open the store %s: %w", path, err)
	}
	if info.Mode().Perm() == 0o600 {
		return nil
	}
	if !ownedByMe(info) {
		if info.Mode().Perm()&0o077 == 0 {
			return nil
		}
		return fmt.Errorf("the store belongs to another user and others can read it (mode %04o), so candidates' data written there would not be private; pass --db with a path of your own: %w",
			info.Mode().Perm(), &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission})
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("make the store %s private (mode 0600): %w", path, err)
	}
	return nil
}

// openBolt opens path with bbolt, turning a lock timeout into *InUseError
// and any failure or panic of bbolt into ErrCorrupt. If the file was
// replaced while waiting for its lock (Compact renames a new file over it),
// it opens the new file instead.
func openBolt(path string, bo bolt.Options, timeout time.Duration) (*bolt.DB, error) {
	deadline := time.Now().Add(timeout)
	for {
		db, file, err := openBoltOnce(path, bo, time.Until(deadline))
		if err != nil {
			return nil, err
		}
		if sameFile(path, file) {
			return db, nil
		}
		db.Close()
		if time.Now().After(deadline) {
			return nil, &InUseError{Path: path, PID: holderPID(path)}
		}
	}
}

func sameFile(path string, f *os.File) bool {
	if f == nil {
		return true
	}
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

func openBoltOnce(path string, bo bolt.Options, timeout time.Duration) (db *bolt.DB, file *os.File, err error) {
	bo.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	bo.Timeout = max(timeout, 10*time.Millisecond) // 0 would wait forever
	err = protect(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bo)
		return err
	})
	if err == nil {
		// Past allocSize, bbolt grows the file by AllocSize beyond what it
		// needs: keep that slack small, the file's size is what counts.
		db.AllocSize = allocSize
	}
	switch {
	case err == nil:
		return db, file, nil
	case errors.Is(err, errPanic):
		if file != nil {
			file.Close() // releases the lock bbolt took before panicking
		}
		return nil, nil, corruptError(path, "bbolt could not read it", err)
	case errors.Is(err, berrors.ErrTimeout):
		return nil, nil, &InUseError{Path: path, PID: holderPID(path)}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, nil, corruptError(path, "not a valid bbolt file", err)
	case errors.Is(err, fs.ErrNotExist) && bo.ReadOnly:
		return nil, nil, fmt.Errorf("%w (looked for %s)", ErrNoStore, path)
	case errors.Is(err, fs.ErrNotExist):
		// The folder exists but would not take the file (/proc, say).
		return nil, nil, fmt.Errorf("create the store %s: %w; pass --db with a path in a folder you can write to", path, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, nil, fmt.Errorf("open the store %s: %w; check the file's owner and mode, or pass another --db", path, err)
	}
	if !bo.ReadOnly {
		return nil, nil, fmt.Errorf("open the store %s: %w", path, writeError(err))
	}
	return nil, nil, corruptError(path, "bbolt could not open it", err)
}

var errPanic = errors.New("bbolt panicked")

// protect runs fn, turning a panic (and a memory fault on the mapped file)
// into an error wrapping errPanic.
func protect(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return fn()
}

// update runs fn in one read-write transaction. A bbolt panic becomes
// ErrCorrupt, a full disk ErrDiskFull; either way nothing of fn is kept.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if s.readOnly {
		return errors.New("the store was opened read-only; this is a bug in leversync")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := protect(func() error { return s.db.Update(fn) })
	if errors.Is(err, errPanic) {
		return corruptError(s.path, "a write failed", err)
	}
	return writeError(err)
}

// view runs fn in one read-only transaction; a bbolt panic becomes
// ErrCorrupt.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := protect(func() error { return s.db.View(fn) })
	if errors.Is(err, errPanic) {
		return corruptError(s.path, "a read failed", err)
	}
	return err
}

// pidSuffix names the sidecar that holds the pid of the process holding
// the file.
const pidSuffix = ".pid"

// writePID writes <db>.pid so that a second process can name the holder.
func (s *Store) writePID() error {
	p := s.path + pidSuffix
	if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	s.pidPath = p
	return nil
}

// holderPID reads the sidecar of the process holding path; 0 when unknown
// or when that process is gone.
func holderPID(path string) int {
	b, err := os.ReadFile(path + pidSuffix)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !processAlive(pid) {
		return 0
	}
	return pid
}
