package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
)

func TestNextRun(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		start, end time.Time
		every      time.Duration
		failures   int
		want       time.Time
	}{
		{"on the grid", t0, t0.Add(5 * time.Minute), time.Hour, 0, t0.Add(time.Hour)},
		{"a run longer than the interval skips the missed starts", t0, t0.Add(150 * time.Minute), time.Hour, 0, t0.Add(3 * time.Hour)},
		{"a run that ends on a start waits for the next", t0, t0.Add(time.Hour), time.Hour, 0, t0.Add(2 * time.Hour)},
		{"a first failure retries after a minute", t0, t0.Add(time.Minute), time.Hour, 1, t0.Add(2 * time.Minute)},
		{"then 2, 4, 8... minutes", t0, t0, time.Hour, 4, t0.Add(8 * time.Minute)},
		{"up to the interval", t0, t0, time.Hour, 12, t0.Add(time.Hour)},
		{"a short schedule backs off up to an hour", t0, t0, time.Minute, 30, t0.Add(time.Hour)},
		{"a short schedule's first retry", t0, t0, time.Minute, 1, t0.Add(time.Minute)},
		{"a long schedule's back-off reaches its interval", t0, t0, 24 * time.Hour, 40, t0.Add(24 * time.Hour)},
		{"a long schedule still retries soon at first", t0, t0, 24 * time.Hour, 2, t0.Add(2 * time.Minute)},
	} {
		if got := nextRun(tc.start, tc.end, tc.every, tc.failures); !got.Equal(tc.want) {
			t.Errorf("%s: nextRun = %v, want %v", tc.name, got.Sub(t0), tc.want.Sub(t0))
		}
	}
}

var (
	errFlaky     = errors.New("lever is unavailable")
	errPermanent = errors.New("the key was revoked")
)

// TestRunSchedule: runs repeat on the interval; failures that heal are
// retried with the failures counted, a success resets them, one that
// cannot heal ends the schedule with its error and removes the state file.
// While the schedule lives, its state is readable beside the data file, and
// a second schedule of the same file is refused.
func TestRunSchedule(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "leversync.db")
	results := []error{nil, errFlaky, errFlaky, nil, errPermanent}
	var mu sync.Mutex
	var runs int
	var seenRunning []bool
	var waits []ScheduleState
	s := Schedule{
		DataFile: db,
		Every:    20 * time.Millisecond,
		Run: func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			st, ok := ReadSchedule(db)
			seenRunning = append(seenRunning, ok && st.Running && st.PID == os.Getpid())
			if runs == 0 {
				if err := RunSchedule(context.Background(), Schedule{DataFile: db, Every: time.Second, Run: func(context.Context) error { return nil }}); !errors.Is(err, ErrScheduled) {
					t.Errorf("a second schedule of the same file = %v, want ErrScheduled", err)
				}
			}
			err := results[runs]
			runs++
			return err
		},
		Heals: func(err error) bool { return errors.Is(err, errFlaky) },
		Waiting: func(st ScheduleState) {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, st)
			if got, ok := ReadSchedule(db); !ok || got != st {
				t.Errorf("between runs, ReadSchedule = %+v, %v; want %+v", got, ok, st)
			}
		},
	}
	start := time.Now()
	err := RunSchedule(context.Background(), s)
	if !errors.Is(err, errPermanent) {
		t.Fatalf("RunSchedule = %v, want the failure that cannot heal", err)
	}
	if runs != 5 || len(waits) != 4 {
		t.Fatalf("%d runs, %d waits; want 5 and 4", runs, len(waits))
	}
	for i, ok := range seenRunning {
		if !ok {
			t.Errorf("run %d: the state file did not say a run was under way", i+1)
		}
	}
	wantFailures := []int{0, 1, 2, 0}
	for i, w := range waits {
		if w.Failures != wantFailures[i] || w.Running || w.EveryMs != 20 || w.NextRunAt == 0 {
			t.Errorf("wait %d: %+v, want %d failures", i+1, w, wantFailures[i])
		}
		if (w.Failures > 0) != (w.LastError == errFlaky.Error()) {
			t.Errorf("wait %d: last error %q with %d failures", i+1, w.LastError, w.Failures)
		}
	}
	// 20, 20 (first retry: the interval is under a minute), 40, 20 ms.
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("five runs took %v: the waits were not kept", took)
	}
	if _, err := os.Stat(db + scheduleSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state file is left after the schedule ended: %v", err)
	}
	if _, ok := ReadSchedule(db); ok {
		t.Error("ReadSchedule finds a schedule after it ended")
	}
}

// TestRunScheduleStops: cancelling stops the schedule between runs and
// during one, with the context's error.
func TestRunScheduleStops(t *testing.T) {
	db := filepath.Join(t.TempDir(), "leversync.db")
	for _, during := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		s := Schedule{DataFile: db, Every: time.Hour, Heals: func(error) bool { return true }}
		s.Run = func(ctx context.Context) error {
			if during {
				cancel()
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}
		s.Waiting = func(ScheduleState) { cancel() }
		done := make(chan error)
		go func() { done <- RunSchedule(ctx, s) }()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("during a run %v: RunSchedule = %v", during, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("during a run %v: the schedule did not stop", during)
		}
		if _, ok := ReadSchedule(db); ok {
			t.Errorf("during a run %v: the stopped schedule is still reported", during)
		}
	}
}

// TestLeftoverScheduleIsNotReported: a state file that no live process
// holds (a schedule that was killed) says nothing, and does not stop a new
// schedule.
func TestLeftoverScheduleIsNotReported(t *testing.T) {
	db := filepath.Join(t.TempDir(), "leversync.db")
	if err := os.WriteFile(db+scheduleSuffix, []byte(`{"pid":1,"everyMs":60000,"nextRunAt":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, ok := ReadSchedule(db); ok {
		t.Fatalf("a leftover state file is reported: %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := RunSchedule(ctx, Schedule{DataFile: db, Every: time.Hour, Run: func(context.Context) error { cancel(); return nil }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a schedule over a leftover state file = %v", err)
	}
}

// TestDoctorReportsAFailingSchedule: between runs of a schedule whose runs
// fail, the doctor's last-sync check warns with the schedule's error and
// when it retries, read from the schedule's state beside the data file.
func TestDoctorReportsAFailingSchedule(t *testing.T) {
	fake := startFake(t)
	db := syncedDB(t, fake)
	sf, err := lockSchedule(db + scheduleSuffix)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.release()
	next := time.Now().Add(4 * time.Minute)
	if err := sf.write(ScheduleState{PID: os.Getpid(), EveryMs: time.Hour.Milliseconds(), NextRunAt: next.UnixMilli(), Failures: 3, LastError: "the store is in use"}); err != nil {
		t.Fatal(err)
	}
	d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, db))
	f := finding(t, d, steps.CheckLastSync)
	if f.Status != steps.Warn || !strings.Contains(f.Summary, "the last 3 scheduled runs failed: the store is in use; the schedule retries in 4 min") {
		t.Errorf("last sync: %s %q", f.Status, f.Summary)
	}
}
