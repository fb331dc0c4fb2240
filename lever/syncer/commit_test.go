package syncer

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
)

// preparingSink is a memSink that is a Preparer: it marks each batch it
// prepares, and its first commit of opportunities waits for another page to
// be prepared meanwhile.
type preparingSink struct {
	*memSink
	prepared, unprepared atomic.Int64
	overlapped           chan bool
	waited               atomic.Bool
}

func (p *preparingSink) Prepare(b *Batch) {
	b.Prepared = p
	p.prepared.Add(1)
}

func (p *preparingSink) Commit(batches ...Batch) error {
	opportunities := false
	for _, b := range batches {
		if len(b.Upserts) > 0 && b.Prepared != p {
			p.unprepared.Add(1)
		}
		opportunities = opportunities || b.Resource == lever.Opportunities
	}
	if opportunities && p.waited.CompareAndSwap(false, true) {
		seen := p.prepared.Load()
		deadline := time.Now().Add(5 * time.Second)
		for p.prepared.Load() == seen && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		p.overlapped <- p.prepared.Load() > seen
	}
	return p.memSink.Commit(batches...)
}

// TestPagesArePreparedWhileEarlierOnesCommit: the engine prepares every
// batch with records before it is committed, on the stream's goroutine, so
// a page is prepared while an earlier one commits.
func TestPagesArePreparedWhileEarlierOnesCommit(t *testing.T) {
	api := newScriptedLever()
	want := api.dataset(300)
	sink := &preparingSink{memSink: newMemSink(), overlapped: make(chan bool, 1)}
	if _, err := testEngine(api, sink, Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	assertStored(t, sink.memSink, want)
	if n := sink.unprepared.Load(); n > 0 {
		t.Errorf("%d batches with records were committed unprepared", n)
	}
	if !<-sink.overlapped {
		t.Error("no page was prepared while the first page of opportunities committed: preparing runs on the committer")
	}
}
