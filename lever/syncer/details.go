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
// Each chunk commits at once: every opportunity's detail replaces what was
// stored for it, with the cursor that follows.
func (r *run) details(ctx context.Context, commits *committer) error {
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
		cursor := cp.Cursor
		for {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !r.state().Details {
				break // turned off (SetDetails): the run ends without the rest
			}
			ids, err := sink.OpportunityIDs(cursor, r.detailsSince, detailChunk)
			if err != nil {
				return fmt.Errorf("sync details: list stored opportunities: %w", err)
			}
			done := len(ids) < detailChunk
			var batches []Batch
			if len(ids) > 0 {
				if batches, err = r.fetchDetails(ctx, ids); err != nil {
					return err
				}
				cursor = ids[len(ids)-1]
			}
			next := maps.Clone(counts)
			stored := 0
			for _, b := range batches {
				next[b.Resource] += len(b.Upserts)
				stored += len(b.Upserts)
			}
			total := 0
			for _, res := range lever.DetailResources {
				total += next[res]
				batches = append(batches, Batch{Resource: res, Checkpoint: Checkpoint{Stream: detailCountStream(res), Records: next[res], Done: done}})
			}
			batches = append(batches, Batch{Resource: lever.Notes, Checkpoint: Checkpoint{Stream: detailStream, Cursor: cursor, Records: total, Done: done}})
			if err := commits.commit(batches...).wait(); err != nil {
				return fmt.Errorf("sync details: store detail of %d opportunities: %w", len(ids), err)
			}
			counts = next
			for _, res := range lever.DetailResources {
				total = r.setCount(detailCountStream(res), streamCount{phase: PhaseDetails, resource: res, records: counts[res]})
			}
			r.pump.emit(Event{Type: EventPageStored, Phase: PhaseDetails, Stream: detailStream, Records: stored, Total: total})
			if done {
				break
			}
		}
	}
	r.pump.emit(Event{Type: EventPhaseDone, Phase: PhaseDetails, Total: r.phaseTotal(PhaseDetails)})
	return nil
}

// fetchDetails reads every detail resource of ids with at most Concurrency
// requests at once and returns one replacing batch per opportunity and
// resource, in id order.
func (r *run) fetchDetails(ctx context.Context, ids []string) ([]Batch, error) {
	batches := make([]Batch, len(ids)*len(lever.DetailResources))
	for i, id := range ids {
		for j, res := range lever.DetailResources {
			batches[i*len(lever.DetailResources)+j] = Batch{Resource: res, Replace: id}
		}
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(r.e.opts.Concurrency, len(batches)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				b := &batches[i]
				recs, err := r.fetchDetail(gctx, b.Resource, b.Replace)
				if err != nil {
					once.Do(func() { firstErr = err })
					cancel()
					continue
				}
				b.Upserts = recs
			}
		}()
	}
feed:
	for i := range batches {
		select {
		case jobs <- i:
		case <-gctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return batches, nil
}

// fetchDetail pages through one opportunity's list of res. An opportunity
// deleted meanwhile (404) has no detail.
func (r *run) fetchDetail(ctx context.Context, res lever.Resource, opp string) ([]lever.Record, error) {
	path := "/opportunities/" + opp + "/" + string(res)
	var recs []lever.Record
	for page, err := range r.pages(ctx, path, nil, "", func() { recs = nil }) {
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
		for _, raw := range page.Data {
			rec, err := lever.DecodeRecord(res, raw, opp)
			if err != nil {
				return nil, fmt.Errorf("sync %s of opportunity %s: %w", res, opp, err)
			}
			recs = append(recs, rec)
		}
	}
	return recs, nil
}
