package syncer

// committer is the one goroutine that writes to the sink. Pages queued by
// several streams while a commit runs share the next Commit: one
// transaction for many pages, never one per record.
type committer struct {
	sink Sink
	reqs chan *commitRequest
	done chan struct{}
	// failed is the first commit error; owned by loop.
	failed error
}

// commitRequest is a group of batches that commit together or not at all.
type commitRequest struct {
	batches []Batch
	// stored, when set, runs on the committer right after the batches are
	// stored, so progress is reported as each page lands.
	stored func()
	err    error
	done   chan struct{}
}

// commitQueue and maxCommitBatches bound the pages waiting for the store
// and the pages one transaction writes, and so the memory a sync holds: a
// page of 100 opportunities is about 250 kB, and bbolt keeps every page a
// transaction dirties in memory until it commits. Records land at random
// places in the file's trees (Lever's ids are random), so in a large file
// each record dirties pages of its own: the heap grows with the pages per
// transaction, not with the file. Eight pages a transaction keep the Go
// heap of a sync of 1,000,000 opportunities well under 100 MB, now that
// the search index is built after a first sync rather than per record;
// more pages per transaction write a little faster (fewer fsyncs) but
// hold more (the README's performance table).
const (
	commitQueue      = 8
	maxCommitBatches = 8
)

func newCommitter(sink Sink) *committer {
	c := &committer{sink: sink, reqs: make(chan *commitRequest, commitQueue), done: make(chan struct{})}
	go c.loop()
	return c
}

// commit queues batches; wait on the result for the outcome. Batches of one
// stream commit in the order they are queued.
func (c *committer) commit(batches ...Batch) *commitRequest {
	return c.commitThen(nil, batches...)
}

// commitThen is commit that runs stored once the batches are stored. The
// batches are prepared here, on the caller's goroutine.
func (c *committer) commitThen(stored func(), batches ...Batch) *commitRequest {
	if p, ok := c.sink.(Preparer); ok {
		for i := range batches {
			p.Prepare(&batches[i])
		}
	}
	req := &commitRequest{batches: batches, stored: stored, done: make(chan struct{})}
	c.reqs <- req
	return req
}

// wait returns the commit's error once it has run.
func (r *commitRequest) wait() error {
	<-r.done
	return r.err
}

// close waits for every queued request; nothing may be queued after it.
func (c *committer) close() {
	close(c.reqs)
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	for req := range c.reqs {
		group := []*commitRequest{req}
		n := len(req.batches)
	gather:
		for n < maxCommitBatches {
			select {
			case more, ok := <-c.reqs:
				if !ok {
					break gather
				}
				group = append(group, more)
				n += len(more.batches)
			default:
				break gather
			}
		}
		all := make([]Batch, 0, n)
		for _, g := range group {
			all = append(all, g.batches...)
		}
		// After a failed commit nothing more is written: a later page's
		// checkpoint would skip the lost one.
		err := c.failed
		if err == nil {
			err = c.sink.Commit(all...)
			c.failed = err
		}
		for _, g := range group {
			g.err = err
			if err == nil && g.stored != nil {
				g.stored()
			}
			close(g.done)
		}
	}
}
