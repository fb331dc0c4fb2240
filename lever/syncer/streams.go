package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/leversync/leversync/lever"
)

// stream is one paged read with its own checkpoint: a resource, or one
// window or pass of it.
type stream struct {
	// name keys the checkpoint, e.g. "postings/internal"; never a URL.
	name     string
	phase    string
	resource lever.Resource
	path     string
	query    url.Values
	// deletes: the pages are {id, deletedAt} tombstones of resource.
	deletes bool
	// windowStart and windowEnd bound a deleted-list window. The end is
	// kept in the checkpoint's Cursor so a resumed window asks the same
	// query its page tokens belong to.
	windowStart, windowEnd int64
	// countIf, when set, counts only the records it accepts, so a pass
	// that overlaps another adds only what that one cannot see.
	countIf func(lever.Record) bool
	// win is the created_at window of a full read of opportunities.
	win *window
	// whole: the stream is a reference list Lever returns whole, so what
	// a complete read leaves out is tombstoned.
	whole bool
	// cadence: an incremental run reads the stream only when its last
	// read from first page to last (RunState.ListedAt) has aged, or a
	// change names an entry its resource lacks.
	cadence bool
	// names: the stream's records are changes whose references to the
	// held lists are checked (see run.noteNames).
	names bool
	// listed holds the keys read since the first page; complete is false
	// when the read began mid-list or left a record out.
	listed   []string
	complete bool
}

// PhaseDeletions and PhaseDetails name the phases that are not one resource.
const (
	PhaseDeletions = "deletions"
	PhaseDetails   = "details"
)

// deletedWindow is the longest deleted_at range Lever accepts.
const deletedWindow = 30 * 24 * time.Hour

// listStreams are the reference lists, postings and opportunities: on a
// full read, the windows of fam. An incremental run reads the postings and
// opportunities changed since the last run; held are the lists it reads
// again only if they have aged or its changed records name an entry they
// lack (see listsMaxAge).
func (r *run) listStreams() (ss, held []*stream, fam *family, err error) {
	conf := url.Values{}
	if r.confidential {
		conf.Set("confidentiality", "all")
	}
	st := r.state()
	incremental := st.UpdatedSince > 0
	since := strconv.FormatInt(st.UpdatedSince, 10)
	if incremental {
		// Lever allows updated_at with no filter but confidentiality.
		ss = append(ss, &stream{name: "postings/updated", phase: string(lever.Postings), resource: lever.Postings, path: "/postings",
			query: withParams(conf, "updated_at_start", since), names: true})
	} else {
		// Every state, without a state filter.
		ss = append(ss, &stream{name: "postings/default", phase: string(lever.Postings), resource: lever.Postings, path: "/postings", query: withParams(conf)})
	}
	lists := []*stream{
		// Published postings only on the internal job site are hidden
		// from the default list, and perhaps from updated_at: their own
		// pass, merged by id.
		{name: "postings/internal-published", phase: string(lever.Postings), resource: lever.Postings, path: "/postings",
			query: withParams(conf, "distributionChannel", "internal", "state", "published"), countIf: internalOnly, cadence: true},
		referenceList(lever.Requisitions, withParams(conf)),
		referenceList(lever.Users, url.Values{"includeDeactivated": {"true"}}),
		referenceList(lever.Stages, nil),
		referenceList(lever.ArchiveReasons, nil),
		referenceList(lever.Sources, nil),
		referenceList(lever.Tags, nil),
	}
	for _, l := range lists {
		if incremental && !r.resumed && r.listFresh(st, l.resource) {
			held = append(held, l)
		} else {
			ss = append(ss, l)
		}
	}
	opp := withParams(conf, "expand", "applications")
	if incremental {
		ss = append(ss, &stream{
			name: "opportunities/updated", phase: string(lever.Opportunities), resource: lever.Opportunities, path: "/opportunities",
			query: withParams(opp, "updated_at_start", since), names: true,
		})
		if len(held) == 0 {
			// Nothing waits on what the changes name.
			for _, s := range ss {
				s.names = false
			}
		}
		return ss, held, nil, nil
	}
	// A full read must not filter on updatedAt, which is null on old
	// records: it reads created_at windows.
	fam, err = newFamily(r.e.sink, opp, st.StartedAt)
	if err != nil {
		return nil, nil, nil, err
	}
	return ss, nil, fam, nil
}

// referenceList is the stream of a list Lever returns whole.
func referenceList(res lever.Resource, q url.Values) *stream {
	return &stream{name: string(res), phase: string(res), resource: res, path: "/" + string(res), query: q, whole: true, cadence: true}
}

// listedAt is when a list was seen whole: Lever's clock if its answer
// said, else the local one.
func (r *run) listedAt(server time.Time) int64 {
	if server.IsZero() {
		return r.now()
	}
	return server.UnixMilli()
}

// deletionStreams read the deleted lists from DeletedSince to now on
// Lever's clock, in windows Lever accepts.
func (r *run) deletionStreams() []*stream {
	st := r.state()
	r.mu.Lock()
	// The Date header has one-second resolution: round up past it.
	end := r.serverNow + 1000
	r.mu.Unlock()
	if end <= 1000 {
		end = r.now()
	}
	var ss []*stream
	for _, res := range []lever.Resource{lever.Opportunities, lever.Postings} {
		for _, w := range deletionWindows(st.DeletedSince, end) {
			ss = append(ss, &stream{
				name:  fmt.Sprintf("deleted/%s/%d", res, w.start),
				phase: PhaseDeletions, resource: res, path: "/" + string(res) + "/deleted",
				deletes: true, windowStart: w.start, windowEnd: w.end,
			})
		}
	}
	return ss
}

// withParams returns a copy of q with the key-value pairs added.
func withParams(q url.Values, kv ...string) url.Values {
	q = maps.Clone(q)
	if q == nil {
		q = url.Values{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q
}

func phaseResource(s *stream) lever.Resource {
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
// page with the checkpoint that follows it. Reading goes on while earlier
// pages commit; the committer keeps each stream's pages in order and
// commits nothing after a failed commit, so a checkpoint never passes a
// page that was not stored. A window's pages are queued under the
// scheduler's lock, in order with the splits that move its lower bound.
func (r *run) runStream(ctx context.Context, sch *scheduler, s *stream) (err error) {
	count := streamCount{phase: s.phase, resource: s.resource, deletes: s.deletes}
	var cp Checkpoint
	if w := s.win; w != nil {
		sch.mu.Lock()
		cp = Checkpoint{Offset: w.offset, Done: w.done, Records: w.records}
		sch.mu.Unlock()
	} else {
		var ok bool
		cp, ok, err = r.e.sink.Checkpoint(s.name)
		if err != nil {
			return fmt.Errorf("sync %s: read its checkpoint: %w", s.name, err)
		}
		if ok && s.deletes && cp.Cursor != "" {
			if end, perr := strconv.ParseInt(cp.Cursor, 10, 64); perr == nil {
				s.windowEnd = end
			}
		}
	}
	count.records = cp.Records
	r.setCount(s.name, count)
	if cp.Done {
		return nil
	}
	if s.deletes {
		s.query = url.Values{
			"deleted_at_start": {strconv.FormatInt(s.windowStart, 10)},
			"deleted_at_end":   {strconv.FormatInt(s.windowEnd, 10)},
		}
	}

	// Pages queued for commit, oldest first. Whatever happens, each is
	// committed or not as a whole before the stream returns.
	var pending []*pendingPage
	defer func() {
		for _, p := range pending {
			if perr := r.settle(p); perr != nil && err == nil {
				err = perr
			}
		}
	}()

	// A list read from its first page in this run can be replaced whole.
	s.listed, s.complete = nil, cp.Offset == ""
	restart := func() {
		r.warn(fmt.Sprintf("%s: Lever rejected the saved page token; reading this stream again from its first page", s.name), false)
		count.records = 0
		s.listed, s.complete = nil, true
		if w := s.win; w != nil {
			sch.mu.Lock()
			w.records, w.read, w.top, w.pos = 0, 0, 0, 0
			sch.mu.Unlock()
		}
	}
	offset := cp.Offset
	for {
		retry, err := r.readPages(ctx, sch, s, &count, &offset, restart, &pending)
		if !retry {
			return err
		}
		// Confidential records are out of reach: read on without them,
		// and make windows split off later ask without them too.
		s.query.Del("confidentiality")
		if sch.fam != nil {
			sch.mu.Lock()
			sch.fam.base.Del("confidentiality")
			sch.mu.Unlock()
		}
	}
}

// readPages reads a stream's pages from *offset to its end, moving *offset
// past each page it queues. retry is true when the key turned out to have
// no confidential access: the caller reads on without asking for
// confidential records.
func (r *run) readPages(ctx context.Context, sch *scheduler, s *stream, count *streamCount, offset *string, restart func(), pending *[]*pendingPage) (retry bool, err error) {
	for page, lerr := range r.pages(ctx, r.streamLister(s), s.path, s.query, *offset, restart) {
		if lerr != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			var ae *lever.APIError
			if s.deletes && errors.As(lerr, &ae) && ae.Status == 404 {
				// The deleted lists are recent additions to Lever's API.
				r.warn(fmt.Sprintf("Lever has no %s list here (404); records deleted in Lever stay in the local copy", s.path), true)
				return false, nil
			}
			var pe *lever.PermissionError
			if errors.As(lerr, &pe) && s.query.Get("confidentiality") == "all" {
				denied, cerr := r.confidentialDenied(ctx)
				if cerr != nil {
					return false, cerr
				}
				if denied {
					return true, nil
				}
			}
			return false, fmt.Errorf("sync %s: %w", s.name, lerr)
		}
		r.sawServerTime(page.ServerTime)

		b := Batch{Resource: s.resource}
		if s.deletes {
			b.Deletes, err = decodeDeletions(page.Data)
			if err != nil {
				return false, fmt.Errorf("sync %s: %w", s.name, err)
			}
		} else {
			b.Upserts = r.decodeRecords(s.resource, page, "")
			if s.names {
				r.noteNames(s.resource, b.Upserts)
			}
			if s.whole {
				s.complete = s.complete && len(b.Upserts) == len(page.Data)
				for _, rec := range b.Upserts {
					s.listed = append(s.listed, rec.ID)
				}
			}
		}
		if len(*pending) == maxPendingPages {
			p := (*pending)[0]
			*pending = (*pending)[1:]
			if perr := r.settle(p); perr != nil {
				return false, perr
			}
		}
		done := !page.HasNext
		if s.win != nil {
			sch.mu.Lock()
			b.Upserts, done = sch.fam.take(s.win, page, b.Upserts)
		}
		n := len(b.Upserts) + len(b.Deletes)
		if s.countIf != nil {
			n = 0
			for _, rec := range b.Upserts {
				if s.countIf(rec) {
					n++
				}
			}
		}
		count.records += n
		next := page.Next
		if done {
			next = ""
		}
		if done && s.whole && s.complete {
			b.Whole = &WholeList{Keys: s.listed, At: r.listedAt(page.ServerTime)}
		}
		b.Checkpoint = Checkpoint{Stream: s.name, Offset: next, Done: done, Records: count.records}
		if s.deletes {
			b.Checkpoint.Cursor = strconv.FormatInt(s.windowEnd, 10)
		}
		if w := s.win; w != nil {
			w.offset, w.records, w.done = next, count.records, done
			b.Checkpoint = w.checkpoint(sch.fam.startedAt)
		}
		p := &pendingPage{name: s.name, s: s, count: *count, records: n, listed: done && s.cadence && s.complete}
		p.req = r.commits.commitThen(func() { r.reportStored(p) }, b)
		*pending = append(*pending, p)
		*offset = next
		if s.win != nil {
			sch.mu.Unlock()
		}
		sch.fill()
		if done {
			break
		}
	}
	return false, nil
}

// streamLister is the run's lister with the stream's priority at the gate:
// the deleted lists last, the opportunity windows newest first, the other
// lists first (they are small).
func (r *run) streamLister(s *stream) lever.Lister {
	l := gatedLister{r.e.lister, r.gate, priorityFirst}
	switch {
	case s.deletes:
		l.priority = priorityLast
	case s.win != nil && !s.win.open:
		l.priority = -s.win.end
	}
	return l
}

// pages is lever.Pages with the engine's answer to an expired page token
// (the saved one, or one that aged while the list was read): read the list
// again from its first page, at most maxOffsetRestarts times. restart runs
// first, so the caller can drop what the abandoned pass counted.
func (r *run) pages(ctx context.Context, l lever.Lister, path string, query url.Values, start string, restart func()) iter.Seq2[lever.Page, error] {
	return func(yield func(lever.Page, error) bool) {
		restarts := 0
	pass:
		for {
			// at is the token of the request Pages is making.
			at := start
			for page, err := range lever.Pages(ctx, l, path, query, start) {
				if err != nil && ctx.Err() == nil && errors.Is(err, lever.ErrInvalidOffset) && at != "" && restarts < maxOffsetRestarts {
					restarts++
					restart()
					start = ""
					continue pass
				}
				if !yield(page, err) {
					return
				}
				at = page.Next
			}
			return
		}
	}
}

// maxPendingPages is how many pages of one stream may wait for commit
// while the stream reads on; the committer writes them in one transaction.
const maxPendingPages = 4

// pendingPage is a page queued for commit and the event it earns.
type pendingPage struct {
	req     *commitRequest
	name    string
	s       *stream
	count   streamCount
	records int
	// listed: the page ends a read of a cadence stream from its first
	// page.
	listed bool
}

// settle waits for a queued page's commit.
func (r *run) settle(p *pendingPage) error {
	if p == nil {
		return nil
	}
	if err := p.req.wait(); err != nil {
		return fmt.Errorf("sync %s: store the page: %w", p.name, err)
	}
	return nil
}

// reportStored counts a page the committer has just stored and reports it,
// at once rather than when the stream next waits for a commit, so the
// counts rise page by page.
func (r *run) reportStored(p *pendingPage) {
	if p.listed {
		// A new map: copies of the run state handed out earlier share the
		// old one, and may be being written out.
		r.mu.Lock()
		listed := maps.Clone(r.st.ListedAt)
		if listed == nil {
			listed = map[lever.Resource]int64{}
		}
		listed[p.s.resource] = r.now()
		r.st.ListedAt = listed
		r.mu.Unlock()
	}
	total := r.setCount(p.name, p.count)
	ev := Event{Type: EventPageStored, Phase: p.s.phase, Resource: p.s.resource, Stream: p.name, Total: total, Requests: r.requestCount()}
	if p.s.deletes {
		ev.Deleted = p.records
	} else {
		ev.Records = p.records
	}
	r.pump.emit(ev)
}

// internalOnly reports whether a posting is published on the internal job
// site only: the postings Lever's default list hides.
func internalOnly(rec lever.Record) bool {
	var p struct {
		State                string   `json:"state"`
		DistributionChannels []string `json:"distributionChannels"`
	}
	if json.Unmarshal(rec.Raw, &p) != nil || p.State != "published" || len(p.DistributionChannels) == 0 {
		return false
	}
	return !slices.Contains(p.DistributionChannels, "public")
}

// decodeRecords decodes a page of res (of opportunity parent, for
// detail). A record that cannot be decoded is left out, with a warning and
// a count, so one bad record never stops the sync.
func (r *run) decodeRecords(res lever.Resource, page lever.Page, parent string) []lever.Record {
	recs := make([]lever.Record, 0, len(page.Data))
	for i := range page.Data {
		rec, err := page.Record(i, res, parent)
		if err != nil {
			r.skip(res, i, page.Data[i], parent, err)
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

// skip counts and reports a record that cannot be decoded: record i of
// its page.
func (r *run) skip(res lever.Resource, i int, raw json.RawMessage, parent string, err error) {
	where := fmt.Sprintf("record %d of its page", i+1)
	var id struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &id) == nil && id.ID != "" {
		where += ", id " + strconv.Quote(lever.PlainText(id.ID))
	}
	if parent != "" {
		where += ", of opportunity " + parent
	}
	r.mu.Lock()
	// A new map, as for ListedAt: copies handed out share the old one.
	skipped := maps.Clone(r.st.Skipped)
	if skipped == nil {
		skipped = map[lever.Resource]int{}
	}
	skipped[res]++
	r.st.Skipped = skipped
	st := r.st
	r.mu.Unlock()
	// Best effort: the run's outcome is written again at its end.
	_ = r.e.sink.UpdateRun(st)
	r.warn(fmt.Sprintf("skipped a %s record that cannot be read (%s): %s", res, where, lever.PlainText(err.Error())), false)
}

func decodeDeletions(data []json.RawMessage) ([]lever.Deletion, error) {
	ds := make([]lever.Deletion, 0, len(data))
	for _, raw := range data {
		var d lever.Deletion
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
