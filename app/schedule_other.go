//go:build !unix

package app

import (
	"fmt"
	"os"
)

// lockSchedule creates the state file at path. Without flock a live
// schedule is told by the file's presence: the schedule removes it when it
// ends, so one killed leaves it behind until the next schedule starts.
func lockSchedule(path string) (*scheduleFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the schedule's state %s: %w", path, err)
	}
	return &scheduleFile{f: f, path: path}, nil
}

// readScheduleFile returns the state file's content; present counts as
// alive.
func readScheduleFile(path string) ([]byte, bool) {
	b, err := os.ReadFile(path)
	return b, err == nil
}
