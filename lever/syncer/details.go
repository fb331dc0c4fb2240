package syncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/leversync/leversync/lever"
)

// detailStream is the checkpoint of the details phase: its Cursor is the
// last opportunity id whose detail is stored. "details/<resource>"
// checkpoints carry each detail resource's count.
const detailStream = "details"

func detailCountStream(res lever.Resource) string { return detailStream + "/" + string(res) }

// details fetches notes, interviews and offers of the stored opportunities
// (those updated since detailsSince), a chunk of opportunities at a time.
// The requests of a chunk, and of the next one while the last of a chunk
// are answered, go out as fast as the rate limit allows; each chunk commits
// at once, in order: every opportunity's detail replaces what was stored for
// it, with the cursor that follows.
func (r *run) details(ctx context.Context) error {
	sink := r.e.sink
	r.pump.emit(Event{Type: EventPhaseStarted, Phase: PhaseDetails})
	cp, ok, err := sink.Checkpoint(detailStream)
	if err != nil {
		return fmt.Errorf("sync details: read its checkpoint: %w", err)
	}
	counts := map[lever.Resource]int{}
	for _, res := range lever.DetailResources {
		c, ok, err := sink.Checkpoint(detailCountStream(res))
		if err != nil {
			return fmt.Errorf("sync details: read its checkpoint: %w", err)
		}
		if ok {
			counts[res] = c.Records
		}
		r.setCount(detailCountStream(res), streamCount{phase: PhaseDetails, resource: res, records: counts[res]})
	}
	if !(ok && cp.Done) {
		if err := r.fetchDetails(ctx, cp.Cursor, counts); err != nil {
			return err
		}
	}
	r.pump.emit(Event{Type: EventPhaseDone, Phase: PhaseDetails, Total: r.phaseTotal(PhaseDetails)})
	return nil
}

// detailBatch is the detail of one chunk of opportunities: one replacing
// batch per opportunity and resource, in id order.
type detailBatch struct {
	ids     []string
	batches []Batch
	// last: no opportunity comes after this chunk.
	last bool
	// left counts the fetches not done; done is closed at 0.
	mu   sync.Mutex
	left int
	done chan struct{}
}

func newDetailBatch(ids []string) *detailBatch {
	c := &detailBatch{ids: ids, batches: make([]Batch, len(ids)*len(lever.DetailResources)), done: make(chan struct{})}
	for i, id := range ids {
		for j, res := range lever.DetailResources {
			c.batches[i*len(lever.DetailResources)+j] = Batch{Resource: res, Replace: id}
		}
	}
	c.left = len(c.batches)
	if c.left == 0 {
		close(c.done)
	}
	return c
}

func (c *detailBatch) fetched(i int, recs []lever.Record) {
	c.batches[i].Upserts = recs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left--; c.left == 0 {
		close(c.done)
	}
}

// detailFetch is one request's worth of a chunk.
type detailFetch struct {
	chunk *detailBatch
	i     int
}

// fetchDetails reads the detail of the opportunities after cursor, chunk by
// chunk, and commits each chunk in order with the counts and the cursor
// that follow it.
func (r *run) fetchDetails(ctx context.Context, cursor string, counts map[lever.Resource]int) error {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err })
		cancel()
	}
	// As many workers as requests may be in flight; the gate decides how
	// many are.
	fetches := make(chan detailFetch)
	for range r.e.opts.Concurrency {
		wg.Go(func() {
			for f := range fetches {
				b := &f.chunk.batches[f.i]
				recs, err := r.fetchDetail(gctx, b.Resource, b.Replace)
				if err != nil {
					fail(err)
					continue
				}
				f.chunk.fetched(f.i, recs)
			}
		})
	}
	// commit waits for a chunk and commits it.
	commit := func(c *detailBatch, done bool) error {
		// A chunk whose fetches are all in is committed even when the
		// sync is stopping: that is work kept.
		select {
		case <-c.done:
		default:
			select {
			case <-c.done:
			case <-gctx.Done():
				return nil
			}
		}
		next := maps.Clone(counts)
		stored := 0
		batches := c.batches
		for _, b := range batches {
			next[b.Resource] += len(b.Upserts)
			stored += len(b.Upserts)
		}
		last := cursor
		if len(c.ids) > 0 {
			last = c.ids[len(c.ids)-1]
		}
		total := 0
		for _, res := range lever.DetailResources {
			total += next[res]
			batches = append(batches, Batch{Resource: res, Checkpoint: Checkpoint{Stream: detailCountStream(res), Records: next[res], Done: done}})
		}
		batches = append(batches, Batch{Resource: lever.Notes, Checkpoint: Checkpoint{Stream: detailStream, Cursor: last, Records: total, Done: done}})
		if err := r.commits.commit(batches...).wait(); err != nil {
			return fmt.Errorf("sync details: store detail of %d opportunities: %w", len(c.ids), err)
		}
		counts, cursor = next, last
		for _, res := range lever.DetailResources {
			total = r.setCount(detailCountStream(res), streamCount{phase: PhaseDetails, resource: res, records: counts[res]})
		}
		r.pump.emit(Event{Type: EventPageStored, Phase: PhaseDetails, Stream: detailStream, Records: stored, Total: total, Requests: r.requestCount()})
		return nil
	}

	// Chunks commit in order in their own goroutine, each as soon as its
	// last fetch is in, while the next chunk's requests go out.
	chunks := make(chan *detailBatch, 1)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for c := range chunks {
			if err := commit(c, c.last); err != nil {
				fail(err)
			}
		}
	}()
	err := func() error {
		defer close(chunks)
		after := cursor
		for {
			if !r.state().Details {
				return nil // turned off (SetDetails): the run ends without the rest
			}
			ids, err := r.e.sink.OpportunityIDs(after, r.detailsSince, detailChunk)
			if err != nil {
				return fmt.Errorf("sync details: list stored opportunities: %w", err)
			}
			c := newDetailBatch(ids)
			c.last = len(ids) < detailChunk
			if len(ids) > 0 {
				after = ids[len(ids)-1]
			}
			select {
			case chunks <- c:
			case <-gctx.Done():
				return nil
			}
			for i := range c.batches {
				select {
				case fetches <- detailFetch{c, i}:
				case <-gctx.Done():
					return nil
				}
			}
			if c.last {
				return nil
			}
		}
	}()
	close(fetches)
	wg.Wait()
	<-committed
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	return firstErr
}

// fetchDetail pages through one opportunity's list of res. An opportunity
// deleted meanwhile (404) has no detail.
func (r *run) fetchDetail(ctx context.Context, res lever.Resource, opp string) ([]lever.Record, error) {
	path := "/opportunities/" + opp + "/" + string(res)
	var recs []lever.Record
	for page, err := range r.pages(ctx, r.lister, path, nil, "", func() { recs = nil }) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ae *lever.APIError
			if errors.As(err, &ae) && ae.Status == 404 {
				return nil, nil
			}
			return nil, fmt.Errorf("sync %s of opportunity %s: %w", res, opp, err)
		}
		r.sawServerTime(page.ServerTime)
		recs = append(recs, r.decodeRecords(res, page, opp)...)
	}
	return recs, nil
}
