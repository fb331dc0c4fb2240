package steps

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestCreationWindowsMatchTheEnginesPlan(t *testing.T) {
	ws := CreationWindows([]int64{100, 200, 300})
	want := [][2]int64{{0, 100}, {101, 200}, {201, 300}, {301, math.MaxInt64}}
	if len(ws) != len(want) {
		t.Fatalf("%d windows, want %d", len(ws), len(want))
	}
	for i, w := range ws {
		if w.Start != want[i][0] || w.End != want[i][1] {
			t.Errorf("window %d = [%d, %d], want %v", i, w.Start, w.End, want[i])
		}
	}
}

func TestEstimateFromTheShareOfTheRangeRead(t *testing.T) {
	ws := CreationWindows([]int64{100, 200, 300}) // each window 100 ms wide
	ws[0].Done, ws[0].Stored, ws[0].Oldest, ws[0].Newest = true, 300, 1, 100
	ws[1].Stored, ws[1].Oldest, ws[1].Newest = 100, 150, 200 // half read
	ws[3].Stored, ws[3].Oldest, ws[3].Newest = 50, 350, 400  // half read, newest is 400
	p := InitialProgress{Windows: ws}
	e, ok, why := p.Estimate()
	if !ok {
		t.Fatalf("no estimate: %s", why)
	}
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
	two := CreationWindows([]int64{1000})
	early := CreationWindows([]int64{100, 200, 300})
	early[3].Stored, early[3].Oldest, early[3].Newest = 150, 399, 400 // 1 ms of 400 read
	done := CreationWindows([]int64{100, 200, 300})
	for i := range done {
		done[i].Done, done[i].Stored, done[i].Oldest, done[i].Newest = true, 100, done[i].Start+1, done[i].Start+50
	}
	cases := []struct {
		name string
		p    InitialProgress
		why  string
	}{
		{"one window", InitialProgress{Windows: CreationWindows(nil)}, "read as one range"},
		{"nothing of the newest read", InitialProgress{Windows: two}, "nothing is read yet"},
		{"too little read", InitialProgress{Windows: early}, "too little is read yet (150 candidates, 0% of the range)"},
		{"every window read", InitialProgress{Windows: done}, "every candidate is read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ok, why := c.p.Estimate()
			if ok || !strings.Contains(why, c.why) {
				t.Errorf("ok %v, why %q; want no estimate because %q", ok, why, c.why)
			}
		})
	}
}
