package syncer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leversync/leversync/lever"
)

// Options tune a sync. The zero value is an incremental sync without
// per-opportunity detail.
type Options struct {
	// Full ignores the last run and re-reads everything.
	Full bool
	// Details adds the per-opportunity notes, interviews and offers.
	Details bool
	// Overlap is subtracted from the last run's start on Lever's clock, so a
	// record updated while that run was reading is read again. Default 5m.
	Overlap time.Duration
	// Concurrency bounds the requests in flight. Below it the sync keeps
	// as many as the client's rate limiter admits within one round trip
	// (lever.Lister.Capacity), splitting the read of opportunities to have
	// that many to make. Default 32.
	Concurrency int
	// Now is the local clock. Default time.Now.
	Now func() time.Time
}

const (
	defaultOverlap     = 5 * time.Minute
	defaultConcurrency = 32
	// detailChunk is how many opportunities one details commit covers.
	detailChunk = 100
	// maxOffsetRestarts bounds how often one stream, or one opportunity's
	// detail list, starts over from its first page after Lever rejects a
	// page token, in one run.
	maxOffsetRestarts = 5
	// warnNoConfidential is the run warning of a key without confidential
	// access.
	warnNoConfidential = "the key has no access to confidential data; confidential jobs and candidates are left out"
)

// ErrSyncRunning is returned by Run while another Run of the same Engine is
// in progress.
var ErrSyncRunning = errors.New("a sync is already running on this engine")

// Engine syncs Lever into a Sink: reference lists, postings and
// opportunities in parallel streams, then deletions, then optionally
// per-opportunity detail. Every page is committed with its stream's
// checkpoint, so a run that stops for any reason resumes where it stopped.
type Engine struct {
	lister  lever.Lister
	sink    Sink
	opts    Options
	running atomic.Bool
	// pump is the event pump of the run in progress, for OnRetry.
	pump atomic.Pointer[eventPump]
	// current is the run in progress, for SetDetails.
	current atomic.Pointer[run]
}

// NewEngine returns an engine that reads with l and writes to sink.
func NewEngine(l lever.Lister, sink Sink, o Options) *Engine {
	if o.Overlap <= 0 {
		o.Overlap = defaultOverlap
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Engine{lister: l, sink: sink, opts: o}
}

// OnRetry turns a client retry into an EventRetry; wire it to the client's
// Options.OnRetry. It never blocks and does nothing between runs.
func (e *Engine) OnRetry(ri lever.RetryInfo) {
	if p := e.pump.Load(); p != nil {
		p.emit(RetryEvent(ri))
	}
}

// RetryEvent is the EventRetry that tells of a client retry.
func RetryEvent(ri lever.RetryInfo) Event {
	msg := ri.Path
	if ri.Err != nil {
		msg = fmt.Sprintf("%s: %v", ri.Path, ri.Err)
	}
	return Event{Type: EventRetry, Status: ri.Status, Attempt: ri.Attempt, WaitMS: ri.Wait.Milliseconds(), Message: msg}
}

// Run syncs until done, an error, or ctx is cancelled. A run in progress in
// the sink (interrupted or failed) is resumed, each stream from its last
// committed page, with this engine's Details (a dropped detail phase is a
// run warning); with Full, a failed run or an incremental one starts over
// instead, keeping what is stored. On cancellation Run returns
// ctx.Err() at a page boundary; on failure the typed error (a
// *PermissionError, ErrUnauthorized, ...) wrapped with the stream's name.
// Either way the run stays in progress so the next Run resumes it.
//
// Events are sent without blocking the sync: progress may be coalesced or
// dropped when the consumer is slow, stored data never. events may be nil.
// When the consumer has taken events before, Run gives it up to a second
// at the end to take the last ones (sync_done); a channel with a small
// buffer avoids even that wait.
func (e *Engine) Run(ctx context.Context, events chan<- Event) (RunState, error) {
	if !e.running.CompareAndSwap(false, true) {
		return RunState{}, ErrSyncRunning
	}
	defer e.running.Store(false)

	r := &run{e: e, counts: map[string]*streamCount{}, requests: e.lister.Requests(), confidential: true}
	r.gate = newGate(e.lister.Capacity, e.opts.Concurrency)
	r.lister = gatedLister{e.lister, r.gate, priorityFirst}
	e.current.Store(r)
	defer e.current.Store(nil)
	r.pump = newEventPump(events, e.opts.Now, r.requestCount)
	e.pump.Store(r.pump)
	defer func() {
		e.pump.Store(nil)
		r.pump.close()
	}()
	return r.execute(ctx)
}

// SetDetails turns the detail phase of the run in progress on or off, as
// the dashboard's d key asks. Turning it on works until the run reaches
// that phase; turning it off also stops a detail phase in progress before
// its next chunk. The run state keeps the choice, so a resumed run follows
// it and the next detail sync knows what this one fetched. It reports
// whether the run took it.
func (e *Engine) SetDetails(on bool) bool {
	r := e.current.Load()
	if r == nil {
		return false
	}
	r.mu.Lock()
	if r.detailsDecided && (on || !r.st.Details) {
		r.mu.Unlock()
		return false
	}
	r.st.Details = on
	st := r.st
	r.mu.Unlock()
	// Best effort: the run's outcome is written again at its end.
	_ = r.e.sink.UpdateRun(st)
	return true
}

// run is the state of one Run call.
type run struct {
	e    *Engine
	pump *eventPump
	// lister is the engine's, behind gate; commits is the run's one
	// writer.
	lister  lever.Lister
	gate    *gate
	commits *committer
	// requests is the lister's count when the run began.
	requests int64

	mu sync.Mutex
	// st is the run's state. Copies of it are handed out (to the sink,
	// in events) and may be read after mu is released: its maps are
	// replaced, never changed in place.
	st     RunState
	counts map[string]*streamCount
	// confidential: the key is taken to read confidential records until a
	// 403 shows otherwise (see confidentialDenied).
	confidential bool
	confOnce     sync.Once
	confDenied   bool
	confErr      error
	detailsSince int64
	// detailsDecided: the run has passed the point where it starts its
	// detail phase or ends without one.
	detailsDecided bool
	// serverNow is the latest Date header seen, in ms.
	serverNow int64
	// resumeWarning is what begin left out of the resumed run, said once
	// the run has started.
	resumeWarning string
	// resumed: the run goes on from an earlier Run's checkpoints.
	resumed bool
	// named is what the changed records of an incremental run name in the
	// reference lists, by list.
	named map[lever.Resource]map[string]bool
}

// streamCount is what one stream stored in this run.
type streamCount struct {
	phase    string
	resource lever.Resource
	records  int
	deletes  bool // records counts tombstones
}

func (r *run) now() int64 { return r.e.opts.Now().UnixMilli() }

func (r *run) requestCount() int64 { return r.e.lister.Requests() - r.requests }

func (r *run) execute(ctx context.Context) (RunState, error) {
	if err := r.begin(); err != nil {
		return RunState{}, err
	}
	st := r.state()
	r.pump.emit(Event{Type: EventSyncStarted, Run: &st})
	if r.resumeWarning != "" {
		r.warn(r.resumeWarning, true)
	}

	r.commits = newCommitter(r.e.sink)
	err := r.phases(ctx)
	r.commits.close()
	return r.end(ctx, err)
}

// begin resumes the run in progress or starts a new one.
func (r *run) begin() error {
	sink := r.e.sink
	current, last, err := sink.LoadRun()
	if err != nil {
		return fmt.Errorf("sync: read the last run from the store: %w", err)
	}
	var st RunState
	if current != nil && r.e.opts.Full && (current.UpdatedSince > 0 || current.Result == ResultFailed) {
		// Full starts over from an incremental run, or from a full read
		// that failed, keeping what is stored.
		current = nil
	}
	if current != nil {
		st = *current
		if st.Details && !r.e.opts.Details {
			// A run that cannot finish must not block the next one: the
			// detail phase is this sync's choice, not the unfinished run's.
			r.resumeWarning = droppedDetails(current)
		}
		st.Details = r.e.opts.Details
		st.Result, st.Error, st.FinishedAt = "", "", 0
		r.resumed = true
		if err := sink.UpdateRun(st); err != nil {
			return fmt.Errorf("sync: resume run %s: %w", st.ID, err)
		}
	} else {
		st = r.newState(last)
		if err := sink.StartRun(st); err != nil {
			return fmt.Errorf("sync: start a run in the store: %w", err)
		}
	}
	r.st = st
	// An incremental detail refresh is only complete if the last run
	// fetched detail too.
	if st.UpdatedSince > 0 && last != nil && last.Details {
		r.detailsSince = st.UpdatedSince
	}
	return nil
}

// droppedDetails is the warning of a plain sync that resumes an unfinished
// run with a detail phase, and leaves that phase out.
func droppedDetails(unfinished *RunState) string {
	msg := "the unfinished sync's detail phase (notes, interviews, offers) is left out; run leversync sync --details to fetch it"
	if unfinished.Result == ResultFailed && unfinished.Error != "" {
		msg += " (it stopped: " + lever.PlainText(unfinished.Error) + ")"
	}
	return msg
}

func (r *run) newState(last *RunState) RunState {
	o := r.e.opts
	started := r.now()
	st := RunState{
		ID:        newRunID(started),
		Full:      o.Full,
		Details:   o.Details,
		StartedAt: started,
	}
	if last != nil {
		st.ListedAt = maps.Clone(last.ListedAt)
	}
	overlap := o.Overlap.Milliseconds()
	if last != nil {
		since := last.ServerStartedAt
		if since == 0 {
			since = last.StartedAt
		}
		since = max(since-overlap, 1)
		st.DeletedSince = since
		if !o.Full {
			st.UpdatedSince = since
		}
	} else {
		st.DeletedSince = max(started-overlap, 1)
	}
	return st
}

func newRunID(startedMS int64) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return time.UnixMilli(startedMS).UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// phases runs the sync proper: the lists (deleted lists included), then
// the optional per-opportunity detail, which needs every opportunity
// stored.
func (r *run) phases(ctx context.Context) error {
	if err := r.listPhase(ctx, r.commits); err != nil {
		return err
	}
	r.mu.Lock()
	r.detailsDecided = true
	details := r.st.Details
	r.mu.Unlock()
	if details {
		return r.details(ctx)
	}
	return nil
}

// confidentialDenied is asked when a request for confidential records
// (confidentiality=all) got a 403, which Lever answers when the key has no
// confidential access. The sync asks for them without a probe first, so no
// round trip is spent before reading; this finds out, once per run, which
// it was. denied: the key has no confidential access, and streams read on
// without it. An error: postings themselves are forbidden.
func (r *run) confidentialDenied(ctx context.Context) (denied bool, err error) {
	r.confOnce.Do(func() {
		// With the parameter: a key with confidential access gets
		// postings, so the 403 was about something else.
		q := url.Values{"confidentiality": {"all"}, "limit": {"1"}}
		page, err := r.lister.ListPage(ctx, "/postings", q, "")
		if err == nil {
			r.sawServerTime(page.ServerTime)
			return
		}
		var pe *lever.PermissionError
		if !errors.As(err, &pe) {
			r.confErr = fmt.Errorf("sync: check access to confidential data: %w", err)
			return
		}
		// Without it: a 403 here means postings themselves are forbidden.
		page, err = r.lister.ListPage(ctx, "/postings", url.Values{"limit": {"1"}}, "")
		if err != nil {
			r.confErr = fmt.Errorf("sync postings: %w", err)
			return
		}
		r.sawServerTime(page.ServerTime)
		r.mu.Lock()
		r.confidential = false
		r.mu.Unlock()
		r.confDenied = true
		r.warn(warnNoConfidential, true)
	})
	if r.confErr != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	return r.confDenied, r.confErr
}

// serverTimeKnown reports whether a Date header has been seen.
func (r *run) serverTimeKnown() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.serverNow > 0
}

// sawServerTime records Lever's clock; the first one becomes the run's
// ServerStartedAt.
func (r *run) sawServerTime(t time.Time) {
	if t.IsZero() {
		return
	}
	ms := t.UnixMilli()
	r.mu.Lock()
	r.serverNow = max(r.serverNow, ms)
	first := r.st.ServerStartedAt == 0
	if first {
		r.st.ServerStartedAt = ms
	}
	st := r.st
	r.mu.Unlock()
	if first {
		// Best effort: FinishRun writes it again.
		_ = r.e.sink.UpdateRun(st)
	}
}

// warn emits a warning event; a run warning also goes into the RunState
// and makes the result "warnings".
func (r *run) warn(msg string, runWarning bool) {
	if runWarning {
		r.mu.Lock()
		if !slices.Contains(r.st.Warnings, msg) {
			r.st.Warnings = append(r.st.Warnings, msg)
		}
		r.mu.Unlock()
	}
	r.pump.emit(Event{Type: EventWarning, Message: msg})
}

func (r *run) state() RunState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Warnings = slices.Clone(st.Warnings)
	st.Skipped = maps.Clone(st.Skipped)
	st.ListedAt = maps.Clone(st.ListedAt)
	st.Totals = r.totalsLocked()
	return st
}

// totalsLocked sums the records of every stream per resource; counts are
// loaded from checkpoints, so totals survive a resume.
func (r *run) totalsLocked() map[lever.Resource]int {
	t := map[lever.Resource]int{}
	for _, c := range r.counts {
		if c.deletes {
			continue
		}
		t[c.resource] += c.records
	}
	return t
}

// setCount records what a stream has stored so far and returns its phase's
// total.
func (r *run) setCount(name string, c streamCount) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[name] = &c
	total := 0
	for _, o := range r.counts {
		if o.phase == c.phase {
			total += o.records
		}
	}
	return total
}

func skippedTotal(m map[lever.Resource]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// end records the outcome and returns what Run returns.
func (r *run) end(ctx context.Context, err error) (RunState, error) {
	sink := r.e.sink
	if err == nil {
		st := r.state()
		st.FinishedAt = r.now()
		if st.ServerStartedAt == 0 {
			st.ServerStartedAt = st.StartedAt
		}
		if n := skippedTotal(st.Skipped); n > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("left out %d records that cannot be read (each named in a warning); leversync status counts them", n))
		}
		st.Result = ResultOK
		if len(st.Warnings) > 0 {
			st.Result = ResultWarnings
		}
		if ferr := sink.FinishRun(st); ferr != nil {
			err = fmt.Errorf("sync: record the finished run: %w", ferr)
		} else {
			r.pump.emit(Event{Type: EventSyncDone, Run: &st})
			return st, nil
		}
	}
	st := r.state()
	if ctx.Err() != nil {
		err = ctx.Err()
		st.Result = ResultInterrupted
		st.Error = "interrupted: the next sync resumes where this one stopped"
	} else {
		st.Result = ResultFailed
		st.Error = err.Error()
		r.pump.emit(Event{Type: EventError, Message: err.Error()})
	}
	// The run stays in progress, so the next Run resumes it.
	if uerr := sink.UpdateRun(st); uerr != nil {
		err = errors.Join(err, fmt.Errorf("sync: record the run's outcome: %w", uerr))
	}
	r.pump.emit(Event{Type: EventSyncDone, Run: &st})
	return st, err
}
