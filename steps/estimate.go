package steps

import (
	"fmt"
	"math"
	"time"

	"github.com/leversync/leversync/lever"
)

// InitialProgress is how far an unfinished first sync has read the
// candidates. A first sync splits the range of creation times into equal
// windows read side by side, and Lever lists each window newest first, so
// the oldest candidate stored in a window tells how much of it is read.
// Lever gives no totals: this share of the time range is the only measure.
type InitialProgress struct {
	// Windows are the windows, oldest first, as CreationWindows makes them.
	Windows []Window
	// Details: the run also fetches every candidate's notes, interviews
	// and offers, one request each.
	Details bool
}

// Window is one created_at window of a first sync and what is stored of it.
type Window struct {
	// Start and End bound the window's creation times (ms, inclusive).
	Start, End int64
	// Done: the window was read to its end.
	Done bool
	// Stored counts the candidates stored from it; Oldest and Newest are
	// the oldest and newest of their creation times.
	Stored         int
	Oldest, Newest int64
}

// CreationWindows are the windows a first sync reads for the boundaries it
// saved (the engine's "opportunities/windows" checkpoint): [0, b1],
// [b1+1, b2], ..., [bn+1, now]. The last one is left open.
func CreationWindows(bounds []int64) []Window {
	var ws []Window
	start := int64(0)
	for _, b := range bounds {
		if b < start {
			continue
		}
		ws = append(ws, Window{Start: start, End: b})
		start = b + 1
	}
	return append(ws, Window{Start: start, End: math.MaxInt64})
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
func (p InitialProgress) Estimate() (e Estimate, ok bool, why string) {
	n := len(p.Windows)
	for _, w := range p.Windows {
		e.Stored += w.Stored
	}
	if n < 2 {
		return e, false, "the candidates are read as one range, so nothing tells how much of it is left"
	}
	// The engine spaces the boundaries evenly from the oldest to the newest
	// creation time: every window spans the same width.
	first, last := p.Windows[0], p.Windows[n-1]
	var width float64
	switch {
	case n >= 3:
		width = float64(p.Windows[n-2].End-first.End) / float64(n-2)
	case last.Stored > 0:
		width = float64(last.Newest - first.End)
	}
	if width <= 0 {
		return e, false, "nothing is read yet of the newest candidates"
	}
	read := 0.0
	for i, w := range p.Windows {
		top := float64(w.End)
		if i == n-1 {
			top = float64(first.End) + width*float64(n-1)
		}
		switch {
		case w.Done:
			read += width
		case w.Stored > 0:
			read += min(max(top-float64(w.Oldest), 0), width)
		}
	}
	e.Share = min(read/(width*float64(n)), 1)
	if allDone(p.Windows) {
		return e, false, "every candidate is read; what is left is the deletions and, with --details, each candidate's notes, interviews and offers"
	}
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
