package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Scheduled syncs (`leversync sync --every`) run one sync after another in
// the foreground, each through Start, so `leversync watch` follows every run
// and the data file is closed between runs for `status`, `export` and
// `doctor`. What the schedule is doing is kept in a small file beside the
// data file, which the scheduling process holds locked while it lives.

// scheduleSuffix names the schedule's state file: <data file>.schedule.
const scheduleSuffix = ".schedule"

const (
	// retryFirst is the wait after a first failed run, unless the schedule
	// is shorter.
	retryFirst = time.Minute
	// retryLimit caps the back-off after failed runs, unless the schedule
	// is longer.
	retryLimit = time.Hour
)

// ScheduleState is what a running schedule says about itself (the README
// documents it as status --json's schedule).
type ScheduleState struct {
	// PID is the scheduling process.
	PID int `json:"pid"`
	// EveryMs is the schedule's interval.
	EveryMs int64 `json:"everyMs"`
	// Running is true while a run is under way.
	Running bool `json:"running"`
	// NextRunAt is when the next run starts (ms), between runs.
	NextRunAt int64 `json:"nextRunAt,omitempty"`
	// Failures counts the runs in a row that failed; LastError is the
	// last one's error.
	Failures  int    `json:"failures,omitempty"`
	LastError string `json:"lastError,omitempty"`
}

// Every is the schedule's interval.
func (s ScheduleState) Every() time.Duration { return time.Duration(s.EveryMs) * time.Millisecond }

// Schedule repeats a sync of one data file.
type Schedule struct {
	// DataFile is the file the runs sync into; the schedule's state goes
	// beside it.
	DataFile string
	// Every is the time from the start of one run to the start of the
	// next; a run that takes longer skips the starts it missed.
	Every time.Duration
	// Run runs one sync to its end.
	Run func(context.Context) error
	// Heals reports whether a failed run may succeed later with nothing
	// changed (Lever or the network unavailable, the file held by another
	// sync). Any other failure ends the schedule with its error.
	Heals func(error) bool
	// Waiting is told, after each run, when the next one starts and how
	// the runs have been failing.
	Waiting func(ScheduleState)
}

// ErrScheduled: a scheduled sync already runs on the data file.
var ErrScheduled = errors.New("a scheduled sync ('leversync sync --every') already runs on this data file")

// RunSchedule runs s until ctx ends (it returns ctx's error, during a run or
// between runs) or a run fails in a way that cannot heal by itself (it
// returns that failure). After a failure the next attempt backs off: one
// minute (or the interval, if shorter), doubling each time, up to an hour
// (or the interval, if longer). A second schedule of the same data file is
// refused with ErrScheduled.
func RunSchedule(ctx context.Context, s Schedule) error {
	if s.Every <= 0 {
		return errors.New("a schedule needs an interval above zero")
	}
	if err := os.MkdirAll(filepath.Dir(s.DataFile), 0o700); err != nil {
		return fmt.Errorf("create the data folder for the schedule: %w", err)
	}
	f, err := lockSchedule(s.DataFile + scheduleSuffix)
	if err != nil {
		return err
	}
	defer f.release()

	st := ScheduleState{PID: os.Getpid(), EveryMs: s.Every.Milliseconds()}
	for {
		st.Running, st.NextRunAt = true, 0
		if err := f.write(st); err != nil {
			return err
		}
		start := time.Now()
		err := s.Run(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !s.Heals(err) {
			return err
		}
		st.Running = false
		if err != nil {
			st.Failures++
			st.LastError = err.Error()
		} else {
			st.Failures, st.LastError = 0, ""
		}
		next := nextRun(start, time.Now(), s.Every, st.Failures)
		st.NextRunAt = next.UnixMilli()
		if err := f.write(st); err != nil {
			return err
		}
		if s.Waiting != nil {
			s.Waiting(st)
		}
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// nextRun is when the run after one that started at start and ended at end
// begins: the next start on the schedule's grid that is still ahead, or
// after failures end plus the back-off.
func nextRun(start, end time.Time, every time.Duration, failures int) time.Time {
	if failures > 0 {
		return end.Add(retryWait(every, failures))
	}
	next := start.Add(every)
	if !next.After(end) {
		next = next.Add((end.Sub(next)/every + 1) * every)
	}
	return next
}

// retryWait is the back-off after failures runs in a row failed.
func retryWait(every time.Duration, failures int) time.Duration {
	wait, limit := min(every, retryFirst), max(every, retryLimit)
	for i := 1; i < failures && wait < limit; i++ {
		wait *= 2
	}
	return min(wait, limit)
}

// ReadSchedule is the state of the schedule running on the data file at
// dataFile; false when none runs (a state file left by a killed schedule
// does not count).
func ReadSchedule(dataFile string) (ScheduleState, bool) {
	b, alive := readScheduleFile(dataFile + scheduleSuffix)
	if !alive {
		return ScheduleState{}, false
	}
	var st ScheduleState
	if json.Unmarshal(b, &st) != nil || st.PID == 0 {
		return ScheduleState{}, false
	}
	return st, true
}

func validJSON(b []byte) bool { return json.Valid(b) && len(b) > 0 }

// pidOf names the process in a state file's content.
func pidOf(b []byte) string {
	var st ScheduleState
	if json.Unmarshal(b, &st) != nil || st.PID == 0 {
		return "process unknown"
	}
	return fmt.Sprintf("pid %d", st.PID)
}

// scheduleFile is the schedule's state file, held locked.
type scheduleFile struct {
	f    *os.File
	path string
}

// write replaces the file's content in place: the lock stays with the
// file, and a reader that meets a half-written file reads again.
func (sf *scheduleFile) write(st ScheduleState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := sf.f.Truncate(0); err != nil {
		return fmt.Errorf("write the schedule's state %s: %w", sf.path, err)
	}
	if _, err := sf.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write the schedule's state %s: %w", sf.path, err)
	}
	return nil
}

// release removes the file and lets go of the lock.
func (sf *scheduleFile) release() {
	_ = os.Remove(sf.path)
	_ = sf.f.Close()
}
