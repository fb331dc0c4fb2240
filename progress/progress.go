// Package progress is the one place where a sync's events become what people
// are shown. A Model folds syncer.Events into a Snapshot: each phase's state
// (waiting, syncing, done, failed, stopped, skipped for a missing
// permission), what it stored in this run, its tombstones and pages; the
// run's totals and requests; records and requests per second on the
// engine's own clock (the events' times, never the wall clock) with a
// second-by-second history of the last minutes; retries, 429s and the last
// back-off wait; warnings; the error; and the result. What the events do not
// carry, the process running the sync adds: the records the data file
// holds, the last finished run, the request ceiling and whether the sync is
// paused. From all of it the package estimates what is left, only from
// evidence. It also owns the words and numbers every front end shares: the
// result words, phase names, counts and the thousands formatter.
//
// A Snapshot is plain data that survives JSON, so a dashboard in another
// process can be seeded from one.
//
// It draws nothing and imports no terminal code. The headless printer
// (package main), the wizard's sync view and the accessible mode (package
// ui) only format a Snapshot; a front end that prints a line per change
// compares two snapshots (see Snapshot.PhaseChanges).
package progress

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// State is where a phase is.
type State string

const (
	// Waiting: planned for this run, not started yet.
	Waiting State = "waiting"
	Syncing State = "syncing"
	Done    State = "done"
	// Failed: the run failed while this phase was reading.
	Failed State = "failed"
	// Stopped: the run was interrupted, or failed in another phase, while
	// this phase was reading; the next run resumes it.
	Stopped State = "stopped"
	// Skipped: Lever refused the phase's reads for a permission the key
	// lacks (Phase.Reason names it); the engine stops the run there.
	Skipped State = "skipped"
	// Kept: an incremental run left this reference list unread, its copy
	// being recent (Phase.Reason says how recent).
	Kept State = "kept"
)

// Phase is one row of progress: a phase of the engine, which is one
// resource ("opportunities") or "deletions" or "details".
type Phase struct {
	// Name is the engine's phase name, e.g. "archive_reasons", "deletions".
	Name string `json:"name"`
	// Resource is set when the phase is one resource.
	Resource lever.Resource `json:"resource,omitempty"`
	State    State          `json:"state"`
	// Records is what the phase stored in this run, as the engine counts it
	// (a resumed run includes what the interrupted one stored): records,
	// or tombstones for the deletions phase. While pages arrive it is the
	// highest total reported, since concurrent streams of one phase may
	// report out of order; phase_done sets the final figure.
	Records int `json:"records"`
	// Deleted is the tombstones the phase's pages brought.
	Deleted int `json:"deleted,omitempty"`
	// Pages counts page_stored events. The engine merges a slow reader's
	// consecutive pages of one stream into one event, so this can be lower
	// than the pages read.
	Pages int `json:"pages"`
	// StartedAt and LastAt are the times (ms, the engine's clock) of the
	// phase's first and latest events.
	StartedAt int64 `json:"startedAt,omitempty"`
	LastAt    int64 `json:"lastAt,omitempty"`
	// RequestsBefore is the run's requests when the phase started, so a
	// phase that runs alone (details) knows the requests it made.
	RequestsBefore int64 `json:"requestsBefore,omitempty"`
	// Reason says why a phase failed or was skipped (for a missing
	// permission, the permission's name), or how recent a kept list is.
	Reason string `json:"reason,omitempty"`
}

// Title is the phase's name as people say it: "archive reasons".
func (p Phase) Title() string { return PhaseName(p.Name) }

// RecordsPerSecond is the phase's records over the time between its first
// and latest events; 0 until that time is known.
func (p Phase) RecordsPerSecond() float64 { return perSecond(int64(p.Records), p.LastAt-p.StartedAt) }

// Retry is one retried request, as the client reported it to the engine.
type Retry struct {
	// Status is the HTTP status retried; 0 is a network error.
	Status  int   `json:"status,omitempty"`
	Attempt int   `json:"attempt"`
	WaitMS  int64 `json:"waitMs"`
	// Path is the API path retried, e.g. "/opportunities"; Err the error
	// text of a failed attempt, if any.
	Path string `json:"path,omitempty"`
	Err  string `json:"err,omitempty"`
	// At is when it was reported (ms, the engine's clock).
	At int64 `json:"at,omitempty"`
}

// Wait is the back-off before the next attempt.
func (r Retry) Wait() time.Duration { return time.Duration(r.WaitMS) * time.Millisecond }

// Cause is what was retried, in words: "HTTP 429" or "network error".
func (r Retry) Cause() string {
	if r.Status == 0 {
		return "network error"
	}
	return "HTTP " + itoa(int64(r.Status))
}

// Snapshot is what a sync looks like after the events so far. It is a copy:
// the Model goes on without changing it.
type Snapshot struct {
	// Run is the run as the engine last described it: sync_started (full or
	// incremental, details, resumed totals), then sync_done or Finish
	// (result, totals per resource, warnings, error).
	Run syncer.RunState `json:"run"`
	// Started: sync_started arrived. Finished: sync_done arrived or Finish
	// was called.
	Started  bool `json:"started"`
	Finished bool `json:"finished"`
	// Phases are the rows in the engine's order: the ones planned at
	// sync_started (Waiting until they start), then any other phase an
	// event names, in order of arrival.
	Phases []Phase `json:"phases"`
	// Current is the phase that started last.
	Current string `json:"current,omitempty"`
	// Tombstones counts the deletions this run stored, by resource.
	Tombstones map[lever.Resource]int `json:"tombstones,omitempty"`
	// StartedAt and LastAt are the times (ms, the engine's clock) of the
	// first and latest events.
	StartedAt int64 `json:"startedAt,omitempty"`
	LastAt    int64 `json:"lastAt,omitempty"`
	// Requests is the HTTP requests the run has made so far.
	Requests int64 `json:"requests"`
	// Retries counts retried requests; RateLimited the ones retried after
	// an HTTP 429. LastRetry is the latest.
	Retries     int    `json:"retries"`
	RateLimited int    `json:"rateLimited"`
	LastRetry   *Retry `json:"lastRetry,omitempty"`
	// Warnings and Errors are the messages of warning and error events, in
	// order.
	Warnings []string `json:"warnings,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	// Err is the error the run returned, given to Finish.
	Err string `json:"err,omitempty"`

	// History is the run's requests and records at the end of each second
	// of the engine's clock that had events, oldest first, for the last
	// HistorySeconds.
	History []Second `json:"history,omitempty"`

	// What the events do not carry, set by the process running the sync.

	// InFile is what the data file holds per resource, as last read
	// (SetInFile); nil until read.
	InFile map[lever.Resource]int `json:"inFile,omitempty"`
	// InFileBefore is what the file held when this run began (SetBefore).
	InFileBefore map[lever.Resource]int `json:"inFileBefore,omitempty"`
	// LastRun is the last finished run before this one (SetBefore).
	LastRun *syncer.RunState `json:"lastRun,omitempty"`
	// RateLimit is the client's ceiling in requests per second.
	RateLimit float64 `json:"rateLimit,omitempty"`
	// Paused: the sync admits no new request until it is resumed.
	Paused bool `json:"paused,omitempty"`
	// DetailsOff: the detail phase was turned off during the run, so the
	// run ends without it.
	DetailsOff bool `json:"detailsOff,omitempty"`
}

// Second is the run's counts at the end of one second of the engine's
// clock.
type Second struct {
	// At is the second, in seconds since the epoch.
	At       int64 `json:"at"`
	Requests int64 `json:"requests"`
	Records  int   `json:"records"`
}

// HistorySeconds is how far back Snapshot.History reaches.
const HistorySeconds = 300

// Phase returns the row of the named phase.
func (s Snapshot) Phase(name string) (Phase, bool) {
	for _, p := range s.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return Phase{}, false
}

// Result is the engine's result (syncer.ResultOK, ...); "" until the run
// has finished.
func (s Snapshot) Result() string { return s.Run.Result }

// Records is what the phases stored in this run, tombstones left out.
func (s Snapshot) Records() int {
	n := 0
	for _, p := range s.Phases {
		if p.Name != syncer.PhaseDeletions {
			n += p.Records
		}
	}
	return n
}

// Stored is the records the run stored: the engine's final totals once it
// has them, Records until then.
func (s Snapshot) Stored() int {
	if !s.Finished || s.Run.Totals == nil {
		return s.Records()
	}
	n := 0
	for _, t := range s.Run.Totals {
		n += t
	}
	return n
}

// Elapsed is the time between the first and the latest event.
func (s Snapshot) Elapsed() time.Duration {
	return time.Duration(max(s.LastAt-s.StartedAt, 0)) * time.Millisecond
}

// RequestsPerSecond is the run's requests over Elapsed; 0 until time has
// passed.
func (s Snapshot) RequestsPerSecond() float64 { return perSecond(s.Requests, s.LastAt-s.StartedAt) }

func perSecond(n, ms int64) float64 {
	if ms <= 0 {
		return 0
	}
	return float64(n) * 1000 / float64(ms)
}

// PhaseChange is a phase whose state changed between two snapshots.
type PhaseChange struct {
	Phase Phase
	From  State
}

// PhaseChanges lists the phases whose state differs from before, in row
// order; a phase before does not have counts as Waiting. Front ends that
// print a line per change ("Syncing users…", "users: 12 records.") use it.
func (s Snapshot) PhaseChanges(before Snapshot) []PhaseChange {
	var out []PhaseChange
	for _, p := range s.Phases {
		from := Waiting
		if b, ok := before.Phase(p.Name); ok {
			from = b.State
		}
		if from != p.State {
			out = append(out, PhaseChange{Phase: p, From: from})
		}
	}
	return out
}

// Model folds a sync's events into a Snapshot. Use one Model per run. It is
// safe for concurrent use, so a snapshot can be taken while events are
// applied.
type Model struct {
	mu    sync.Mutex
	s     Snapshot
	index map[string]int // phase name -> position in s.Phases
}

// New returns a model of a run with no events yet.
func New() *Model { return &Model{index: map[string]int{}} }

// Apply folds one event into the model.
func (m *Model) Apply(ev syncer.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.s
	if ev.Time > 0 {
		if s.StartedAt == 0 {
			s.StartedAt = ev.Time
		}
		s.LastAt = max(s.LastAt, ev.Time)
	}
	s.Requests = max(s.Requests, ev.Requests)

	switch ev.Type {
	case syncer.EventSyncStarted:
		s.Started = true
		if ev.Run != nil {
			s.Run = cloneRun(*ev.Run)
			m.plan(ev.Run.Details)
		}
	case syncer.EventPhaseStarted:
		if p := m.phase(ev); p != nil {
			if p.State == Waiting {
				p.State = Syncing
			}
			s.Current = p.Name
		}

	case syncer.EventPageStored:
		if p := m.phase(ev); p != nil {
			if p.State == Waiting {
				p.State = Syncing
			}
			p.Pages++
			p.Records = max(p.Records, ev.Total)
			p.Deleted += ev.Deleted
		}
		if ev.Deleted > 0 && ev.Resource != "" {
			if s.Tombstones == nil {
				s.Tombstones = map[lever.Resource]int{}
			}
			s.Tombstones[ev.Resource] += ev.Deleted
		}
	case syncer.EventPhaseDone:
		if p := m.phase(ev); p != nil {
			p.State = Done
			// The engine's final figure for the phase; a phase_done without
			// one (nothing stored) keeps what its pages said.
			if ev.Total > 0 {
				p.Records = ev.Total
			}
		}
	case syncer.EventPhaseKept:
		if p := m.phase(ev); p != nil {
			p.State = Kept
			p.Reason = ev.Message
		}
	case syncer.EventRetry:
		s.Retries++
		if ev.Status == 429 {
			s.RateLimited++
		}
		path, msg, _ := strings.Cut(ev.Message, ": ")
		s.LastRetry = &Retry{Status: ev.Status, Attempt: ev.Attempt, WaitMS: ev.WaitMS, Path: path, Err: msg, At: ev.Time}
	case syncer.EventWarning:
		s.Warnings = append(s.Warnings, ev.Message)
	case syncer.EventError:
		s.Errors = append(s.Errors, ev.Message)
		m.failPhase(ev.Message)
	case syncer.EventSyncDone:
		if ev.Run != nil {
			s.Run = cloneRun(*ev.Run)
		}
		m.finishLocked()
	}
	m.record(ev.Time)
}

// Finish records what the engine's Run returned. It settles the result
// when the run ended before it could say (a failure before sync_started):
// failed, or interrupted if err is a cancellation.
func (m *Model) Finish(st syncer.RunState, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.s
	if st.ID != "" || st.Result != "" {
		s.Run = cloneRun(st)
	}
	if err != nil {
		s.Err = err.Error()
		if s.Run.Result == "" {
			s.Run.Result = syncer.ResultFailed
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				s.Run.Result = syncer.ResultInterrupted
			}
		}
	}
	m.finishLocked()
}

func (m *Model) finishLocked() {
	s := &m.s
	s.Finished = true
	to := Failed
	switch s.Run.Result {
	case syncer.ResultFailed:
		// When the failure names its phase, the others were only stopped
		// by it.
		for _, p := range s.Phases {
			if p.State == Failed || p.State == Skipped {
				to = Stopped
			}
		}
	case syncer.ResultInterrupted:
		to = Stopped
	default:
		return
	}
	for i := range s.Phases {
		if s.Phases[i].State == Syncing {
			s.Phases[i].State = to
		}
	}
}

// Snapshot returns a copy of what the model knows now.
func (m *Model) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.s
	s.Run = cloneRun(s.Run)
	s.Phases = slices.Clone(s.Phases)
	s.Tombstones = maps.Clone(s.Tombstones)
	s.Warnings = slices.Clone(s.Warnings)
	s.Errors = slices.Clone(s.Errors)
	if s.LastRetry != nil {
		r := *s.LastRetry
		s.LastRetry = &r
	}
	s.History = slices.Clone(s.History)
	s.InFile = maps.Clone(s.InFile)
	s.InFileBefore = maps.Clone(s.InFileBefore)
	if s.LastRun != nil {
		r := cloneRun(*s.LastRun)
		s.LastRun = &r
	}
	return s
}

// SetInFile records what the data file holds now, per resource.
func (m *Model) SetInFile(counts map[lever.Resource]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.InFile = maps.Clone(counts)
}

// SetBefore records what the data file held when the run began and the
// last finished run before it (nil if none): the evidence for estimates.
func (m *Model) SetBefore(counts map[lever.Resource]int, last *syncer.RunState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.InFileBefore = maps.Clone(counts)
	if m.s.InFile == nil {
		m.s.InFile = maps.Clone(counts)
	}
	m.s.LastRun = nil
	if last != nil {
		r := cloneRun(*last)
		m.s.LastRun = &r
	}
}

// SetRateLimit records the client's ceiling in requests per second.
func (m *Model) SetRateLimit(perSecond float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.RateLimit = perSecond
}

// SetPaused records whether the sync admits new requests.
func (m *Model) SetPaused(paused bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.Paused = paused
}

// SetDetails records that the detail phase was turned on or off during the
// run: its row is planned, or dropped while it has not started.
func (m *Model) SetDetails(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.Run.Details = on
	m.s.DetailsOff = !on
	i, ok := m.index[syncer.PhaseDetails]
	switch {
	case on && !ok:
		m.row(syncer.PhaseDetails, "")
	case !on && ok && m.s.Phases[i].State == Waiting:
		m.s.Phases = slices.Delete(m.s.Phases, i, i+1)
		delete(m.index, syncer.PhaseDetails)
		for j := i; j < len(m.s.Phases); j++ {
			m.index[m.s.Phases[j].Name] = j
		}
	}
}

// plan adds the rows a run goes through, in the engine's order: the lists
// (lever.ListResources is in phase order), then deletions, then details
// when the run fetches them.
func (m *Model) plan(details bool) {
	for _, r := range lever.ListResources {
		m.row(string(r), r)
	}
	m.row(syncer.PhaseDeletions, "")
	if details {
		m.row(syncer.PhaseDetails, "")
	}
}

// phase returns the row an event is about, adding it if it is new, and
// notes the event's time on it; nil for an event about no phase.
func (m *Model) phase(ev syncer.Event) *Phase {
	name := ev.Phase
	if name == "" {
		name = string(ev.Resource)
	}
	if name == "" {
		return nil
	}
	res := lever.Resource("")
	if name == string(ev.Resource) {
		res = ev.Resource
	}
	p := m.row(name, res)
	if ev.Time > 0 {
		if p.StartedAt == 0 {
			p.StartedAt = ev.Time
			p.RequestsBefore = m.s.Requests
		}
		p.LastAt = max(p.LastAt, ev.Time)
	}
	return p
}

func (m *Model) row(name string, res lever.Resource) *Phase {
	if i, ok := m.index[name]; ok {
		return &m.s.Phases[i]
	}
	m.index[name] = len(m.s.Phases)
	m.s.Phases = append(m.s.Phases, Phase{Name: name, Resource: res, State: Waiting})
	return &m.s.Phases[len(m.s.Phases)-1]
}

func cloneRun(st syncer.RunState) syncer.RunState {
	st.Totals = maps.Clone(st.Totals)
	st.Warnings = slices.Clone(st.Warnings)
	return st
}
