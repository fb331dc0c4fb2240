package app

import (
	"context"
	"sync"
)

// gate holds new requests while a sync is paused: the client calls its
// wait before every attempt (lever.Options.Hold), retries included.
// Pausing at the client's door rather than in the engine keeps the
// engine's scheduling its own: streams simply wait for their next page,
// every page already read is stored, and cancelling the run still stops it
// at a page boundary.
type gate struct {
	mu     sync.Mutex
	paused bool
	open   chan struct{} // closed on resume
}

func (g *gate) set(paused bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case paused && !g.paused:
		g.open = make(chan struct{})
	case !paused && g.paused:
		close(g.open)
	}
	g.paused = paused
}

// wait returns once the gate is open, or with ctx's error.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	paused, open := g.paused, g.open
	g.mu.Unlock()
	if !paused {
		return nil
	}
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
