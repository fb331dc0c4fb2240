package syncer

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/leversync/leversync/lever"
)

// scheduler runs the list phase: reference lists, postings, opportunities
// (in windows, on a full read) and the deleted lists, with as many streams
// going as the client can keep requests in flight (the gate), splitting
// opportunity windows when it has fewer. Each stream reads its pages one
// after another; the streams run side by side.
type scheduler struct {
	r       *run
	commits *committer
	ctx     context.Context
	cancel  context.CancelFunc

	mu sync.Mutex
	// pending streams start in order as places free up.
	pending []*stream
	// fam is the full read's windows (nil on an incremental sync).
	fam  *family
	live int
	// left counts each phase's streams not finished; started marks the
	// phases whose first stream has started.
	left      map[string]int
	started   map[string]bool
	deletions bool // the deleted lists are queued
	// held are reference lists read only if the changed records name an
	// entry they lack, decided once the naming streams, naming of them,
	// are done.
	held   []*stream
	naming int
	err    error
	done   chan struct{}
	wg     sync.WaitGroup
}

// listPhase reads every list until done, the first failure, or ctx ends.
func (r *run) listPhase(ctx context.Context, commits *committer) error {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &scheduler{r: r, commits: commits, ctx: gctx, cancel: cancel,
		left: map[string]int{}, started: map[string]bool{}, done: make(chan struct{})}
	streams, held, fam, err := r.listStreams()
	if err != nil {
		return err
	}
	s.fam = fam
	if len(held) > 0 {
		s.held = held
		for _, st := range streams {
			if st.names {
				s.naming++
			}
		}
	}
	if fam != nil {
		// Newest first: the user looks at recent candidates first.
		ws := slices.Clone(fam.windows)
		slices.SortFunc(ws, newestFirst)
		for _, w := range ws {
			streams = append(streams, s.windowStream(w))
		}
	}
	s.mu.Lock()
	// A phase with a held stream ends when release has decided on it.
	for _, st := range append(streams, held...) {
		s.left[st.phase]++
	}
	s.pending = streams
	s.mu.Unlock()
	s.fill()
	<-s.done
	s.wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.err
}

// newestFirst orders windows by their newest creation time, descending.
func newestFirst(a, b *window) int {
	if a.open != b.open {
		if a.open {
			return -1
		}
		return 1
	}
	return cmp.Compare(b.end, a.end)
}

func (s *scheduler) windowStream(w *window) *stream {
	return &stream{
		name: w.name(s.fam.startedAt), phase: string(lever.Opportunities), resource: lever.Opportunities,
		path: "/opportunities", query: w.query(s.fam.base), win: w,
	}
}

// fill starts streams while fewer are going than the client can keep
// busy: pending ones first, then new windows split off the opportunities.
func (s *scheduler) fill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		s.finishLocked()
		return
	}
	if !s.deletions && (s.r.serverTimeKnown() || (s.live == 0 && len(s.pending) == 0)) {
		// The deleted lists read up to Lever's clock, known from the first
		// answer; they fill places the others leave free.
		s.deletions = true
		for _, st := range s.r.deletionStreams() {
			s.left[st.phase]++
			s.pending = append(s.pending, st)
		}
	}
	want := s.r.gate.want()
	var start []*stream
	for s.live+len(start) < want && len(s.pending) > 0 {
		start = append(start, s.pending[0])
		s.pending = s.pending[1:]
	}
	if s.fam != nil && s.live+len(start) < want {
		spec := 0
		var cps []Checkpoint
		var ws []*window
		for s.live+len(start)+len(ws) < want {
			w := s.fam.split(&spec, &cps)
			if w == nil {
				break
			}
			ws = append(ws, w)
			s.left[string(lever.Opportunities)]++
		}
		if len(ws) > 0 {
			// The new list of windows and the lower bounds of the windows
			// that gave part away, in one transaction, queued before any
			// page of the new windows.
			batches := []Batch{{Resource: lever.Opportunities, Checkpoint: s.fam.registry()}}
			for _, cp := range cps {
				batches = append(batches, Batch{Resource: lever.Opportunities, Checkpoint: cp})
			}
			s.pendingSplit(s.commits.commit(batches...))
			// Newest first.
			slices.SortFunc(ws, newestFirst)
			for _, w := range ws {
				start = append(start, s.windowStream(w))
			}
		}
	}
	for _, st := range start {
		s.live++
		if st.win != nil {
			st.win.running = true
		}
		if !s.started[st.phase] {
			s.started[st.phase] = true
			s.r.pump.emit(Event{Type: EventPhaseStarted, Phase: st.phase, Resource: phaseResource(st)})
		}
		s.wg.Add(1)
		go s.runOne(st)
	}
	s.finishLocked()
}

// pendingSplit reports a failed split commit as the run's failure.
func (s *scheduler) pendingSplit(req *commitRequest) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := req.wait(); err != nil {
			s.fail(err)
		}
	}()
}

func (s *scheduler) runOne(st *stream) {
	defer s.wg.Done()
	err := s.r.runStream(s.ctx, s, st)
	s.mu.Lock()
	s.live--
	if st.win != nil {
		st.win.running = false
	}
	var phaseDone bool
	var held []*stream
	if err == nil {
		s.left[st.phase]--
		phaseDone = s.left[st.phase] == 0
		if st.names && s.held != nil {
			if s.naming--; s.naming == 0 {
				held = s.held
			}
		}
	}
	s.mu.Unlock()
	if err != nil {
		s.fail(err)
	} else if phaseDone {
		s.r.pump.emit(Event{Type: EventPhaseDone, Phase: st.phase, Resource: phaseResource(st), Total: s.r.phaseTotal(st.phase)})
	}
	if held != nil {
		s.release(held)
	}
	s.fill()
}

// release queues the held lists that the changed records name an unknown
// entry of, and ends the phases of the others: a reference list is kept,
// the postings phase done.
func (s *scheduler) release(held []*stream) {
	read, err := s.r.namedMissing(held)
	if err != nil {
		s.mu.Lock()
		s.held = nil
		s.mu.Unlock()
		s.fail(err)
		return
	}
	var ended []*stream
	s.mu.Lock()
	s.held = nil
	for _, st := range held {
		if slices.Contains(read, st) {
			s.pending = append(s.pending, st)
			continue
		}
		if s.left[st.phase]--; s.left[st.phase] == 0 {
			ended = append(ended, st)
		}
	}
	s.mu.Unlock()
	for _, st := range ended {
		if st.whole {
			s.r.pump.emit(Event{Type: EventPhaseKept, Phase: st.phase, Resource: st.resource, Message: s.r.keptWhy(st.resource)})
		} else {
			s.r.pump.emit(Event{Type: EventPhaseDone, Phase: st.phase, Resource: phaseResource(st), Total: s.r.phaseTotal(st.phase)})
		}
	}
}

// fail records the first failure and stops the other streams.
func (s *scheduler) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

// finishLocked closes done once nothing runs and nothing is left to start.
func (s *scheduler) finishLocked() {
	waiting := len(s.pending) > 0 || !s.deletions || s.held != nil
	if s.live > 0 || (waiting && s.ctx.Err() == nil) {
		return
	}
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}
