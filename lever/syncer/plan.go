package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leversync/leversync/lever"
)

// windowsStream is the checkpoint that keeps a full read's created_at
// window boundaries (Cursor, comma-separated ms), so a resumed run reads
// the same windows its page tokens belong to.
const windowsStream = "opportunities/windows"

// window is an inclusive range of ms timestamps.
type window struct {
	start, end int64
	// last is the newest window. Its stream omits the end bound so
	// candidates created on Lever's clock after the local start (clock
	// skew, or while the sync runs) are read too.
	last bool
}

// windowsFromBounds turns boundaries into inclusive created_at windows
// covering [0, startedAt] with no gap or overlap: [0, b1], [b1+1, b2], ...,
// [bn+1, startedAt]. Boundaries that are not increasing or not inside
// [0, startedAt) are skipped.
func windowsFromBounds(bounds []int64, startedAt int64) []window {
	var ws []window
	start := int64(0)
	for _, b := range bounds {
		if b < start || b >= startedAt {
			continue
		}
		ws = append(ws, window{start: start, end: b})
		start = b + 1
	}
	return append(ws, window{start: start, end: startedAt, last: true})
}

// deletionWindows splits [since, end] into inclusive windows of at most 30
// days.
func deletionWindows(since, end int64) []window {
	step := deletedWindow.Milliseconds()
	var ws []window
	for start := since; start <= end; start += step {
		ws = append(ws, window{start: start, end: min(start+step-1, end)})
	}
	return ws
}

// planOpportunityWindows returns the window streams of a full read of
// opportunities: from the saved boundaries of a resumed run, or else from
// the range of creation times, split evenly and saved before any window is
// read.
func (r *run) planOpportunityWindows(ctx context.Context, commits *committer, query url.Values) ([]stream, error) {
	cp, ok, err := r.e.sink.Checkpoint(windowsStream)
	if err != nil {
		return nil, fmt.Errorf("sync %s: read its checkpoint: %w", windowsStream, err)
	}
	var bounds []int64
	if ok {
		if bounds, err = parseBounds(cp.Cursor); err != nil {
			return nil, fmt.Errorf("sync %s: %w", windowsStream, err)
		}
	} else {
		if bounds, err = r.probeBounds(ctx, query); err != nil {
			return nil, err
		}
		saved := Checkpoint{Stream: windowsStream, Cursor: formatBounds(bounds), Done: true}
		if err := commits.commit(Batch{Resource: lever.Opportunities, Checkpoint: saved}).wait(); err != nil {
			return nil, fmt.Errorf("sync %s: store the windows: %w", windowsStream, err)
		}
	}
	var ss []stream
	for _, w := range windowsFromBounds(bounds, r.state().StartedAt) {
		q := withParams(query, "created_at_start", strconv.FormatInt(w.start, 10))
		if !w.last {
			q.Set("created_at_end", strconv.FormatInt(w.end, 10))
		}
		ss = append(ss, stream{
			name:  fmt.Sprintf("opportunities/created/%d-%d", w.start, w.end),
			phase: string(lever.Opportunities), resource: lever.Opportunities, path: "/opportunities", query: q,
		})
	}
	return ss, nil
}

// probeBounds splits the span from the oldest to the newest creation time
// into OpportunityWindows equal parts. Lever has no counts, so the oldest
// is found by bisection over days with one-record pages (about 15
// requests); the newest is the first record, as Lever lists newest first.
// The boundaries only balance the work: any boundaries cover everything.
func (r *run) probeBounds(ctx context.Context, query url.Values) ([]int64, error) {
	n := r.e.opts.OpportunityWindows
	startedAt := r.state().StartedAt
	if n <= 1 {
		return nil, nil
	}
	q := url.Values{"limit": {"1"}}
	if v := query.Get("confidentiality"); v != "" {
		q.Set("confidentiality", v)
	}
	first := func(end int64) (created int64, found bool, err error) {
		qq := q
		if end >= 0 {
			qq = withParams(q, "created_at_end", strconv.FormatInt(end, 10))
		}
		page, err := r.e.lister.ListPage(ctx, "/opportunities", qq, "")
		if err != nil {
			if ctx.Err() != nil {
				return 0, false, ctx.Err()
			}
			return 0, false, fmt.Errorf("sync opportunities: %w", err)
		}
		r.sawServerTime(page.ServerTime)
		if len(page.Data) == 0 {
			return 0, false, nil
		}
		var rec struct {
			CreatedAt int64 `json:"createdAt"`
		}
		_ = json.Unmarshal(page.Data[0], &rec)
		return rec.CreatedAt, true, nil
	}
	newest, found, err := first(-1)
	if err != nil || !found {
		return nil, err
	}
	const day = int64(24 * time.Hour / time.Millisecond)
	lo, hi := int64(0), max(newest, 0)/day
	for lo < hi {
		mid := lo + (hi-lo)/2
		_, found, err := first(mid*day + day - 1)
		if err != nil {
			return nil, err
		}
		if found {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	oldest := lo * day
	if newest <= oldest || newest > startedAt {
		newest = startedAt
	}
	var bounds []int64
	for i := 1; i < n; i++ {
		b := oldest + (newest-oldest)*int64(i)/int64(n)
		if len(bounds) == 0 || b > bounds[len(bounds)-1] {
			bounds = append(bounds, b)
		}
	}
	return bounds, nil
}

func formatBounds(bounds []int64) string {
	parts := make([]string, len(bounds))
	for i, b := range bounds {
		parts[i] = strconv.FormatInt(b, 10)
	}
	return strings.Join(parts, ",")
}

func parseBounds(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var bounds []int64
	for _, p := range strings.Split(s, ",") {
		b, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read the saved window boundaries %q: %w", s, err)
		}
		bounds = append(bounds, b)
	}
	return bounds, nil
}
