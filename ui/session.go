package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// session is the sync this program runs, or last ran, and what is known
// of it: the progress model its events feed, and what the data file
// holds. The dashboard and the Jobs page's header draw it; the root
// routes its messages here.
type session struct {
	c   *common
	ctx context.Context
	svc steps.Services
	// attach follows another process's sync of the data file; nil when
	// there is no way to.
	attach func(context.Context) (Watched, error)

	// gen numbers the runs; messages of an earlier run are ignored.
	gen      int
	run      steps.SyncRun
	progress *progress.Model
	// snap is the progress as of the last update, for drawing.
	snap     progress.Snapshot
	starting bool
	startErr error
	// finished: the run has returned (snap has its result).
	finished bool
	// watched: the run is another process's sync, followed read-only; that
	// process holds the data file until the run ends.
	watched bool
	// endRun and endErr are what the run's Wait returned.
	endRun syncer.RunState
	endErr error
	// lastDelivery is when the last batch of events arrived, on the real
	// clock: it paces the deliveries.
	lastDelivery time.Time
	// batch is the buffer deliveries are read into, reused.
	batch []syncer.Event

	// file is what the data file held at the last read, during run
	// fileGen.
	file     *steps.DataFile
	fileGen  int
	fileErr  error
	reading  bool
	lastRead time.Time // on the real clock: it paces the reads
	// stale: pages were stored since the file's counts were last read.
	stale bool
	// note says what the last key did, when that is not plain to see.
	note string
	// next is when a schedule's next run starts, once one has ended.
	next *NextRun
}

// fileReadInterval is the least time between two reads of the file's
// counts while a sync stores pages.
const fileReadInterval = 500 * time.Millisecond

func newSession(c *common, ctx context.Context, svc steps.Services, attach func(context.Context) (Watched, error)) *session {
	return &session{c: c, ctx: ctx, svc: svc, attach: attach, progress: progress.New()}
}

// active: a run is starting or running.
func (s *session) active() bool { return s.starting || (s.run != nil && !s.finished) }

// following: another process's sync is running and shown here; it holds
// the data file.
func (s *session) following() bool { return s.watched && !s.finished }

// awaitingFile: a watched sync has ended and the data file has not been
// read since; its process may hold it a moment longer.
func (s *session) awaitingFile() bool { return s.watched && s.finished && s.fileGen != s.gen }

// start begins a new run of the state's environment; a zero key is the
// saved one.
func (s *session) start(state steps.State, key lever.APIKey) tea.Cmd {
	if s.active() || s.svc == nil {
		return nil
	}
	s.begin()
	return startSync(s.ctx, s.svc, s.attach, s.gen, state, key)
}

// follow shows the sync another process runs, from its snapshot on.
func (s *session) follow(w Watched) tea.Cmd {
	if s.active() {
		return nil
	}
	s.begin()
	s.watched = true
	gen := s.gen
	return func() tea.Msg { return syncStartedMsg{gen: gen, run: w} }
}

// show shows a run a schedule started, from its start.
func (s *session) show(run steps.SyncRun) tea.Cmd {
	s.begin()
	gen := s.gen
	return func() tea.Msg { return syncStartedMsg{gen: gen, run: run} }
}

// begin forgets the last run for a new one.
func (s *session) begin() {
	s.gen++
	s.run, s.startErr, s.finished, s.note = nil, nil, false, ""
	s.watched, s.endRun, s.endErr = false, syncer.RunState{}, nil
	s.starting = true
	s.progress = progress.New()
	s.snap = progress.Snapshot{}
}

// readFile reads the data file's counts unless a read is in flight, or
// another process's sync holds the file.
func (s *session) readFile() tea.Cmd {
	if s.reading || s.svc == nil || s.following() {
		return nil
	}
	s.reading, s.stale = true, false
	s.lastRead = time.Now()
	return readDataFile(s.svc, s.gen)
}

// catchUp reads the file's counts if pages were stored since the last read.
func (s *session) catchUp() tea.Cmd {
	if !s.stale {
		return nil
	}
	return s.readFile()
}

// update handles the session's messages; ok is false for any other.
func (s *session) update(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case syncStartedMsg:
		if msg.gen != s.gen {
			return nil, true
		}
		s.starting = false
		if msg.err != nil {
			s.startErr = msg.err
			return s.readFile(), true
		}
		s.run = msg.run
		if w, ok := msg.run.(Watched); ok {
			// Another process's sync: its progress so far, what the file
			// held when it began and the last run come with its snapshot.
			// The file's counts follow once it ends and frees the file.
			s.watched = true
			s.progress = progress.Restore(w.Initial())
			s.progress.SetRateLimit(w.RateLimit())
		} else {
			inFile, last := s.run.Before()
			s.progress.SetBefore(inFile, last)
			s.progress.SetRateLimit(s.run.RateLimit())
			if s.file != nil && s.fileGen == s.gen {
				// Read while the run was starting.
				s.progress.SetInFile(s.file.Counts)
			}
		}
		s.snap = s.progress.Snapshot()
		s.lastDelivery = time.Now()
		return waitEvents(s.gen, s.run.Events(), s.lastDelivery.Add(frameInterval), s.batch), true
	case syncEventsMsg:
		if msg.gen != s.gen || s.run == nil {
			return nil, true
		}
		stored := false
		for _, ev := range msg.events {
			s.progress.Apply(ev)
			stored = stored || ev.Type != syncer.EventRetry
		}
		s.batch = msg.events[:0]
		s.snap = s.progress.Snapshot()
		s.lastDelivery = time.Now()
		var cmds []tea.Cmd
		if msg.closed {
			cmds = append(cmds, waitSyncDone(s.gen, s.run))
		} else {
			cmds = append(cmds, waitEvents(s.gen, s.run.Events(), s.lastDelivery.Add(frameInterval), s.batch))
		}
		// The file's counts follow, at most twice a second; the clock
		// catches up with what was left unread.
		s.stale = s.stale || stored
		if s.stale && time.Since(s.lastRead) >= fileReadInterval {
			cmds = append(cmds, s.readFile())
		}
		return tea.Batch(cmds...), true
	case syncDoneMsg:
		if msg.gen != s.gen {
			return nil, true
		}
		s.finished = true
		s.endRun, s.endErr = msg.run, msg.err
		s.progress.Finish(msg.run, msg.err)
		s.snap = s.progress.Snapshot()
		// The final counts; a read in flight may predate the end.
		s.reading = false
		if w, ok := s.run.(Watched); ok {
			return tea.Batch(closeWatch(w), s.readFile()), true
		}
		return s.readFile(), true
	case dataFileMsg:
		s.reading = false
		if msg.err != nil {
			s.fileErr = msg.err
			return nil, true
		}
		s.file, s.fileGen, s.fileErr = &msg.file, msg.gen, nil
		if msg.gen == s.gen && s.run != nil && msg.file.Counts != nil {
			s.progress.SetInFile(msg.file.Counts)
			s.snap = s.progress.Snapshot()
		}
		return nil, true
	case pausedMsg:
		if msg.gen == s.gen {
			s.progress.SetPaused(msg.paused)
			s.snap = s.progress.Snapshot()
		}
		return nil, true
	case detailsMsg:
		if msg.gen != s.gen {
			return nil, true
		}
		switch {
		case msg.took && msg.on:
			s.note = "Candidate details (notes, interviews, offers) will be fetched after the deletions."
			s.progress.SetDetails(true)
		case msg.took:
			s.note = "Candidate details are off for this run."
			s.progress.SetDetails(false)
		default:
			s.note = "Too late to change the details for this run; leversync sync --details fetches them any time."
		}
		s.snap = s.progress.Snapshot()
		return nil, true
	}
	return nil, false
}

// togglePause pauses or resumes the running sync; a watcher cannot.
func (s *session) togglePause() tea.Cmd {
	if s.run == nil || s.finished {
		return nil
	}
	if s.watched {
		s.note = "Watching: only the process running this sync can pause it."
		return nil
	}
	return setPaused(s.run, s.gen, !s.snap.Paused)
}

// toggleDetails turns the running sync's detail phase on or off; a
// watcher cannot.
func (s *session) toggleDetails() tea.Cmd {
	if s.run == nil || s.finished {
		return nil
	}
	if s.watched {
		s.note = "Watching: only the process running this sync can change its details."
		return nil
	}
	return setDetails(s.run, s.gen, !(s.snap.Run.Details && !s.snap.DetailsOff))
}

// candidates is what the header counts: the candidates in the file if
// known, else those this run stored; for another process's sync, which
// holds the file, at least what the file held when it began.
func (s *session) candidates() int {
	if n, ok := s.snap.InFile[lever.Opportunities]; ok {
		return n
	}
	p, _ := s.snap.Phase(string(lever.Opportunities))
	if s.following() {
		return max(s.snap.InFileBefore[lever.Opportunities], p.Records)
	}
	if s.file != nil {
		return s.file.Counts[lever.Opportunities]
	}
	return p.Records
}

// failed is why the last run failed, or "".
func (s *session) failed() string {
	switch {
	case s.startErr != nil:
		return "could not start: " + s.startErr.Error()
	case s.finished && s.snap.Result() == syncer.ResultFailed:
		return s.snap.Err
	}
	return ""
}
