package syncer

import (
	"container/heap"
	"context"
	"math"
	"net/url"
	"sync"

	"github.com/leversync/leversync/lever"
)

// gate bounds the requests in flight to what the client's rate limiter
// admits within one round trip at the latency it observes
// (lever.Lister.Capacity), and never above max. When more want to go, the
// one with the lowest priority value goes first, then the one that came
// first: the newest opportunities are read before older ones, and requests
// queue here, in that order, rather than in the limiter, which serves them
// as they come.
type gate struct {
	capacity func() int
	max      int

	mu       sync.Mutex
	inFlight int
	waiters  waitQueue
	seq      uint64
}

// Priorities: reference lists, postings and the newest window first, the
// deleted lists last; a window's priority is the end of its range, newest
// first.
const (
	priorityFirst int64 = math.MinInt64
	priorityLast  int64 = math.MaxInt64
)

func newGate(capacity func() int, maxInFlight int) *gate {
	return &gate{capacity: capacity, max: maxInFlight}
}

// want is how many requests should be in flight now.
func (g *gate) want() int { return max(min(g.capacity(), g.max), 1) }

// acquire waits for a place in flight.
func (g *gate) acquire(ctx context.Context, priority int64) error {
	g.mu.Lock()
	if len(g.waiters) == 0 && g.inFlight < g.want() {
		g.inFlight++
		g.mu.Unlock()
		return nil
	}
	w := &waiter{priority: priority, seq: g.seq, admit: make(chan struct{})}
	g.seq++
	heap.Push(&g.waiters, w)
	// The capacity may have grown since the last release.
	g.admitLocked()
	g.mu.Unlock()
	select {
	case <-w.admit:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if w.index >= 0 {
			heap.Remove(&g.waiters, w.index)
			return ctx.Err()
		}
		// Admitted meanwhile: hand the place on.
		g.inFlight--
		g.admitLocked()
		return ctx.Err()
	}
}

// release gives a place back.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	g.admitLocked()
}

func (g *gate) admitLocked() {
	want := g.want()
	for len(g.waiters) > 0 && g.inFlight < want {
		w := heap.Pop(&g.waiters).(*waiter)
		close(w.admit)
		g.inFlight++
	}
}

// waiter is a request waiting for a place; index is its place in the queue,
// -1 once it has left it.
type waiter struct {
	priority int64
	seq      uint64
	admit    chan struct{}
	index    int
}

// waitQueue is a heap of waiters, lowest priority value first, then first
// come.
type waitQueue []*waiter

func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].priority != q[j].priority {
		return q[i].priority < q[j].priority
	}
	return q[i].seq < q[j].seq
}
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *waitQueue) Push(x any) {
	w := x.(*waiter)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*q = old[:len(old)-1]
	return w
}

// gatedLister is a Lister whose every request passes the gate with its
// stream's priority.
type gatedLister struct {
	lever.Lister
	gate     *gate
	priority int64
}

func (l gatedLister) ListPage(ctx context.Context, path string, query url.Values, offset string) (lever.Page, error) {
	if err := l.gate.acquire(ctx, l.priority); err != nil {
		return lever.Page{}, err
	}
	defer l.gate.release()
	return l.Lister.ListPage(ctx, path, query, offset)
}
