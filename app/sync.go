package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// SyncJob is everything one sync needs.
type SyncJob struct {
	// Target is where requests go, and with the account that answers
	// there, what the data file is bound to (store.Bind).
	Target Target
	Key    lever.APIKey
	DBPath string
	// Client tunes the client (rate, burst, retries, HTTP client); its
	// BaseURL, Key and Hold are set by Start. Its OnRetry hears the retries
	// made while Start connects, before the sync runs (a Lever that does
	// not answer is retried for up to a minute); later ones arrive as
	// EventRetry. Zero values are lever's defaults.
	Client lever.Options
	// Store tunes the data file (lock timeout, size limit); zero values are
	// store's defaults.
	Store store.Options
	Sync  syncer.Options
}

// Sync is a sync running in the background.
type Sync struct {
	events chan syncer.Event
	done   chan struct{}
	state  syncer.RunState
	err    error

	engine *syncer.Engine
	gate   *gate
	rate   float64
	// inFile and last are what the data file held when the run began.
	inFile map[lever.Resource]int
	last   *syncer.RunState

	mu sync.Mutex
	st *store.Store // nil once the run has closed it
}

// Start opens the data file, checks that it holds the data of the Lever
// account the API root answers for (or binds a new file to it) before
// anything is written, builds the client and the engine, and starts the
// run. Events arrive on Events until the run ends; the engine
// never blocks on them, so a consumer that stops reading loses progress
// reports, never data. The run's events are also published on a socket
// beside the file for Attach (`leversync watch`), as Events takes them.
func Start(ctx context.Context, job SyncJob) (*Sync, error) {
	if job.DBPath == "" {
		return nil, errors.New("no data file to sync into: pass --db")
	}
	s := &Sync{events: make(chan syncer.Event, 512), done: make(chan struct{})}
	var engine *syncer.Engine
	var engineMu sync.Mutex
	o := job.Client
	o.BaseURL, o.Key = job.Target.BaseURL, job.Key
	// Pausing holds every attempt at the client's door, retries included.
	s.gate = &gate{}
	o.Hold = s.gate.wait
	connecting := job.Client.OnRetry
	o.OnRetry = func(ri lever.RetryInfo) {
		engineMu.Lock()
		e := engine
		engineMu.Unlock()
		switch {
		case e != nil:
			e.OnRetry(ri)
		case connecting != nil:
			connecting(ri)
		}
	}
	client, err := lever.NewClient(o)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(job.DBPath, job.Store)
	if err != nil {
		return nil, err
	}
	fingerprint, err := accountFingerprint(ctx, client)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := st.Bind(job.Target.Env, job.Target.BaseURL, fingerprint); err != nil {
		_ = st.Close()
		return nil, err
	}
	s.inFile, _ = st.Counts()
	_, s.last, _ = st.LoadRun()
	s.rate = rateLimit(job.Client.Rate)
	engineMu.Lock()
	engine = syncer.NewEngine(client, st, job.Sync)
	e := engine
	engineMu.Unlock()
	s.engine = e
	s.st = st
	// Watchers follow the run on a socket beside the file. A sync that
	// cannot publish still runs, and says so.
	pub, perr := publish(job.DBPath)
	if pub != nil {
		pub.seed(s.inFile, s.last, s.rate)
	}

	go func() {
		raw := make(chan syncer.Event, 64)
		late := make(chan struct{})
		tidied := make(chan struct{})
		forwarded := make(chan struct{})
		go func() {
			defer close(forwarded)
			s.forward(raw, pub, perr, tidied, late)
		}()
		state, err := e.Run(ctx, raw)
		close(raw) // Run sends nothing once it has returned
		if ctx.Err() == nil && !errors.Is(err, store.ErrCorrupt) && !errors.Is(err, store.ErrDiskFull) {
			// bbolt keeps the bytes of freed pages: when this run (or an
			// earlier one that stopped before this point) deleted records
			// or dropped personal data from them, the file is rewritten so
			// that data leaves the disk. Only then, since it copies the
			// whole file; also after a run that failed, which may have
			// deleted already, but not after an interrupt (the user is
			// waiting) nor when the file itself failed. A rewrite that
			// fails leaves the mark for the next run.
			scrubbed, serr := st.Scrub()
			if serr != nil && err == nil {
				err = serr
			}
			// A full read fills bbolt's pages about two-thirds: pack them,
			// unless the scrub just did. Only an optimisation: a failure
			// (a disk without room for the copy) leaves the file as it
			// was, and the sync's own outcome stands.
			if err == nil && !scrubbed && state.UpdatedSince == 0 {
				_, _ = st.Pack()
			}
		}
		close(tidied)
		timer := time.AfterFunc(finalFlush, func() { close(late) })
		<-forwarded
		timer.Stop()
		// The socket goes before the lock: the next sync of this file
		// makes its own.
		if pub != nil {
			pub.close()
		}
		s.mu.Lock()
		cerr := st.Close()
		s.st = nil
		s.mu.Unlock()
		if err == nil && cerr != nil {
			err = fmt.Errorf("close the data file: %w", cerr)
		}
		s.state, s.err = state, err
		close(s.events)
		close(s.done)
	}()
	return s, nil
}

// accountFingerprint reads what identifies the Lever account behind the
// API root, for store.Bind: Lever has no account endpoint, so the ids of
// the account's archive reasons stand for it. Every account has some
// ("Hired" is one), they are UUIDs of that account alone, a few dozen at
// most (one request reads them), and a reason that is no longer used is
// deactivated rather than removed. It runs before anything is written; a
// failure here is the failure the sync would meet anyway.
func accountFingerprint(ctx context.Context, l lever.Lister) ([]string, error) {
	page, err := l.ListPage(ctx, "/archive_reasons", nil, "")
	if err != nil {
		return nil, fmt.Errorf("check which Lever account the API root answers for: %w", err)
	}
	var ids []string
	for _, raw := range page.Data {
		if rec, err := lever.DecodeRecord(lever.ArchiveReasons, raw, ""); err == nil {
			ids = append(ids, rec.ID)
		}
	}
	return ids, nil
}

// finalFlush is how long the end of a run waits for the consumer of Events
// to take the last events.
const finalFlush = time.Second

// forward hands the engine's events to the watchers and to Events. It holds
// sync_done until tidied is closed (the file's rewrite is over), waits for
// the consumer of Events while the run lasts (the engine merges pages
// meanwhile), and once late is closed drops what the consumer has not
// taken, so an absent consumer never holds up the end of the run.
func (s *Sync) forward(raw <-chan syncer.Event, pub *publisher, perr error, tidied, late <-chan struct{}) {
	if perr != nil {
		ev := syncer.Event{Type: syncer.EventWarning, Time: time.Now().UnixMilli(), Message: "leversync watch cannot follow this sync: " + perr.Error()}
		select {
		case s.events <- ev:
		default:
		}
	}
	for ev := range raw {
		if ev.Type == syncer.EventSyncDone {
			// The run is over for watchers and the caller once the file
			// is rewritten (scrub, pack): a reader that opens it then does
			// not find it still held for the copy.
			<-tidied
		}
		if pub != nil {
			pub.publish(ev)
		}
		select {
		case s.events <- ev:
		case <-late:
		}
	}
}

// Events delivers the engine's progress; it is closed when the run ends.
func (s *Sync) Events() <-chan syncer.Event { return s.events }

// Wait blocks until the run ends and returns how it ended. It may be called
// more than once.
func (s *Sync) Wait() (syncer.RunState, error) {
	<-s.done
	return s.state, s.err
}

// Before is what the data file held when the run began and the last
// finished run before it (nil if none).
func (s *Sync) Before() (map[lever.Resource]int, *syncer.RunState) {
	return maps.Clone(s.inFile), s.last
}

// RateLimit is the client's ceiling in requests per second; 0 is none.
func (s *Sync) RateLimit() float64 { return s.rate }

// SetPaused stops admitting new requests to Lever, or resumes.
func (s *Sync) SetPaused(paused bool) { s.gate.set(paused) }

// SetDetails turns the detail phase of the run on or off; false when too
// late for this run.
func (s *Sync) SetDetails(on bool) bool { return s.engine.SetDetails(on) }

func rateLimit(configured float64) float64 {
	switch {
	case configured < 0:
		return 0
	case configured == 0:
		return lever.DefaultRate
	}
	return configured
}

// WithStore runs fn on the data file while the run holds it open (the file
// cannot be opened twice) and reports whether it did.
func (s *Sync) WithStore(fn func(*store.Store) error) (ran bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		return false, nil
	}
	return true, fn(s.st)
}
