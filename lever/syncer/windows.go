package syncer

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/leversync/leversync/lever"
)

// A full read of opportunities is split into created_at windows, read at
// once and split further as the sync learns how the records spread over
// time. Lever lists opportunities newest first, so a window is read from its
// newest record down; a window whose remaining range is large hands its
// older part to a new window (work stealing), which keeps as many windows
// going as the rate limit can serve at the latency observed, down to the
// last page. Reading starts with a single window at once, so no request is
// spent on planning; the first page tells how dense the newest records are.
//
// Each window is its own stream with its own checkpoint. A split does not
// change the query a window's page tokens belong to: the window keeps its
// query and stops at a lower bound (stopAt, kept in its checkpoint's
// Cursor), and the new window reads the part below. The windows' ranges
// [stopAt, end] cover every creation time exactly once, and the list of
// windows (windowsStream) is committed with the checkpoint of the window
// that gave up part of its range, in one transaction, so a sync killed at
// any moment resumes with exactly the windows it had.

// windowsStream is the checkpoint whose Cursor lists a full read's
// windows: "start-end" each, "start-" for the newest, which has no end
// bound. (Before splitting, it held comma-separated boundaries; those still
// resume.)
const windowsStream = "opportunities/windows"

const windowPrefix = "opportunities/created/"

const (
	// minSplitPages: a window with fewer pages left (as estimated) is not
	// split; the split would cost more in half-empty pages than it saves.
	minSplitPages = 2.0
	// keepPages bounds what the oldest window keeps when it is split: the
	// range below it is unknown, so it keeps as much as has been read above
	// it, at least minKeepPages and at most maxKeepPages pages.
	minKeepPages = 2.0
	maxKeepPages = 32.0
	// maxSpeculative is how many windows one round may split off below
	// what has been read; windows past the oldest record cost a request
	// each.
	maxSpeculative = 4
)

// window is a created_at range of opportunities read as one stream.
type window struct {
	// start and end bound the window's query (inclusive ms); open is the
	// newest window, whose query has no end bound so that records created
	// on Lever's clock after the local start are read too.
	start, end int64
	open       bool
	// stopAt is where this window stops: records created before it are
	// another window's. It starts at start and moves up when the window
	// is split.
	stopAt int64

	// What the last queued page left, as its checkpoint says.
	offset  string
	records int
	done    bool

	// running: a goroutine reads the window, a page at a time.
	running bool
	// This run's reading: the creation times of the first and of the last
	// record read, and how many records that span held. read is 0 until a
	// page arrives in this run.
	top, pos int64
	read     int
}

func (w *window) name(startedAt int64) string {
	end := w.end
	if w.open {
		end = startedAt
	}
	return fmt.Sprintf("%s%d-%d", windowPrefix, w.start, end)
}

// query is base with the window's created_at bounds.
func (w *window) query(base url.Values) url.Values {
	q := withParams(base, "created_at_start", strconv.FormatInt(w.start, 10))
	if !w.open {
		q.Set("created_at_end", strconv.FormatInt(w.end, 10))
	}
	return q
}

// checkpoint is the window's checkpoint after its last queued page.
func (w *window) checkpoint(startedAt int64) Checkpoint {
	cp := Checkpoint{Stream: w.name(startedAt), Offset: w.offset, Done: w.done, Records: w.records}
	if w.stopAt != w.start {
		cp.Cursor = strconv.FormatInt(w.stopAt, 10)
	}
	return cp
}

// known reports whether this run has read a page of the window, so its
// position is known.
func (w *window) known() bool { return w.read > 0 }

// family is the set of windows of one full read of opportunities. Its
// fields are guarded by the scheduler's mutex.
type family struct {
	base      url.Values
	startedAt int64
	windows   []*window
	// newest is the newest creation time read so far.
	newest int64
	// pageSize is the most records a page has held: Lever's 100, unless
	// the client asks for fewer.
	pageSize int
}

// checkpointReader is the part of a Sink that holds checkpoints.
type checkpointReader interface {
	Checkpoint(stream string) (cp Checkpoint, ok bool, err error)
}

// newFamily restores the windows of the run in progress from the sink, or
// starts with one window over everything.
func newFamily(sink checkpointReader, base url.Values, startedAt int64) (*family, error) {
	f := &family{base: base, startedAt: startedAt, pageSize: 1}
	cp, ok, err := sink.Checkpoint(windowsStream)
	if err != nil {
		return nil, fmt.Errorf("sync %s: read its checkpoint: %w", windowsStream, err)
	}
	if ok {
		if f.windows, err = parseWindows(cp.Cursor, startedAt); err != nil {
			return nil, fmt.Errorf("sync %s: %w", windowsStream, err)
		}
	} else {
		f.windows = []*window{{start: 0, end: startedAt, open: true}}
	}
	for _, w := range f.windows {
		w.stopAt = w.start
		cp, ok, err := sink.Checkpoint(w.name(startedAt))
		if err != nil {
			return nil, fmt.Errorf("sync %s: read its checkpoint: %w", w.name(startedAt), err)
		}
		if !ok {
			continue
		}
		w.offset, w.records, w.done = cp.Offset, cp.Records, cp.Done
		if cp.Cursor != "" {
			if w.stopAt, err = strconv.ParseInt(cp.Cursor, 10, 64); err != nil {
				return nil, fmt.Errorf("sync %s: read its lower bound %q: %w", w.name(startedAt), cp.Cursor, err)
			}
		}
	}
	return f, nil
}

// registry is the checkpoint listing the windows.
func (f *family) registry() Checkpoint {
	parts := make([]string, len(f.windows))
	for i, w := range f.windows {
		if w.open {
			parts[i] = fmt.Sprintf("%d-", w.start)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", w.start, w.end)
		}
	}
	return Checkpoint{Stream: windowsStream, Cursor: strings.Join(parts, ","), Done: true}
}

// parseWindows reads the windows' list, or the boundaries an older version
// saved (b1,b2,...: windows [0,b1], [b1+1,b2], ..., the newest open).
func parseWindows(s string, startedAt int64) ([]*window, error) {
	if !slices.ContainsFunc(strings.Split(s, ","), func(p string) bool { return strings.LastIndexByte(p, '-') > 0 }) {
		bounds, err := parseBounds(s)
		if err != nil {
			return nil, err
		}
		var ws []*window
		for _, b := range windowsFromBounds(bounds, startedAt) {
			ws = append(ws, &window{start: b.start, end: b.end, open: b.last})
		}
		return ws, nil
	}
	var ws []*window
	for _, p := range strings.Split(s, ",") {
		a, b, _ := strings.Cut(p, "-")
		start, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read the saved windows %q: %w", s, err)
		}
		w := &window{start: start, end: startedAt, open: b == ""}
		if !w.open {
			if w.end, err = strconv.ParseInt(b, 10, 64); err != nil {
				return nil, fmt.Errorf("read the saved windows %q: %w", s, err)
			}
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// take applies a page the window read: it keeps the records at or above
// stopAt (those below are another window's), moves the position, and
// reports whether the window is done: no next page, or the page reached
// below stopAt.
func (f *family) take(w *window, page lever.Page, recs []lever.Record) (kept []lever.Record, done bool) {
	first, last := int64(0), int64(0)
	crossed := false
	for _, rec := range recs {
		if c := rec.CreatedAt; c != 0 {
			if first == 0 {
				first = c
			}
			last = c
			crossed = crossed || c < w.stopAt
		}
	}
	kept = recs
	if crossed {
		// A record without a creation time is kept wherever it shows.
		kept = slices.DeleteFunc(slices.Clone(recs), func(rec lever.Record) bool {
			return rec.CreatedAt != 0 && rec.CreatedAt < w.stopAt
		})
	}
	if first != 0 {
		if !w.known() {
			w.top = first
		}
		w.pos = last
		w.read += len(recs)
		f.newest = max(f.newest, first)
	}
	f.pageSize = max(f.pageSize, len(recs))
	done = !page.HasNext || crossed
	return kept, done
}

// density is records per ms, from this run's reading: the window's own
// when it has read a page, else overall, the density of all windows'
// reading (see overallDensity). 0 when nothing is known.
func (f *family) density(w *window, overall float64) float64 {
	if w.known() && w.top > w.pos && w.read >= f.pageSize/2 {
		return float64(w.read) / float64(w.top-w.pos)
	}
	return overall
}

// overallDensity is records per ms over everything read in this run.
func (f *family) overallDensity() float64 {
	n, span := 0, int64(0)
	for _, o := range f.windows {
		if o.known() && o.top > o.pos {
			n += o.read
			span += o.top - o.pos
		}
	}
	if span == 0 {
		return 0
	}
	return float64(n) / float64(span)
}

// left is the creation range a window has yet to read, [lo, hi]; ok is
// false when it is not known (a resumed window before its first page, or
// one that has just started).
func (f *family) left(w *window, overall float64) (lo, hi int64, ok bool) {
	if w.done {
		return 0, 0, false
	}
	lo = w.stopAt
	switch {
	case w.known():
		hi = w.pos
		if w.running {
			// The page in flight reads about one page's span below.
			if d := f.density(w, overall); d > 0 {
				hi -= int64(float64(f.pageSize) / d)
			}
		}
	case w.running || w.offset != "":
		return 0, 0, false
	default:
		hi = w.end
		if f.newest > 0 {
			hi = min(hi, f.newest)
		}
	}
	return lo, hi, hi > lo
}

// split hands part of one window's range to a new window and returns it, or
// nil when no window is worth splitting. The oldest window (the one that
// stops at 0) reaches into a past the sync knows nothing of: it keeps about
// as many pages as have been read above it and gives away the rest, so the
// windows grow geometrically and few fall past the oldest record; a
// speculative split of it counts against spec. Any other window gives away
// the older half of what it has left, if that is worth a request.
// Checkpoints to commit with the new list of windows are appended to cps.
func (f *family) split(spec *int, cps *[]Checkpoint) *window {
	overall := f.overallDensity()
	var best *window
	bestScore := 0.0
	for _, w := range f.windows {
		lo, hi, ok := f.left(w, overall)
		if !ok {
			continue
		}
		d := f.density(w, overall)
		if d <= 0 {
			continue
		}
		score := d * float64(hi-lo) / float64(f.pageSize) // pages left
		if lo == 0 {
			if !w.known() && *spec >= maxSpeculative {
				continue
			}
			score = math.Inf(1)
		} else if score < minSplitPages {
			continue
		}
		if score > bestScore {
			best, bestScore = w, score
		}
	}
	if best == nil {
		return nil
	}
	w := best
	lo, hi, _ := f.left(w, overall)
	d := f.density(w, overall)
	var m int64
	if lo == 0 {
		above := float64(max(f.newest, hi)-hi) * d / float64(f.pageSize)
		keep := min(max(above, minKeepPages), maxKeepPages)
		m = hi - int64(keep*float64(f.pageSize)/d)
		if !w.known() {
			*spec++
		}
	} else {
		m = lo + (hi-lo)/2
	}
	if m <= lo || m >= hi {
		return nil
	}
	child := &window{start: lo, end: m, stopAt: lo}
	if !w.running && !w.known() && w.offset == "" && w.records == 0 {
		// Not started: narrow its query instead, so neither reads past
		// the other.
		w.start, w.stopAt = m+1, m+1
		w.records = 0
	} else {
		w.stopAt = m + 1
		*cps = append(*cps, w.checkpoint(f.startedAt))
	}
	f.windows = append(f.windows, child)
	return child
}

// ReadWindow is one created_at window of a full read of opportunities in
// progress: the creation times it covers (ms, inclusive; the newest
// window's End is math.MaxInt64) and whether it was read to its end.
type ReadWindow struct {
	Start, End int64
	Done       bool
}

// FullReadWindows says how far the run in progress has read its full read
// of opportunities, window by window, oldest first, from the checkpoints
// in sink; nil for an incremental run, which reads no windows. doctor
// estimates what is left from it.
func FullReadWindows(sink checkpointReader, run RunState) ([]ReadWindow, error) {
	if run.UpdatedSince > 0 {
		return nil, nil
	}
	f, err := newFamily(sink, nil, run.StartedAt)
	if err != nil {
		return nil, err
	}
	ws := make([]ReadWindow, 0, len(f.windows))
	for _, w := range f.windows {
		rw := ReadWindow{Start: w.stopAt, End: w.end, Done: w.done}
		if w.open {
			rw.End = math.MaxInt64
		}
		ws = append(ws, rw)
	}
	slices.SortFunc(ws, func(a, b ReadWindow) int { return cmp.Compare(a.Start, b.Start) })
	return ws, nil
}
