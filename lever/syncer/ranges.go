package syncer

import (
	"fmt"
	"strconv"
	"strings"
)

// timeRange is an inclusive range of ms timestamps.
type timeRange struct {
	start, end int64
	// last is the newest range of a full read, which is asked without an
	// end bound.
	last bool
}

// windowsFromBounds turns the boundaries an older version saved into
// inclusive created_at ranges covering [0, startedAt] with no gap or
// overlap: [0, b1], [b1+1, b2], ..., [bn+1, startedAt]. Boundaries that are
// not increasing or not inside [0, startedAt) are skipped.
func windowsFromBounds(bounds []int64, startedAt int64) []timeRange {
	var ws []timeRange
	start := int64(0)
	for _, b := range bounds {
		if b < start || b >= startedAt {
			continue
		}
		ws = append(ws, timeRange{start: start, end: b})
		start = b + 1
	}
	return append(ws, timeRange{start: start, end: startedAt, last: true})
}

// deletionWindows splits [since, end] into inclusive ranges of at most 30
// days.
func deletionWindows(since, end int64) []timeRange {
	step := deletedWindow.Milliseconds()
	var ws []timeRange
	for start := since; start <= end; start += step {
		ws = append(ws, timeRange{start: start, end: min(start+step-1, end)})
	}
	return ws
}

// parseBounds reads comma-separated boundaries.
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
