package steps

import (
	"fmt"
	"math"
	"time"

	"github.com/leversync/leversync/lever"
)

// InitialProgress is how far an unfinished first sync has read the
// candidates. A first sync reads created_at windows side by side (split
// further as it learns where the candidates are), and Lever lists each
// window newest first, so the oldest candidate stored in a window tells how
// much of it is read. Lever gives no totals: this share of the time range is
// the only measure.
type InitialProgress struct {
	// Windows are the windows, oldest first, as the engine saved them.
	Windows []Window
	// Details: the run also fetches every candidate's notes, interviews
	// and offers, one request each.
	Details bool
}

// Window is one created_at window of a first sync and what is stored of it.
type Window struct {
	// Start and End bound the window's creation times (ms, inclusive); the
	// newest window's End is math.MaxInt64.
	Start, End int64
	// Done: the window was read to its end.
	Done bool
	// Stored counts the candidates stored from it; Oldest and Newest are
	// the oldest and newest of their creation times.
	Stored         int
	Oldest, Newest int64
}

// Estimate is what the evidence says about the rest of a first sync.
type Estimate struct {
	// Share is the part of the creation-time range read, 0 to 1.
	Share float64 `json:"share"`
	// Stored is the candidates stored so far; Total the estimate of all.
	Stored int `json:"stored"`
	Total  int `json:"total"`
	// Remaining is the least time the rest takes at Lever's rate limit.
	Remaining time.Duration `json:"-"`
	// RemainingSeconds is Remaining, for JSON.
	RemainingSeconds int64 `json:"remainingSeconds"`
}

// Least evidence for an estimate: below it the share says too little.
const (
	minEstimateShare  = 0.02
	minEstimateStored = 100
)

// Estimate judges the progress of a first sync. ok is false, with the
// reason, when the evidence does not allow an estimate.
//
// The range of creation times runs from the oldest candidate to the newest.
// The newest is the newest stored; the oldest is known once every window
// below the oldest candidate stored has been read to its end (until then
// older candidates may exist, and no estimate is given). A window read to
// its end counts whole; one being read counts from its top down to the
// oldest candidate stored from it.
func (p InitialProgress) Estimate() (e Estimate, ok bool, why string) {
	top, bottom := int64(math.MinInt64), int64(math.MaxInt64)
	for _, w := range p.Windows {
		e.Stored += w.Stored
		if w.Stored > 0 {
			top, bottom = max(top, w.Newest), min(bottom, w.Oldest)
		}
	}
	if e.Stored == 0 {
		return e, false, "nothing is read yet of the newest candidates"
	}
	if allDone(p.Windows) {
		return e, false, "every candidate is read; what is left is the deletions and, with --details, each candidate's notes, interviews and offers"
	}
	for _, w := range p.Windows {
		if w.Start <= bottom && !w.Done {
			return e, false, "the oldest candidates are not reached yet, so the range of creation times is not known; Lever gives no totals"
		}
	}
	span := float64(top - bottom + 1)
	read := 0.0
	for _, w := range p.Windows {
		hi := min(w.End, top)
		switch {
		case w.Done:
			lo := max(w.Start, bottom)
			read += float64(max(hi-lo+1, 0))
		case w.Stored > 0:
			read += float64(max(hi-w.Oldest+1, 0))
		}
	}
	e.Share = min(read/span, 1)
	if e.Share < minEstimateShare || e.Stored < minEstimateStored {
		return e, false, fmt.Sprintf("too little is read yet (%d candidates, %.0f%% of the range) to tell; Lever gives no totals", e.Stored, e.Share*100)
	}
	e.Total = int(math.Round(float64(e.Stored) / e.Share))
	left := max(e.Total-e.Stored, 0)
	pages := (left + lever.DefaultPageLimit - 1) / lever.DefaultPageLimit
	requests := float64(pages)
	if p.Details {
		requests += float64(e.Total * len(lever.DetailResources))
	}
	e.Remaining = time.Duration(requests / lever.DefaultRate * float64(time.Second))
	e.RemainingSeconds = int64(e.Remaining.Round(time.Second) / time.Second)
	return e, true, ""
}

func allDone(ws []Window) bool {
	for _, w := range ws {
		if !w.Done {
			return false
		}
	}
	return true
}
