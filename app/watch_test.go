package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/progress/progresstest"
	"go.uber.org/goleak"
)

var (
	recordOnce sync.Once
	recording  progresstest.Recording
)

// recorded is a real incremental run with deletions (recorded once per test
// binary): every kind of page, including tombstones.
func recorded(t *testing.T) progresstest.Recording {
	recordOnce.Do(func() {
		sc := progresstest.Deletions()
		sc.Fake.Opportunities = 400
		recording = progresstest.Record(t, sc)
	})
	if len(recording.Events) < 10 || recording.State.Result != syncer.ResultOK {
		t.Fatalf("the recorded run has %d events, result %q", len(recording.Events), recording.State.Result)
	}
	return recording
}

// dataFile makes an empty data file in a short temporary folder; the
// publisher only needs its path.
func dataFile(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lsw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db := filepath.Join(dir, "ls.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return db
}

func startPublisher(t *testing.T, db string, stall time.Duration) *publisher {
	t.Helper()
	p, err := newPublisher(db, stall)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

func attach(t *testing.T, db string) *Watch {
	t.Helper()
	w, err := Attach(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// follow folds a watch's events into a model seeded by its snapshot, until
// Events closes.
func follow(t *testing.T, w *Watch) progress.Snapshot {
	t.Helper()
	m := progress.Restore(w.Initial())
	timeout := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				return m.Snapshot()
			}
			m.Apply(ev)
		case <-timeout:
			t.Fatal("the watch did not end within a minute")
		}
	}
}

// comparable is a snapshot as JSON without page counts: pages a lagging
// watcher was sent merged count once, as documented.
func comparable(t *testing.T, s progress.Snapshot) string {
	t.Helper()
	for i := range s.Phases {
		s.Phases[i].Pages = 0
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWatcherGetsSnapshotFirstThenEvents(t *testing.T) {
	rec := recorded(t)
	db := dataFile(t)
	p := startPublisher(t, db, watcherStall)

	early := attach(t, db) // before any event: an empty snapshot
	cut := len(rec.Events) / 2
	for _, ev := range rec.Events[:cut] {
		p.publish(ev)
	}
	mid := attach(t, db)
	if got, want := comparable(t, mid.Initial()), comparable(t, p.model.Snapshot()); got != want {
		t.Fatalf("a watcher joining after %d events got the snapshot\n%s\nwant\n%s", cut, got, want)
	}
	if !mid.Initial().Started || mid.Initial().Records() == 0 {
		t.Fatalf("the snapshot half-way through a sync shows no progress: %+v", mid.Initial())
	}
	if early.Initial().Started {
		t.Fatal("a watcher joining before any event got a started snapshot")
	}
	for _, ev := range rec.Events[cut:] {
		p.publish(ev)
	}

	all := progress.New()
	for _, ev := range rec.Events {
		all.Apply(ev)
	}
	want := comparable(t, all.Snapshot())
	for name, w := range map[string]*Watch{"joined at the start": early, "joined half-way": mid} {
		got := follow(t, w)
		if comparable(t, got) != want {
			t.Errorf("watcher %s ends at\n%s\nwant\n%s", name, comparable(t, got), want)
		}
		if !got.Finished || got.Run.Totals[lever.Opportunities] != rec.State.Totals[lever.Opportunities] {
			t.Errorf("watcher %s: finished %v, totals %v, want %v", name, got.Finished, got.Run.Totals, rec.State.Totals)
		}
	}
}

// TestStalledWatcherIsDroppedWithoutBlocking: a watcher that never reads
// fills its socket; publishing goes on regardless (this test would hang
// otherwise), the stalled watcher is disconnected while the sync still
// runs, and a watcher that reads, at the same time, gets everything.
func TestStalledWatcherIsDroppedWithoutBlocking(t *testing.T) {
	rec := recorded(t)
	db := dataFile(t)
	p := startPublisher(t, db, 200*time.Millisecond)

	stalled, err := net.Dial("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()

	reader := attach(t, db)
	var others atomic.Int64 // events other than pages the reader took
	got := make(chan progress.Snapshot, 1)
	go func() {
		m := progress.Restore(reader.Initial())
		for ev := range reader.Events() {
			m.Apply(ev)
			if ev.Type != syncer.EventPageStored {
				others.Add(1)
			}
		}
		got <- m.Snapshot()
	}()

	// Replay the run's events (all but sync_done) until far more than a
	// socket buffers was published, at the pace the reading watcher
	// keeps, as a sync's would.
	body := rec.Events[:len(rec.Events)-1]
	perRound, sent := 0, int64(0)
	for _, ev := range body {
		b, _ := json.Marshal(ev)
		perRound += len(b)
		if ev.Type != syncer.EventPageStored {
			sent++
		}
	}
	// Well over what a socket buffers (about 200 KiB on Linux), yet
	// fewer events than a watcher's queue holds: the stall is what drops
	// the stalled watcher, not the queue's bound.
	const target = 512 << 10
	if rounds := int64(target/perRound + 1); rounds*sent >= maxWatcherQueue {
		t.Fatalf("%d rounds of %d events would overflow the queue", rounds, sent)
	}
	want := progress.New()
	for round := int64(1); round*int64(perRound) < target; round++ {
		for _, ev := range body {
			p.publish(ev)
			want.Apply(ev)
		}
		deadline := time.Now().Add(time.Minute)
		for others.Load() < round*sent {
			if time.Now().After(deadline) {
				t.Fatalf("the reading watcher fell behind: %d of %d events", others.Load(), round*sent)
			}
			time.Sleep(time.Millisecond)
		}
	}
	last := rec.Events[len(rec.Events)-1]
	p.publish(last)
	want.Apply(last)

	// The publisher is still open: an end of stream now means it dropped
	// the stalled watcher.
	_ = stalled.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, stalled)
	if err != nil {
		t.Fatalf("the stalled watcher was not disconnected (read %d bytes): %v", n, err)
	}
	if n == 0 {
		t.Fatal("the stalled watcher was sent nothing; the test checks nothing")
	}
	select {
	case s := <-got:
		if comparable(t, s) != comparable(t, want.Snapshot()) {
			t.Errorf("the reading watcher ends at\n%s\nwant\n%s", comparable(t, s), comparable(t, want.Snapshot()))
		}
	case <-time.After(time.Minute):
		t.Fatal("the reading watcher did not finish")
	}
}

func TestWatcherCannotWriteToTheSync(t *testing.T) {
	db := dataFile(t)
	p := startPublisher(t, db, watcherStall)
	conn, err := net.Dial("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line := make([]byte, 1)
	if _, err := conn.Read(line); err != nil { // the snapshot has come: attached
		t.Fatal(err)
	}
	var werr error
	for range 100 {
		if _, werr = conn.Write([]byte("{\"type\":\"pause\"}\n")); werr != nil {
			break
		}
	}
	if werr == nil {
		t.Fatal("a watcher could write to the sync's socket")
	}
}

func TestWatchEndsWhenThePublisherGoes(t *testing.T) {
	rec := recorded(t)
	db := dataFile(t)
	p := startPublisher(t, db, watcherStall)
	w := attach(t, db)
	for _, ev := range rec.Events[:len(rec.Events)/2] {
		p.publish(ev)
	}
	p.close() // a sync killed before sync_done, as seen from here
	s := follow(t, w)
	if s.Finished || s.Records() == 0 {
		t.Errorf("a watch of a sync that went away mid-run: finished %v, records %d", s.Finished, s.Records())
	}
	if _, err := os.Lstat(p.path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left after the publisher closed: %v", err)
	}
	if _, err := Attach(context.Background(), db); !errors.Is(err, ErrNoSyncRunning) {
		t.Errorf("attach after the sync ended: %v, want ErrNoSyncRunning", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	db := dataFile(t)
	// A killed sync leaves its socket file behind: bound, never unlinked.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: db + ".sock", Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(db + ".sock"); err != nil {
		t.Fatal("no stale socket to test with:", err)
	}
	if _, err := Attach(context.Background(), db); !errors.Is(err, ErrNoSyncRunning) {
		t.Fatalf("attach to a stale socket: %v, want ErrNoSyncRunning", err)
	}
	p := startPublisher(t, db, watcherStall)
	if p.path != db+".sock" {
		t.Fatalf("published at %s, want beside the file", p.path)
	}
	fi, err := os.Lstat(p.path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket %v, %v: want a 0600 socket", fi, err)
	}
	attach(t, db)
}

func TestLongPathUsesRuntimeFolder(t *testing.T) {
	runtime, err := os.MkdirTemp("", "lsr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(runtime)
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-long-folder-name/", 8))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "ls.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if len(db+".sock") <= maxSocketPath {
		t.Fatal("the path is not long; the test checks nothing")
	}
	p := startPublisher(t, db, watcherStall)
	if filepath.Dir(p.path) != runtime || !strings.HasPrefix(filepath.Base(p.path), "leversync-") {
		t.Fatalf("published at %s, want in %s", p.path, runtime)
	}
	if fi, err := os.Lstat(p.path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v, %v: want 0600", fi, err)
	}
	// The watcher finds it from the data file's path, given relative.
	t.Chdir(dir)
	attach(t, "ls.db")
}

// TestRegularFileBesideIsLeftAlone: a file of the user's named like the
// socket is never replaced; the runtime folder is used instead.
func TestRegularFileBesideIsLeftAlone(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	db := dataFile(t)
	if err := os.WriteFile(db+".sock", []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPublisher(t, db, watcherStall)
	if b, _ := os.ReadFile(db + ".sock"); string(b) != "mine" || p.path == db+".sock" {
		t.Fatalf("the user's file %s.sock was replaced (published at %s)", db, p.path)
	}
	attach(t, db)
}

// TestTempFolderMustBePrivate: without XDG_RUNTIME_DIR the fallback folder
// is made 0700 in the temporary folder, and one others can enter is not
// used, by the publisher or the watcher.
func TestTempFolderMustBePrivate(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	tmp, err := os.MkdirTemp("", "lst")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	long := filepath.Join(tmp, strings.Repeat("x", 90))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(long, "ls.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPublisher(t, db, watcherStall)
	fi, err := os.Lstat(filepath.Dir(p.path))
	if err != nil || filepath.Dir(filepath.Dir(p.path)) != tmp || fi.Mode().Perm() != 0o700 {
		t.Fatalf("published at %s (folder %v, %v), want a 0700 folder in %s", p.path, fi, err, tmp)
	}
	attach(t, db)
	p.close()

	if err := os.Chmod(filepath.Dir(p.path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := newPublisher(db, watcherStall); err == nil || !strings.Contains(err.Error(), "not a private folder") {
		t.Fatalf("publishing in a folder others can enter: %v", err)
	}
}

// TestStartPublishes: a sync started by Start is watched with the same
// totals as its own events report.
func TestStartPublishes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 600, Rate: -1, Latency: 20 * time.Millisecond}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	db := filepath.Join(dataFile(t)+".d", "ls.db")
	run, err := Start(context.Background(), SyncJob{
		Target: Target{Env: lever.Production, BaseURL: fake.URL()},
		Key:    lever.NewAPIKey(fakelever.KeyFull),
		DBPath: db,
		Client: lever.Options{Rate: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	var w *Watch
	var done syncer.Event
	for ev := range run.Events() {
		if ev.Type == syncer.EventWarning {
			t.Errorf("warning: %s", ev.Message)
		}
		if ev.Type == syncer.EventPageStored && w == nil {
			w = attach(t, db)
		}
		if ev.Type == syncer.EventSyncDone {
			done = ev
		}
	}
	if _, err := run.Wait(); err != nil {
		t.Fatal(err)
	}
	if w == nil || done.Run == nil {
		t.Fatal("the sync stored no page or never finished")
	}
	s := follow(t, w)
	if !w.Initial().Started || !s.Finished || s.Result() != syncer.ResultOK {
		t.Fatalf("watch: started %v, finished %v, result %q", w.Initial().Started, s.Finished, s.Result())
	}
	for r, n := range done.Run.Totals {
		if s.Run.Totals[r] != n {
			t.Errorf("%s: watcher's total %d, the sync's %d", r, s.Run.Totals[r], n)
		}
	}
	if _, err := os.Lstat(db + ".sock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left after the sync: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("close the watch: %v", err)
	}
	fake.Close()
}

// TestLaggingWatcherQueueIsBounded: pages queued for a watcher that lags
// merge per stream (records and tombstones add up, the total is the
// latest), other events keep their order, and a watcher with a full queue
// is given up.
func TestLaggingWatcherQueueIsBounded(t *testing.T) {
	rec := recorded(t)
	w := &watcher{wake: make(chan struct{}, 1), gone: make(chan struct{})}
	var pages, others []syncer.Event
	for _, ev := range rec.Events {
		if ev.Type == syncer.EventPageStored && ev.Deleted > 0 {
			pages = append(pages, ev)
		} else if ev.Type != syncer.EventPageStored {
			others = append(others, ev)
		}
	}
	if len(pages) == 0 {
		t.Fatal("the recording has no page with tombstones")
	}
	page := pages[0]
	for range 1000 {
		if !w.push(page) {
			t.Fatal("pages of one stream overflowed the queue")
		}
	}
	if len(w.queue) != 1 {
		t.Fatalf("1000 pages of one stream queued as %d events", len(w.queue))
	}
	if q := w.queue[0]; q.Records != 1000*page.Records || q.Deleted != 1000*page.Deleted || q.Total != page.Total {
		t.Errorf("merged page: records %d, deleted %d, total %d; want %d, %d, %d", q.Records, q.Deleted, q.Total, 1000*page.Records, 1000*page.Deleted, page.Total)
	}
	w.push(others[0])
	w.push(page) // after another event: not merged across it
	if len(w.queue) != 3 || w.queue[1].Type != others[0].Type || w.queue[2].Records != page.Records {
		t.Errorf("a page merged across another event: %+v", w.queue)
	}
	for i := len(w.queue); i < maxWatcherQueue; i++ {
		if !w.push(others[i%len(others)]) {
			t.Fatalf("the queue refused event %d of %d", i, maxWatcherQueue)
		}
	}
	if w.push(others[0]) {
		t.Error("a watcher with a full queue was kept")
	}
}

// TestUnusableRuntimeFolderFallsBackToTemp: an XDG_RUNTIME_DIR that does not
// exist (a session without one) does not stop a long path from publishing.
func TestUnusableRuntimeFolderFallsBackToTemp(t *testing.T) {
	tmp, err := os.MkdirTemp("", "lst")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(tmp, "gone"))
	long := filepath.Join(tmp, strings.Repeat("y", 90))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(long, "ls.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPublisher(t, db, watcherStall)
	if filepath.Dir(filepath.Dir(p.path)) != tmp {
		t.Fatalf("published at %s, want in a folder of %s", p.path, tmp)
	}
	attach(t, db)
}

// TestSyncThatCannotPublishStillRuns: with nowhere to put its socket (a
// long path, and a temporary folder others can enter), a sync says so in
// a warning and runs to its end.
func TestSyncThatCannotPublishStillRuns(t *testing.T) {
	tmp, err := os.MkdirTemp("", "lst")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	if err := os.Mkdir(filepath.Join(tmp, "leversync-"+strconv.Itoa(os.Getuid())), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(tmp, "leversync-"+strconv.Itoa(os.Getuid())), 0o777); err != nil {
		t.Fatal(err)
	}
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 50, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	db := filepath.Join(tmp, strings.Repeat("z", 90), "ls.db")
	run, err := Start(context.Background(), SyncJob{
		Target: Target{Env: lever.Production, BaseURL: fake.URL()},
		Key:    lever.NewAPIKey(fakelever.KeyFull),
		DBPath: db,
		Client: lever.Options{Rate: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	var first syncer.Event
	for ev := range run.Events() {
		if first.Type == "" {
			first = ev
		}
	}
	st, err := run.Wait()
	if err != nil || st.Result != syncer.ResultOK {
		t.Fatalf("a sync that cannot publish: %v, result %q", err, st.Result)
	}
	if first.Type != syncer.EventWarning || !strings.Contains(first.Message, "leversync watch cannot follow this sync") {
		t.Errorf("first event %+v, want a warning that watch cannot follow", first)
	}
	if _, err := Attach(context.Background(), db); !errors.Is(err, ErrNoSyncRunning) {
		t.Errorf("attach: %v", err)
	}
}

// TestWatchersBeyondTheLimitAreTurnedAway: a sync serves a bounded number of
// watchers; one more is closed before its snapshot, which Attach reports as
// no sync to follow (the same as a sync that is just ending).
func TestWatchersBeyondTheLimitAreTurnedAway(t *testing.T) {
	db := dataFile(t)
	p := startPublisher(t, db, watcherStall)
	for range maxWatchers {
		c, err := net.Dial("unix", p.path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	if _, err := Attach(context.Background(), db); !errors.Is(err, ErrNoSyncRunning) {
		t.Fatalf("watcher %d: %v, want ErrNoSyncRunning", maxWatchers+1, err)
	}
}
