package steps

import (
	"context"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// Services is everything the wizard and the pages after it need from the
// outside world: the network, the credential store and the data file.
// Front ends call it only from background work (a tea.Cmd), never while
// drawing.
type Services interface {
	// LoadProgress returns the saved wizard state; ok is false when there
	// is none (or it was unreadable, which starts the wizard over).
	LoadProgress(ctx context.Context) (s State, ok bool, err error)
	// SaveProgress saves the state so a restart resumes at its step.
	SaveProgress(ctx context.Context, s State) error
	// Connect verifies key against the environment s chose, then checks
	// every permission RequiredPermissions(s) names and, if s wants it,
	// confidential access. It sends each finished check on checks as it
	// arrives (never blocking once ctx is done) and returns the report.
	// When the key is rejected it tries the other hosted environment, to
	// tell "this key belongs to Sandbox".
	Connect(ctx context.Context, s State, key lever.APIKey, checks chan<- Check) ConnectReport
	// SaveKey keeps the key for later runs, one per environment, and says
	// where it went in words for the user, to follow "Key ": "saved in the
	// system keyring ...", "saved in <file> ...", or "not saved: ...". The
	// demo saves nothing.
	SaveKey(ctx context.Context, env lever.Environment, key lever.APIKey) (where string, err error)
	// StartSync starts a sync of the environment s chose in the background.
	// A zero key means the saved one (or the demo key).
	StartSync(ctx context.Context, s State, key lever.APIKey) (SyncRun, error)

	// DataFile says what the data file holds: records per resource and
	// the last finished run. Reads work while this process syncs; while
	// another process holds the file they fail until it is free.
	DataFile(ctx context.Context) (DataFile, error)
	// Jobs lists the stored postings with their number of candidates.
	Jobs(ctx context.Context) ([]Job, error)
	// Candidates lists the stored candidates of one job, from the index
	// of candidates by job.
	Candidates(ctx context.Context, jobID string) ([]Candidate, error)
	// SearchCandidates finds stored candidates across jobs whose name
	// words or email addresses start with every word of query, at most
	// limit of them, and says whether there were more. It reads an index,
	// never every candidate, so it can run as the user types.
	SearchCandidates(ctx context.Context, query string, limit int) (found []Candidate, more bool, err error)
}

// SyncRun is a sync running in the background.
type SyncRun interface {
	// Events delivers the engine's progress; it is closed when the run ends.
	Events() <-chan syncer.Event
	// Wait blocks until the run ends and returns how it ended.
	Wait() (syncer.RunState, error)
	// Before is what the data file held when the run began and the last
	// finished run before it (nil if none).
	Before() (inFile map[lever.Resource]int, last *syncer.RunState)
	// RateLimit is the client's ceiling in requests per second; 0 is none.
	RateLimit() float64
	// SetPaused stops admitting new requests to Lever, or resumes.
	// Requests in flight finish and are stored; quitting while paused
	// still stops at a page boundary.
	SetPaused(paused bool)
	// SetDetails turns the per-candidate detail phase of this run on or
	// off; it reports false when it is too late for this run.
	SetDetails(on bool) bool
}

// DataFile is what the data file holds.
type DataFile struct {
	// Counts are the stored records per resource.
	Counts map[lever.Resource]int
	// LastRun is the last finished sync; nil before the first.
	LastRun *syncer.RunState
}

// Job is one stored posting as the Jobs page lists it.
type Job struct {
	ID           string
	Title        string
	Team         string
	Location     string
	State        string
	Confidential bool
	// Candidates counts the stored candidates that applied to it.
	Candidates int
	// UpdatedAt is Lever's, in ms since the epoch; 0 when unknown.
	UpdatedAt int64
}

// Candidate is one stored opportunity as the Jobs page lists it, with
// references resolved to names.
type Candidate struct {
	ID     string
	Name   string
	Email  string
	Stage  string
	Origin string
	Owner  string
	// ArchiveReason is set when the candidate is archived.
	Archived      bool
	ArchiveReason string
	UpdatedAt     int64
	// Jobs are the titles of the jobs applied to; only a search across
	// jobs fills them in.
	Jobs []string
}
