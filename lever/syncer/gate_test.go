package syncer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestGateAdmitsByPriorityThenArrival: with the places taken, waiters go in
// priority order (the lowest value first), equal priorities in the order
// they came; a waiter that gives up leaves the queue.
func TestGateAdmitsByPriorityThenArrival(t *testing.T) {
	g := newGate(func() int { return 1 }, 8)
	if err := g.acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []int64
		wg    sync.WaitGroup
	)
	queued := func(n int) {
		for {
			g.mu.Lock()
			l := len(g.waiters)
			g.mu.Unlock()
			if l == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	for i, p := range []int64{5, 1, 3, priorityLast, 1, priorityFirst} {
		ctx := context.Background()
		if i == 3 {
			ctx = cancelled
		}
		wg.Go(func() {
			if err := g.acquire(ctx, p); err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Error(err)
				}
				return
			}
			mu.Lock()
			order = append(order, p)
			mu.Unlock()
			g.release()
		})
		queued(i + 1) // one at a time, so arrival order is known
	}
	cancel()
	queued(5)
	g.release()
	wg.Wait()
	want := []int64{priorityFirst, 1, 1, 3, 5}
	if len(order) != len(want) {
		t.Fatalf("admitted %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("admitted %v, want %v", order, want)
		}
	}
	if g.inFlight != 0 || len(g.waiters) != 0 {
		t.Errorf("after all released: %d in flight, %d waiting", g.inFlight, len(g.waiters))
	}
}
