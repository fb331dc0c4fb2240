package lever

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// stream is one paged read with its own checkpoint: a resource, or one
// window or pass of it.
type stream struct {
	// name keys the checkpoint, e.g. "postings/internal"; never a URL.
	name     string
	phase    string
	resource Resource
	path     string
	query    url.Values
	// deletes: the pages are {id, deletedAt} tombstones of resource.
	deletes bool
	// windowStart and windowEnd bound a deleted-list window. The end is
	// kept in the checkpoint's Cursor so a resumed window asks the same
	// query its page token belongs to.
	windowStart, windowEnd int64
}

// PhaseDeletions and PhaseDetails name the phases that are not one resource.
const (
	PhaseDeletions = "deletions"
	PhaseDetails   = "details"
)

// deletedWindow is the longest deleted_at range Lever accepts.
const deletedWindow = 30 * 24 * time.Hour

// listStreams are the first phase: reference lists, postings and
// opportunities, read concurrently.
func (r *run) listStreams() []stream {
	conf := url.Values{}
	if r.confidential {
		conf.Set("confidentiality", "all")
	}
	with := func(q url.Values, kv ...string) url.Values {
		q = maps.Clone(q)
		for i := 0; i+1 < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return q
	}
	list := func(res Resource, q url.Values) stream {
		return stream{name: string(res), phase: string(res), resource: res, path: "/" + string(res), query: q}
	}
	ss := []stream{
		list(Users, url.Values{"includeDeactivated": {"true"}}),
		list(Stages, nil),
		list(ArchiveReasons, nil),
		list(Sources, nil),
		list(Tags, nil),
		list(Requisitions, with(conf)),
		// Every state is listed without a state filter; published postings
		// only on the internal job site need their own pass. Upserts by id
		// merge the two.
		{name: "postings/default", phase: string(Postings), resource: Postings, path: "/postings", query: with(conf)},
		{name: "postings/internal", phase: string(Postings), resource: Postings, path: "/postings", query: with(conf, "distributionChannel", "internal")},
	}
	opp := with(conf, "expand", "applications")
	st := r.state()
	if st.UpdatedSince > 0 {
		return append(ss, stream{
			name: "opportunities/updated", phase: string(Opportunities), resource: Opportunities, path: "/opportunities",
			query: with(opp, "updated_at_start", strconv.FormatInt(st.UpdatedSince, 10)),
		})
	}
	// A full read must not filter on updatedAt, which is null on old
	// records; created_at windows split it into parallel streams.
	for _, w := range opportunityWindows(st.StartedAt, r.e.opts.OpportunityWindows) {
		q := with(opp, "created_at_start", strconv.FormatInt(w.start, 10))
		if !w.last {
			q.Set("created_at_end", strconv.FormatInt(w.end, 10))
		}
		ss = append(ss, stream{
			name:  fmt.Sprintf("opportunities/created/%d-%d", w.start, w.end),
			phase: string(Opportunities), resource: Opportunities, path: "/opportunities", query: q,
		})
	}
	return ss
}

// window is an inclusive range of ms timestamps.
type window struct {
	start, end int64
	// last is the newest window. Its stream omits the end bound so
	// candidates created on Lever's clock after the local start (clock
	// skew, or while the sync runs) are read too.
	last bool
}

// opportunityWindows splits [0, startedAt] into n inclusive created_at
// windows with no gap or overlap. It depends only on its arguments, so a
// resumed run gets the same streams. Recent years hold most candidates, so
// the windows grow older geometrically: the newest spans a year, the next
// two, and so on, and the oldest takes the rest back to the epoch.
func opportunityWindows(startedAt int64, n int) []window {
	const year = 365 * 24 * int64(time.Hour/time.Millisecond)
	n = max(n, 1)
	var ws []window
	end := startedAt
	span := year
	for i := 0; i < n-1; i++ {
		start := end - span + 1
		if start <= 0 {
			break
		}
		ws = append(ws, window{start: start, end: end})
		end = start - 1
		span *= 2
	}
	ws = append(ws, window{start: 0, end: end})
	// Oldest first, so stream order follows time.
	for i, j := 0, len(ws)-1; i < j; i, j = i+1, j-1 {
		ws[i], ws[j] = ws[j], ws[i]
	}
	ws[len(ws)-1].last = true
	return ws
}

// deletionStreams read the deleted lists from DeletedSince to now on
// Lever's clock, in windows Lever accepts.
func (r *run) deletionStreams() []stream {
	st := r.state()
	r.mu.Lock()
	// The Date header has one-second resolution: round up past it.
	end := r.serverNow + 1000
	r.mu.Unlock()
	if end <= 1000 {
		end = r.now()
	}
	var ss []stream
	for _, res := range []Resource{Opportunities, Postings} {
		for _, w := range deletionWindows(st.DeletedSince, end) {
			ss = append(ss, stream{
				name:  fmt.Sprintf("deleted/%s/%d", res, w.start),
				phase: PhaseDeletions, resource: res, path: "/" + string(res) + "/deleted",
				deletes: true, windowStart: w.start, windowEnd: w.end,
			})
		}
	}
	return ss
}

// deletionWindows splits [since, end] into inclusive windows of at most 30
// days.
func deletionWindows(since, end int64) []window {
	step := deletedWindow.Milliseconds()
	var ws []window
	for start := since; start <= end; start += step {
		ws = append(ws, window{start: start, end: min(start+step-1, end)})
	}
	return ws
}

// runStreams reads streams with at most Concurrency at once. The first
// failure stops the others; cancellation of ctx wins over it.
func (r *run) runStreams(ctx context.Context, commits *committer, streams []stream) error {
	if len(streams) == 0 {
		return nil
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		mu       sync.Mutex
		left     = map[string]int{}
		started  = map[string]bool{}
	)
	for _, s := range streams {
		left[s.phase]++
	}
	sem := make(chan struct{}, r.e.opts.Concurrency)
loop:
	for _, s := range streams {
		select {
		case sem <- struct{}{}:
		case <-gctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			mu.Lock()
			if !started[s.phase] {
				started[s.phase] = true
				r.pump.emit(Event{Type: EventPhaseStarted, Phase: s.phase, Resource: phaseResource(s)})
			}
			mu.Unlock()
			if err := r.runStream(gctx, commits, s); err != nil {
				once.Do(func() { firstErr = err })
				cancel()
				return
			}
			mu.Lock()
			left[s.phase]--
			done := left[s.phase] == 0
			mu.Unlock()
			if done {
				r.pump.emit(Event{Type: EventPhaseDone, Phase: s.phase, Resource: phaseResource(s), Total: r.phaseTotal(s.phase)})
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

func phaseResource(s stream) Resource {
	if s.phase == string(s.resource) {
		return s.resource
	}
	return ""
}

func (r *run) phaseTotal(phase string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, c := range r.counts {
		if c.phase == phase {
			total += c.records
		}
	}
	return total
}

// runStream pages through one stream from its checkpoint, committing each
// page with the checkpoint that follows it. The next page is fetched while
// the previous one commits.
func (r *run) runStream(ctx context.Context, commits *committer, s stream) (err error) {
	cp, ok, err := r.e.sink.Checkpoint(s.name)
	if err != nil {
		return fmt.Errorf("sync %s: read its checkpoint: %w", s.name, err)
	}
	count := streamCount{phase: s.phase, resource: s.resource, deletes: s.deletes}
	if ok {
		count.records = cp.Records
		if s.deletes && cp.Cursor != "" {
			if end, perr := strconv.ParseInt(cp.Cursor, 10, 64); perr == nil {
				s.windowEnd = end
			}
		}
	}
	r.setCount(s.name, count)
	if ok && cp.Done {
		return nil
	}
	if s.deletes {
		s.query = url.Values{
			"deleted_at_start": {strconv.FormatInt(s.windowStart, 10)},
			"deleted_at_end":   {strconv.FormatInt(s.windowEnd, 10)},
		}
	}

	var pending *pendingPage
	// Whatever happens, the page already queued is committed or not as a
	// whole before the stream returns.
	defer func() {
		if perr := r.settle(pending); perr != nil && err == nil {
			err = perr
		}
	}()

	offset := cp.Offset
	restarts := 0
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		page, lerr := r.e.lister.ListPage(ctx, s.path, maps.Clone(s.query), offset)
		if lerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(lerr, ErrInvalidOffset) && offset != "" && restarts < maxOffsetRestarts {
				restarts++
				r.warn(fmt.Sprintf("%s: Lever rejected the saved page token; reading this stream again from its first page", s.name), false)
				offset = ""
				count.records = 0
				continue
			}
			var ae *APIError
			if s.deletes && errors.As(lerr, &ae) && ae.Status == 404 {
				// The deleted lists are recent additions to Lever's API.
				r.warn(fmt.Sprintf("Lever has no %s list here (404); records deleted in Lever stay in the local copy", s.path), true)
				return nil
			}
			return fmt.Errorf("sync %s: %w", s.name, lerr)
		}
		if page.HasNext && (page.Next == "" || page.Next == offset) {
			return fmt.Errorf("sync %s: %w", s.name, ErrPaginationLoop)
		}
		r.sawServerTime(page.ServerTime)

		b := Batch{Resource: s.resource}
		if s.deletes {
			b.Deletes, err = decodeDeletions(page.Data)
		} else {
			b.Upserts, err = decodeRecords(s.resource, page.Data)
		}
		if err != nil {
			return fmt.Errorf("sync %s: %w", s.name, err)
		}
		n := len(b.Upserts) + len(b.Deletes)
		count.records += n
		b.Checkpoint = Checkpoint{Stream: s.name, Offset: page.Next, Done: !page.HasNext, Records: count.records}
		if s.deletes {
			b.Checkpoint.Cursor = strconv.FormatInt(s.windowEnd, 10)
		}

		if perr := r.settle(pending); perr != nil {
			pending = nil
			return perr
		}
		pending = &pendingPage{req: commits.commit(b), name: s.name, s: s, count: count, records: n}
		if !page.HasNext {
			return nil
		}
		offset = page.Next
	}
}

// pendingPage is a page queued for commit and the event it earns.
type pendingPage struct {
	req     *commitRequest
	name    string
	s       stream
	count   streamCount
	records int
}

// settle waits for a queued page's commit and reports it.
func (r *run) settle(p *pendingPage) error {
	if p == nil {
		return nil
	}
	if err := p.req.wait(); err != nil {
		return fmt.Errorf("sync %s: store the page: %w", p.name, err)
	}
	total := r.setCount(p.name, p.count)
	ev := Event{Type: EventPageStored, Phase: p.s.phase, Resource: p.s.resource, Stream: p.name, Total: total, Requests: r.requestCount()}
	if p.s.deletes {
		ev.Deleted = p.records
	} else {
		ev.Records = p.records
	}
	r.pump.emit(ev)
	return nil
}

func decodeRecords(res Resource, data []json.RawMessage) ([]Record, error) {
	recs := make([]Record, 0, len(data))
	for _, raw := range data {
		rec, err := DecodeRecord(res, raw, "")
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func decodeDeletions(data []json.RawMessage) ([]Deletion, error) {
	ds := make([]Deletion, 0, len(data))
	for _, raw := range data {
		var d Deletion
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("decode a deleted record: %w", err)
		}
		if d.ID == "" {
			return nil, errors.New("decode a deleted record: no id")
		}
		ds = append(ds, d)
	}
	return ds, nil
}
