package steps

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestEstimateFromTheShareOfTheRangeRead(t *testing.T) {
	// The oldest window was read to its end (its oldest candidate is at 1,
	// the range's bottom); the two above it are half read; the newest
	// candidate is at 400.
	p := InitialProgress{Windows: []Window{
		{Start: 0, End: 100, Done: true, Stored: 300, Oldest: 1, Newest: 100},
		{Start: 101, End: 200, Stored: 100, Oldest: 151, Newest: 200},
		{Start: 201, End: 300},
		{Start: 301, End: math.MaxInt64, Stored: 50, Oldest: 351, Newest: 400},
	}}
	e, ok, why := p.Estimate()
	if !ok {
		t.Fatalf("no estimate: %s", why)
	}
	// Read: [1,100], [151,200], [351,400]: 200 of the 400 ms from 1 to 400.
	if e.Share != 0.5 || e.Stored != 450 || e.Total != 900 {
		t.Errorf("share %v, stored %d, total %d; want 0.5, 450, 900", e.Share, e.Stored, e.Total)
	}
	// 450 left: 5 pages at 10 requests/s.
	if e.Remaining != 500*time.Millisecond {
		t.Errorf("remaining %v, want 500ms", e.Remaining)
	}
	p.Details = true // plus notes, interviews and offers of all 900, one request each
	if e, _, _ = p.Estimate(); e.Remaining != 500*time.Millisecond+270*time.Second {
		t.Errorf("remaining with details %v, want 4m30.5s", e.Remaining)
	}
}

func TestNoEstimateWithoutEvidence(t *testing.T) {
	cases := []struct {
		name string
		ws   []Window
		why  string
	}{
		{"nothing read", []Window{{Start: 0, End: math.MaxInt64}}, "nothing is read yet"},
		{"oldest not reached", []Window{
			{Start: 0, End: 300, Stored: 100, Oldest: 200, Newest: 300},
			{Start: 301, End: math.MaxInt64, Done: true, Stored: 100, Oldest: 301, Newest: 400},
		}, "the oldest candidates are not reached yet"},
		{"too little read", []Window{
			{Start: 0, End: 100, Done: true, Stored: 1, Oldest: 1, Newest: 1},
			{Start: 101, End: math.MaxInt64, Stored: 150, Oldest: 9999, Newest: 10000},
		}, "too little is read yet (151 candidates, 1% of the range)"},
		{"every window read", []Window{
			{Start: 0, End: 100, Done: true, Stored: 100, Oldest: 1, Newest: 50},
			{Start: 101, End: math.MaxInt64, Done: true, Stored: 100, Oldest: 101, Newest: 150},
		}, "every candidate is read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ok, why := InitialProgress{Windows: c.ws}.Estimate()
			if ok || !strings.Contains(why, c.why) {
				t.Errorf("ok %v, why %q; want no estimate because %q", ok, why, c.why)
			}
		})
	}
}
