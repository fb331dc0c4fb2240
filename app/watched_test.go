package app

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
)

// TestWatchedSyncOfARealSync watches a second sync of a file mid-run: the
// snapshot carries what the file held when that run began, the last run and
// the client's ceiling (not the file's counts, which a watcher cannot
// follow), and Wait returns the run as its sync_done described it.
func TestWatchedSyncOfARealSync(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 600, Rate: -1, Latency: 20 * time.Millisecond}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	db := dataFile(t) + ".db"
	job := SyncJob{
		Target: Target{Env: lever.Production, BaseURL: fake.URL()},
		Key:    lever.NewAPIKey(fakelever.KeyFull),
		DBPath: db,
		Client: lever.Options{Rate: 50},
		Sync:   syncer.Options{Full: true},
	}
	first, err := Start(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	for range first.Events() {
	}
	firstRun, err := first.Wait()
	if err != nil {
		t.Fatal(err)
	}

	second, err := Start(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	inFile, last := second.Before()
	var w WatchedSync
	var done syncer.Event
	for ev := range second.Events() {
		if ev.Type == syncer.EventPageStored && w.Watch == nil {
			w = WatchedSync{attach(t, db)}
		}
		if ev.Type == syncer.EventSyncDone {
			done = ev
		}
	}
	if _, err := second.Wait(); err != nil {
		t.Fatal(err)
	}
	if w.Watch == nil || done.Run == nil {
		t.Fatal("the second sync stored no page or never finished")
	}
	for range w.Events() {
	}
	got, err := w.Wait()
	if err != nil {
		t.Fatalf("wait for the watched sync: %v", err)
	}
	if got.ID != done.Run.ID || got.Result != syncer.ResultOK || !maps.Equal(got.Totals, done.Run.Totals) {
		t.Errorf("the watch ended with run %+v, the sync's sync_done says %+v", got, *done.Run)
	}

	gotIn, gotLast := w.Before()
	if !maps.Equal(gotIn, inFile) || gotIn[lever.Opportunities] != 600 {
		t.Errorf("Before: the file held %v, the syncing process says %v", gotIn, inFile)
	}
	if gotLast == nil || last == nil || gotLast.ID != firstRun.ID || gotLast.ID != last.ID {
		t.Errorf("Before: last run %v, want the first sync %s", gotLast, firstRun.ID)
	}
	if r := w.RateLimit(); r != 50 {
		t.Errorf("RateLimit = %v, want the syncing client's 50", r)
	}
	if w.Initial().InFile != nil {
		t.Errorf("the snapshot carries the file's counts %v, which no watcher can follow", w.Initial().InFile)
	}
	if w.SetDetails(true) {
		t.Error("a watcher changed the watched sync's detail phase")
	}
}

// TestWatchWaitSaysHowTheWatchEnded: a publisher that goes away before
// sync_done is ErrSyncGone; a watcher that leaves gets another error; a
// snapshot without a ceiling or a file's counts gives Lever's limit and no
// counts.
func TestWatchWaitSaysHowTheWatchEnded(t *testing.T) {
	rec := recorded(t)
	db := dataFile(t)
	p := startPublisher(t, db, watcherStall)
	gone := WatchedSync{attach(t, db)}
	left := WatchedSync{attach(t, db)}
	for _, ev := range rec.Events[:len(rec.Events)/2] {
		p.publish(ev)
	}
	if err := left.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := left.Wait(); err == nil || errors.Is(err, ErrSyncGone) {
		t.Errorf("Wait after Close = %v, want an error other than ErrSyncGone: the sync goes on", err)
	}
	p.close()
	for range gone.Events() {
	}
	if _, err := gone.Wait(); !errors.Is(err, ErrSyncGone) {
		t.Errorf("Wait after the publisher went away mid-run = %v, want ErrSyncGone", err)
	}
	if r := gone.RateLimit(); r != lever.DefaultRate {
		t.Errorf("RateLimit without one in the snapshot = %v, want %v", r, lever.DefaultRate)
	}
	if in, last := gone.Before(); in != nil || last != nil {
		t.Errorf("Before without them in the snapshot = %v, %v", in, last)
	}
}
