package app

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
)

// A sync publishes its events on a unix socket for `leversync watch` (see
// publisher). The wire format is one JSON object per line: first a snapshot
// event, then the events of `leversync sync --json` as the sync emits them.

// EventSnapshot is the type of the first line a watcher receives: the
// sync's progress so far, in WatchEvent.Snapshot. Only the socket and
// `leversync watch --json` carry it; the engine never emits it.
const EventSnapshot syncer.EventType = "snapshot"

// WatchEvent is one line on the watch socket: an event of the documented
// `sync --json` schema, or a snapshot event.
type WatchEvent struct {
	syncer.Event
	// Snapshot is set on the snapshot event only.
	Snapshot *progress.Snapshot `json:"snapshot,omitempty"`
}

// SnapshotEvent is the snapshot event of s, taken now.
func SnapshotEvent(s progress.Snapshot) WatchEvent {
	return WatchEvent{Event: syncer.Event{Type: EventSnapshot, Time: time.Now().UnixMilli()}, Snapshot: &s}
}

// ErrNoSyncRunning: no process publishes a sync of that data file.
var ErrNoSyncRunning = errors.New("no sync is running on this data file")

// ErrSyncGone: the watched sync's process went away before its end (it was
// killed, or its machine stopped).
var ErrSyncGone = errors.New("the watched sync went away before its end")

// errStoppedWatching is what Wait returns once the watcher left: the sync
// goes on without it.
var errStoppedWatching = errors.New("stopped watching; the sync goes on")

// attachTimeout bounds how long Attach waits for a sync's snapshot.
const attachTimeout = 10 * time.Second

// Watch follows a sync running in another process (or this one) through
// its socket. It only reads: nothing a watcher does reaches the sync.
type Watch struct {
	conn    net.Conn
	initial progress.Snapshot
	events  chan syncer.Event

	closing   chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	stopCtx   func() bool

	// end is the run as sync_done described it; nil until then. Written
	// by the reader before done closes.
	end *syncer.RunState
}

// Attach connects to the sync of the data file at dbPath, running in any
// process, and receives its progress so far. It returns ErrNoSyncRunning
// when no sync publishes for that file: none runs, or one was killed and
// left its socket behind. The watch ends when ctx is done.
func Attach(ctx context.Context, dbPath string) (*Watch, error) {
	places, err := socketPlaces(dbPath)
	if err != nil {
		return nil, err
	}
	var conn net.Conn
	for _, p := range places {
		if p.ours && privateDir(p.dir, false) != nil {
			continue
		}
		// A socket left by a killed sync refuses at once; so does a
		// missing one.
		d := net.Dialer{Timeout: 2 * time.Second}
		if conn, err = d.DialContext(ctx, "unix", p.path()); err == nil {
			break
		}
	}
	if conn == nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s", ErrNoSyncRunning, dbPath)
	}

	stopDial := context.AfterFunc(ctx, func() { _ = conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(attachTimeout))
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	first, err := readFirst(sc)
	stopDial()
	if err != nil {
		_ = conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("watch the sync of %s: %w", dbPath, err)
	}
	_ = conn.SetReadDeadline(time.Time{})

	w := &Watch{
		conn:    conn,
		initial: *first.Snapshot,
		events:  make(chan syncer.Event, 64),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go w.read(sc)
	w.stopCtx = context.AfterFunc(ctx, w.shut)
	return w, nil
}

// maxLine bounds one line on the socket.
const maxLine = 16 << 20

func readFirst(sc *bufio.Scanner) (WatchEvent, error) {
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return WatchEvent{}, fmt.Errorf("the sync sent no progress: %w", err)
		}
		// The sync was ending (or has all the watchers it takes).
		return WatchEvent{}, fmt.Errorf("%w: the sync closed the connection before sending its progress", ErrNoSyncRunning)
	}
	var ev WatchEvent
	if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Type != EventSnapshot || ev.Snapshot == nil {
		return WatchEvent{}, errors.New("the socket did not start with a snapshot: it is not a leversync sync, or one of another version")
	}
	return ev, nil
}

// Initial is the sync's progress when the watch attached.
func (w *Watch) Initial() progress.Snapshot { return w.initial }

// Events delivers the sync's events after Initial, in order; progress of a
// watcher that falls behind may arrive merged, as with `sync --json`. It is
// closed after sync_done, when the sync's process goes away, or on Close.
func (w *Watch) Events() <-chan syncer.Event { return w.events }

// Close stops watching; the sync goes on. It is safe to call more than
// once.
func (w *Watch) Close() error {
	w.stopCtx()
	w.shut()
	return w.closeErr
}

// shut disconnects and waits for the reader; the end of ctx calls it too.
func (w *Watch) shut() {
	w.closeOnce.Do(func() {
		close(w.closing)
		if err := w.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			w.closeErr = err
		}
		<-w.done
	})
}

// Wait blocks until the watch ends and returns the run as its sync_done
// described it. It returns ErrSyncGone when the sync's process went away
// before its end, and an error once Close or the watch's context ended the
// watch first.
func (w *Watch) Wait() (syncer.RunState, error) {
	<-w.done
	switch {
	case w.end != nil:
		return *w.end, nil
	case w.isClosing():
		return syncer.RunState{}, errStoppedWatching
	}
	return syncer.RunState{}, ErrSyncGone
}

func (w *Watch) isClosing() bool {
	select {
	case <-w.closing:
		return true
	default:
		return false
	}
}

func (w *Watch) read(sc *bufio.Scanner) {
	defer close(w.done)
	defer close(w.events)
	if w.initial.Finished {
		run := w.initial.Run
		w.end = &run
		return
	}
	for sc.Scan() {
		var ev WatchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return
		}
		if ev.Type == EventSnapshot {
			continue
		}
		select {
		case w.events <- ev.Event:
		case <-w.closing:
			return
		}
		if ev.Type == syncer.EventSyncDone {
			run := w.initial.Run
			if ev.Run != nil {
				run = *ev.Run
			}
			w.end = &run
			return
		}
	}
}

// maxSocketPath is the longest socket path used: sun_path holds 108 bytes
// on Linux and 104 on macOS, the terminating NUL included.
const maxSocketPath = 100

// tempSocketName is the length of the name a publisher binds before moving
// the socket into place (see listenAt).
const tempSocketName = len(".lsw-12345678")

// socketPlace is a folder and a file name where a sync may publish.
type socketPlace struct {
	dir, name string
	// ours: the folder is leversync's own in the system's temporary
	// folder, created and checked private (0700, this user's).
	ours bool
}

func (p socketPlace) path() string { return filepath.Join(p.dir, p.name) }

// fits reports whether the socket and the name it is first bound under fit
// in sun_path.
func (p socketPlace) fits() bool {
	return len(p.dir)+1+max(len(p.name), tempSocketName) <= maxSocketPath
}

// socketPlaces are where the sync of the data file at dbPath publishes, in
// the order publisher and watcher try them: beside the file ("<db>.sock"),
// then the user's runtime folder ($XDG_RUNTIME_DIR, then a private folder
// in the system's temporary folder) under a hash of the file's absolute
// path, for paths too long for a socket or folders where one cannot be
// made.
// Both sides resolve the path the same way, so they find each other.
func socketPlaces(dbPath string) ([]socketPlace, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return nil, fmt.Errorf("find the data file %s: %w", dbPath, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	var out []socketPlace
	if beside := (socketPlace{dir: filepath.Dir(abs), name: filepath.Base(abs) + ".sock"}); beside.fits() {
		out = append(out, beside)
	}
	sum := sha256.Sum256([]byte(abs))
	name := "leversync-" + hex.EncodeToString(sum[:8]) + ".sock"
	short := []socketPlace{{dir: filepath.Join(os.TempDir(), "leversync-"+strconv.Itoa(os.Getuid())), name: name, ours: true}}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
		short = append([]socketPlace{{dir: dir, name: name}}, short...)
	}
	for _, p := range short {
		if p.fits() {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no socket path short enough for %s: set XDG_RUNTIME_DIR or TMPDIR to a short folder", abs)
	}
	return out, nil
}

// privateDir checks that dir is a folder only this user can enter, making
// it first when create is set: a socket in a folder others can write could
// be swapped for theirs.
func privateDir(dir string, create bool) error {
	if create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("make the folder for the watch socket: %w", err)
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !ownedByMe(fi) {
		return fmt.Errorf("%s is not a private folder of this user (it must be 0700 and yours): remove it", dir)
	}
	return nil
}
