package app

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
)

const (
	// watcherStall is how long a write to a watcher may block before the
	// watcher is dropped: it has stopped reading.
	watcherStall = 5 * time.Second
	// watcherFlush is how long the end of a sync waits for watchers to
	// take its last events.
	watcherFlush = time.Second
	// maxWatcherQueue bounds the events queued for one watcher once its
	// pages are merged; a watcher that far behind is dropped.
	maxWatcherQueue = 4096
	// watcherSocketBuffer is the send buffer asked for each watcher's
	// socket (Linux doubles it).
	watcherSocketBuffer = 8 << 10
	// maxWatchers bounds the watchers of one sync.
	maxWatchers = 32
)

// publisher serves a sync's events to watchers on a unix socket. It never
// blocks the sync: publish only queues, each watcher has its own writer,
// a watcher that lags has its pages merged, and one that stops reading is
// dropped. Watchers can send nothing: the socket's reading side is shut.
type publisher struct {
	ln    *net.UnixListener
	path  string
	sock  os.FileInfo // the socket as made, so close removes only ours
	stall time.Duration

	mu       sync.Mutex
	model    *progress.Model // what has been published, for the snapshot
	watchers map[*watcher]struct{}
	closed   bool

	accepting sync.WaitGroup
	writers   sync.WaitGroup
	closing   chan struct{}
}

// publish starts publishing the sync of the data file at dbPath. The caller
// holds the data file's lock, so any socket already in place is a killed
// sync's and is replaced.
func publish(dbPath string) (*publisher, error) { return newPublisher(dbPath, watcherStall) }

func newPublisher(dbPath string, stall time.Duration) (*publisher, error) {
	places, err := socketPlaces(dbPath)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, place := range places {
		ln, sock, err := listenAt(place)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p := &publisher{
			ln: ln, path: place.path(), sock: sock, stall: stall,
			model: progress.New(), watchers: map[*watcher]struct{}{}, closing: make(chan struct{}),
		}
		p.accepting.Add(1)
		go p.accept()
		return p, nil
	}
	return nil, errors.Join(errs...)
}

// listenAt binds a socket under a temporary name, makes it 0600, then
// moves it into place, so it is never reachable at its path with looser
// permissions, and a stale socket there is replaced in one step.
func listenAt(place socketPlace) (*net.UnixListener, os.FileInfo, error) {
	if place.ours {
		if err := privateDir(place.dir, true); err != nil {
			return nil, nil, err
		}
	}
	final := place.path()
	if fi, err := os.Lstat(final); err == nil && fi.Mode().Type() != fs.ModeSocket {
		return nil, nil, fmt.Errorf("%s exists and is not a socket; leaving it alone", final)
	}
	tmp := filepath.Join(place.dir, ".lsw-"+rand.Text()[:8])
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("make the watch socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		_ = ln.Close()
		_ = os.Remove(tmp)
		return nil, nil, fmt.Errorf("make the watch socket: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	sock, err := os.Lstat(final)
	if err != nil {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("make the watch socket: %w", err)
	}
	return ln, sock, nil
}

func (p *publisher) accept() {
	defer p.accepting.Done()
	for {
		conn, err := p.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (too many open files): wait a little.
			select {
			case <-p.closing:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		p.attach(conn)
	}
}

// attach starts serving a watcher: its first line is the snapshot of what
// was published so far, taken under the lock publish holds, so the
// watcher misses no event and sees none twice.
func (p *publisher) attach(conn *net.UnixConn) {
	// A watcher only reads: what it writes is refused by its own system.
	_ = conn.CloseRead()
	// A small socket buffer bounds what a stalled watcher holds in the
	// kernel, and lets its stall show soon.
	_ = conn.SetWriteBuffer(watcherSocketBuffer)
	p.mu.Lock()
	if p.closed || len(p.watchers) >= maxWatchers {
		p.mu.Unlock()
		_ = conn.Close()
		return
	}
	w := &watcher{conn: conn, stall: p.stall, wake: make(chan struct{}, 1), gone: make(chan struct{})}
	w.queue = []WatchEvent{SnapshotEvent(p.model.Snapshot())}
	p.watchers[w] = struct{}{}
	p.writers.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.writers.Done()
		w.run(p.closing)
	}()
}

// seed gives watchers what the events do not carry: what the file held
// when the run began and the last finished run (the evidence an estimate
// rests on), and the client's request ceiling. Not the file's counts as the
// run goes on: they change with every page, and a watcher reads them once
// the file is free.
func (p *publisher) seed(inFile map[lever.Resource]int, last *syncer.RunState, rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.model.SetBefore(inFile, last)
	p.model.SetInFile(nil)
	p.model.SetRateLimit(rate)
}

// publish hands ev to every watcher without waiting for any.
func (p *publisher) publish(ev syncer.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.model.Apply(ev)
	for w := range p.watchers {
		if !w.push(ev) {
			delete(p.watchers, w)
			w.drop()
		}
	}
}

// close stops accepting watchers, removes the socket, gives the watchers a
// short while to take the last events, and disconnects them.
func (p *publisher) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	watchers := p.watchers
	p.watchers = nil
	p.mu.Unlock()

	_ = p.ln.Close()
	if fi, err := os.Lstat(p.path); err == nil && os.SameFile(fi, p.sock) {
		_ = os.Remove(p.path)
	}
	close(p.closing)
	p.accepting.Wait()

	flushed := make(chan struct{})
	go func() {
		p.writers.Wait()
		close(flushed)
	}()
	select {
	case <-flushed:
	case <-time.After(watcherFlush):
		for w := range watchers {
			w.drop()
		}
		<-flushed
	}
}

// watcher is one connected watcher and the events not yet written to it.
type watcher struct {
	conn  *net.UnixConn
	stall time.Duration

	mu    sync.Mutex
	queue []WatchEvent

	wake     chan struct{}
	gone     chan struct{}
	goneOnce sync.Once
}

// push queues ev, merging a page into a queued page of the same stream. It
// returns false when the watcher is gone or too far behind.
func (w *watcher) push(ev syncer.Event) bool {
	select {
	case <-w.gone:
		return false
	default:
	}
	w.mu.Lock()
	if !w.mergeLocked(ev) {
		if len(w.queue) >= maxWatcherQueue {
			w.mu.Unlock()
			return false
		}
		w.queue = append(w.queue, WatchEvent{Event: ev})
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return true
}

// mergeLocked folds a page_stored event into a queued one of the same
// stream, looking back only past other pages, so the order against every
// other event is kept. The merged event has the later one's total and
// requests and the sum of both pages' records and tombstones, as the
// engine merges pages for a slow `sync --json` reader.
func (w *watcher) mergeLocked(ev syncer.Event) bool {
	if ev.Type != syncer.EventPageStored {
		return false
	}
	for i := len(w.queue) - 1; i >= 0; i-- {
		q := &w.queue[i]
		if q.Type != syncer.EventPageStored {
			return false
		}
		if q.Stream != ev.Stream || q.Phase != ev.Phase {
			continue
		}
		ev.Records += q.Records
		ev.Deleted += q.Deleted
		q.Event = ev
		return true
	}
	return false
}

func (w *watcher) take() []WatchEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	return q
}

// run writes queued events until the publisher closes (after a last
// flush) or the watcher goes.
func (w *watcher) run(closing <-chan struct{}) {
	defer w.drop()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for {
		batch := w.take()
		if len(batch) == 0 {
			select {
			case <-w.wake:
				continue
			case <-w.gone:
				return
			case <-closing:
				if batch = w.take(); len(batch) == 0 {
					return
				}
			}
		}
		buf.Reset()
		for _, ev := range batch {
			if err := enc.Encode(ev); err != nil {
				return
			}
		}
		// A watcher that stops reading fills its socket; the write then
		// blocks until the deadline, and the watcher is dropped.
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.stall))
		if _, err := w.conn.Write(buf.Bytes()); err != nil {
			return
		}
	}
}

// drop disconnects the watcher.
func (w *watcher) drop() {
	w.goneOnce.Do(func() {
		close(w.gone)
		_ = w.conn.Close()
	})
}
