//go:build unix

package app

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockWait is how long a new schedule tries for the state file's lock: a
// reader holds it shared for a moment.
const lockWait = time.Second

// lockSchedule creates or opens the state file at path and locks it for
// this process's lifetime (the lock ends with the process, however it
// ends). ErrScheduled when another live process holds it.
func lockSchedule(path string) (*scheduleFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the schedule's state %s: %w", path, err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &scheduleFile{f: f, path: path}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) {
		if b, alive := readScheduleFile(path); alive {
			return nil, fmt.Errorf("%w (%s): stop it first, or let it run", ErrScheduled, pidOf(b))
		}
		return nil, fmt.Errorf("%w: stop it first, or let it run", ErrScheduled)
	}
	return nil, fmt.Errorf("lock the schedule's state %s: %w", path, err)
}

// readScheduleFile returns the state file's content, and whether a live
// process holds it: the lock says so, not the pid written in it.
func readScheduleFile(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil {
		// Nobody holds it: a killed schedule's leftover.
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return nil, false
	}
	// The holder rewrites it in place: a read that catches it half-written
	// reads again.
	var b []byte
	for range 5 {
		b, err = os.ReadFile(path)
		if err == nil && validJSON(b) {
			return b, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return b, true
}
