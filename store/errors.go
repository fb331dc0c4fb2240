package store

import (
	"errors"
	"fmt"
	"syscall"

	berrors "go.etcd.io/bbolt/errors"
)

// Errors a user must act on. Match them with errors.Is; every error the
// store returns for these cases wraps one of them.
var (
	// ErrInUse: another process holds the store (usually a running sync).
	// The error is an *InUseError with the holder's pid when known.
	ErrInUse = errors.New("the store is in use by another leversync process")
	// ErrCorrupt: the file is damaged or is not a leversync store. It was
	// left untouched.
	ErrCorrupt = errors.New("the store file is damaged or is not a leversync store")
	// ErrOtherEnvironment: the store holds another Lever environment's data.
	ErrOtherEnvironment = errors.New("the store holds data from another Lever environment")
	// ErrOtherAccount: the store holds the data of another Lever account:
	// one at another API root, or whose own ids differ.
	ErrOtherAccount = errors.New("the store holds data from another Lever account")
	// ErrDiskFull: a write did not fit (disk full or the size limit); the
	// transaction was rolled back and nothing of it was written.
	ErrDiskFull = errors.New("the disk is full: nothing of the last write was kept; free some space and run the sync again, it resumes where it stopped")
	// ErrSchema: the store was written by a newer leversync, or needs an
	// upgrade that a read-only open cannot do.
	ErrSchema = errors.New("the store's format is not one this leversync can use")
	// ErrNoStore: a read-only open found no store at the path.
	ErrNoStore = errors.New("no store yet: run leversync (the setup wizard) or leversync sync first")
)

// InUseError says which file is held and, when known, by which process.
type InUseError struct {
	Path string
	// PID is the holder's process id, 0 when unknown.
	PID int
}

func (e *InUseError) Error() string {
	// Only a read-write holder writes its pid, and read-write means a sync
	// or the wizard; readers (status, export) leave none.
	if e.PID > 0 {
		return fmt.Sprintf("the store %s is in use by another leversync process (pid %d), probably a sync: wait for it to finish or stop it, or pass another --db", e.Path, e.PID)
	}
	return fmt.Sprintf("the store %s is in use by another leversync process (a sync, status or export): wait for it to finish, or pass another --db", e.Path)
}

// Is makes errors.Is(err, ErrInUse) match.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// SchemaError is ErrSchema with the versions involved, so doctor can tell a
// file from a newer leversync (upgrade leversync) from one that needs an
// upgrade only a sync can make.
type SchemaError struct {
	Path string
	// Have is the file's schema version; Known is this binary's.
	Have, Known int
}

func (e *SchemaError) Error() string {
	if e.Have > e.Known {
		return fmt.Sprintf("%v: %s has schema version %d but this leversync knows up to %d; upgrade leversync, or pass another --db", ErrSchema, e.Path, e.Have, e.Known)
	}
	return fmt.Sprintf("%v: %s has schema version %d and needs an upgrade to %d, which a read-only open cannot do; run leversync sync once", ErrSchema, e.Path, e.Have, e.Known)
}

// Is makes errors.Is(err, ErrSchema) match.
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// corruptError wraps ErrCorrupt with the path and what was found.
func corruptError(path, why string, cause error) error {
	const fix = "it was left untouched; move it away, pass another --db, or run leversync reset to start over"
	if cause != nil {
		return fmt.Errorf("%w: %s (%s: %w); %s", ErrCorrupt, path, why, cause, fix)
	}
	return fmt.Errorf("%w: %s (%s); %s", ErrCorrupt, path, why, fix)
}

// writeError maps bbolt's size limit and ENOSPC to ErrDiskFull.
func writeError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, berrors.ErrMaxSizeReached) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w (%w)", ErrDiskFull, err)
	}
	return err
}
