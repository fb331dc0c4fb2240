package syncer

import "github.com/leversync/leversync/lever"

// EventType names a sync progress event. The names are part of the --json
// output schema documented in the README.
type EventType string

const (
	EventSyncStarted  EventType = "sync_started"
	EventPhaseStarted EventType = "phase_started"
	EventPageStored   EventType = "page_stored"
	EventRetry        EventType = "retry"
	EventWarning      EventType = "warning"
	EventError        EventType = "error"
	EventPhaseDone    EventType = "phase_done"
	// EventPhaseKept: an incremental run does not read this reference
	// list, whose copy is recent (Message says how recent).
	EventPhaseKept EventType = "phase_kept"
	EventSyncDone  EventType = "sync_done"
)

// Event is one progress report of a sync. Times are ms since the epoch.
type Event struct {
	Type EventType `json:"type"`
	Time int64     `json:"time"`
	// Phase is the resource being synced, or "deletions" / "details".
	Phase    string         `json:"phase,omitempty"`
	Resource lever.Resource `json:"resource,omitempty"`
	Stream   string         `json:"stream,omitempty"`
	// Records is what this page brought; Total what the phase stored so far
	// in this run.
	Records int `json:"records,omitempty"`
	Deleted int `json:"deleted,omitempty"`
	Total   int `json:"total,omitempty"`
	// Retry: the HTTP status (0 for a network error), the attempt number and
	// the wait before the next attempt.
	Status  int   `json:"status,omitempty"`
	Attempt int   `json:"attempt,omitempty"`
	WaitMS  int64 `json:"waitMs,omitempty"`
	// Requests is how many HTTP requests the run has made so far.
	Requests int64  `json:"requests,omitempty"`
	Message  string `json:"message,omitempty"`
	// Run is set on sync_started and sync_done.
	Run *RunState `json:"run,omitempty"`
}
