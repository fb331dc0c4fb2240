package syncer

import (
	"context"
	"net/url"
	"sync"

	"github.com/leversync/leversync/lever"
)

// gate bounds the requests in flight to what the client's rate limiter
// admits within one round trip at the latency it observes
// (lever.Lister.Capacity), and never above max. Waiters are admitted in the
// order they came.
type gate struct {
	capacity func() int
	max      int

	mu       sync.Mutex
	inFlight int
	waiters  []chan struct{}
}

func newGate(capacity func() int, maxInFlight int) *gate {
	return &gate{capacity: capacity, max: maxInFlight}
}

// want is how many requests should be in flight now.
func (g *gate) want() int { return max(min(g.capacity(), g.max), 1) }

// acquire waits for a place in flight.
func (g *gate) acquire(ctx context.Context) error {
	g.mu.Lock()
	if len(g.waiters) == 0 && g.inFlight < g.want() {
		g.inFlight++
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	// The capacity may have grown since the last release.
	g.admitLocked()
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, w := range g.waiters {
			if w == ch {
				g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
				return ctx.Err()
			}
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
		close(g.waiters[0])
		g.waiters = g.waiters[1:]
		g.inFlight++
	}
}

// gatedLister is a Lister whose every request passes the gate.
type gatedLister struct {
	lever.Lister
	gate *gate
}

func (l gatedLister) ListPage(ctx context.Context, path string, query url.Values, offset string) (lever.Page, error) {
	if err := l.gate.acquire(ctx); err != nil {
		return lever.Page{}, err
	}
	defer l.gate.release()
	return l.Lister.ListPage(ctx, path, query, offset)
}
