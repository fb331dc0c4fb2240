package syncer

import "github.com/leversync/leversync/lever"

// Sink is where the sync engine puts what it reads. The store implements it;
// lever never imports the store.
type Sink interface {
	// LoadRun returns the run in progress (nil if the last one finished)
	// and the last finished run (nil if none).
	LoadRun() (current, last *RunState, err error)
	// StartRun records a new run in progress and clears every checkpoint.
	StartRun(RunState) error
	// UpdateRun rewrites the run in progress (for example once Lever's clock
	// is known).
	UpdateRun(RunState) error
	// FinishRun moves the run in progress to "last run" and clears the
	// checkpoints.
	FinishRun(RunState) error

	// Checkpoint returns the saved position of a stream; ok is false when the
	// stream has none yet.
	Checkpoint(stream string) (cp Checkpoint, ok bool, err error)
	// Commit writes the batches in one transaction: each batch's upserts,
	// tombstones and checkpoint together, or none of them.
	Commit(batches ...Batch) error

	// OpportunityIDs returns up to limit stored opportunity ids greater than
	// after, in id order, whose updatedAt is at least updatedSince (0: all),
	// for the details phase. It holds no transaction after it returns.
	OpportunityIDs(after string, updatedSince int64, limit int) ([]string, error)
	// Missing reports whether any of keys (ids; text for sources and tags)
	// has no stored record of res.
	Missing(res lever.Resource, keys []string) (bool, error)
}

// Batch is one page of one stream: the records it brought and where the
// stream goes next. Replaying a batch is harmless: writes are upserts by id.
type Batch struct {
	Resource lever.Resource
	Upserts  []lever.Record
	Deletes  []lever.Deletion
	// Replace, for a per-opportunity detail page, first removes the stored
	// detail records of Resource whose Parent is this opportunity id.
	Replace string
	// Whole, on the last page of a complete read of a reference list,
	// holds every key that read returned: what Lever no longer lists is
	// tombstoned with the page.
	Whole      *WholeList
	Checkpoint Checkpoint
	// Prepared is what a Preparer's Prepare left for its Commit; the
	// engine only carries it.
	Prepared any
}

// A Preparer is a Sink that can do the part of a Commit that needs no
// transaction (compressing records) ahead of it. The engine calls Prepare
// on the stream's own goroutine, before queueing the batch, so that this
// work runs on every core while earlier commits write, instead of inside
// the one goroutine that commits.
type Preparer interface {
	Prepare(*Batch)
}

// WholeList is a reference list as Lever returned it whole: the store
// tombstones, at At (ms), every stored record of the batch's resource whose
// key (id; text for sources and tags) is not in Keys.
type WholeList struct {
	Keys []string
	At   int64
}

// Checkpoint is the saved position of one stream: a resource, or one window
// of it. It is keyed by the stream name, never by the server's URL.
type Checkpoint struct {
	Stream string `json:"stream"`
	// Offset is the next page token; empty means the stream starts over.
	Offset string `json:"offset,omitempty"`
	// Done means the stream has been read to its end in this run.
	Done bool `json:"done,omitempty"`
	// Cursor is a stream-specific position that is not a page token, such
	// as the last opportunity id whose detail was fetched.
	Cursor string `json:"cursor,omitempty"`
	// Records counts what this stream stored in this run.
	Records int `json:"records,omitempty"`
}

// RunState describes one sync run. Times are ms since the epoch.
type RunState struct {
	ID      string `json:"id"`
	Full    bool   `json:"full"`
	Details bool   `json:"details"`
	// StartedAt is the local clock at start; ServerStartedAt is Lever's clock
	// (the Date header of its first response), which the next incremental
	// run uses.
	StartedAt       int64 `json:"startedAt"`
	ServerStartedAt int64 `json:"serverStartedAt,omitempty"`
	// UpdatedSince is the updated_at_start this run uses; 0 means unfiltered.
	UpdatedSince int64 `json:"updatedSince,omitempty"`
	// DeletedSince is where this run's deleted-list windows begin.
	DeletedSince int64 `json:"deletedSince,omitempty"`
	// ListedAt is when each reference list was last read whole, on the
	// local clock; an incremental run carries it over and reads again only
	// a list that has aged or that a changed record names an unknown entry
	// of.
	ListedAt   map[lever.Resource]int64 `json:"listedAt,omitempty"`
	FinishedAt int64                    `json:"finishedAt,omitempty"`
	Result     string                   `json:"result,omitempty"` // ok, warnings, failed, interrupted
	Totals     map[lever.Resource]int   `json:"totals,omitempty"`
	Warnings   []string                 `json:"warnings,omitempty"`
	// Skipped counts, per resource, the records left out because they
	// could not be decoded.
	Skipped map[lever.Resource]int `json:"skipped,omitempty"`
	Error   string                 `json:"error,omitempty"`
}

// Run results.
const (
	ResultOK          = "ok"
	ResultWarnings    = "warnings"
	ResultFailed      = "failed"
	ResultInterrupted = "interrupted"
)
