package app

import (
	"maps"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
)

// WatchedSync is a watched sync seen as a steps.SyncRun, so the dashboard
// that draws this process's syncs draws another process's as well: its
// events, how it ended, and what its snapshot says of the data file and
// the request ceiling. A watcher only reads, so it can neither pause the
// sync nor change its detail phase.
type WatchedSync struct {
	*Watch
}

var _ steps.SyncRun = WatchedSync{}

// Before is what the data file held when the watched run began and the last
// finished run before it, as the sync's snapshot carries them (nil when it
// does not).
func (s WatchedSync) Before() (map[lever.Resource]int, *syncer.RunState) {
	in := s.initial
	var last *syncer.RunState
	if in.LastRun != nil {
		r := *in.LastRun
		last = &r
	}
	return maps.Clone(in.InFileBefore), last
}

// RateLimit is the syncing client's ceiling in requests per second, from
// the snapshot; Lever's own limit when the snapshot does not say.
func (s WatchedSync) RateLimit() float64 {
	if r := s.initial.RateLimit; r > 0 {
		return r
	}
	return lever.DefaultRate
}

// SetPaused does nothing: only the process running the sync can pause it.
func (WatchedSync) SetPaused(bool) {}

// SetDetails does nothing and reports false: only the process running the
// sync can change its detail phase.
func (WatchedSync) SetDetails(bool) bool { return false }
