package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leversync/leversync/lever"
)

// scriptedLever is a Lister over an in-memory dataset that filters like
// Lever: confidentiality, distributionChannel, includeDeactivated,
// created_at/updated_at/deleted_at ranges, and page tokens that can expire.
type scriptedLever struct {
	mu       sync.Mutex
	pageSize int
	// lists maps a path to its records, each a JSON object.
	lists map[string][]map[string]any
	// forbidden paths answer 403.
	forbidden map[string]bool
	// noConfidential: confidentiality=all answers 403.
	noConfidential bool
	// tokenGen is part of every page token; bumping it expires them all.
	tokenGen   int
	serverTime time.Time
	calls      []listCall
	requests   atomic.Int64
	capacity   atomic.Int64
	// before, when set, runs before each request and may fail it.
	before func(ctx context.Context, c listCall) error
}

type listCall struct {
	Path   string
	Query  url.Values
	Offset string
}

func newScriptedLever() *scriptedLever {
	return &scriptedLever{
		pageSize:   10,
		lists:      map[string][]map[string]any{},
		forbidden:  map[string]bool{},
		serverTime: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC),
	}
}

func (f *scriptedLever) Requests() int64 { return f.requests.Load() }

// Capacity is the requests worth having in flight; 6 unless set.
func (f *scriptedLever) Capacity() int {
	if n := f.capacity.Load(); n > 0 {
		return int(n)
	}
	return 6
}

func (f *scriptedLever) callsTo(path string) []listCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var cs []listCall
	for _, c := range f.calls {
		if c.Path == path {
			cs = append(cs, c)
		}
	}
	return cs
}

func (f *scriptedLever) ListPage(ctx context.Context, path string, q url.Values, offset string) (lever.Page, error) {
	f.requests.Add(1)
	c := listCall{Path: path, Query: url.Values{}, Offset: offset}
	for k, v := range q {
		c.Query[k] = slices.Clone(v)
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	before := f.before
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return lever.Page{}, err
	}
	if before != nil {
		if err := before(ctx, c); err != nil {
			return lever.Page{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forbidden[path] || (f.noConfidential && q.Get("confidentiality") == "all") {
		perm := "find all " + strings.ReplaceAll(strings.Trim(path, "/"), "_", " ")
		return lever.Page{}, &lever.PermissionError{Permission: perm, Method: "GET", Path: path, Message: "not permitted"}
	}
	all, ok := f.lists[path]
	if !ok {
		if strings.HasPrefix(path, "/opportunities/") || path == "/postings/deleted" {
			all = nil // an opportunity without detail
		} else {
			return lever.Page{}, &lever.APIError{Status: 404, Method: "GET", Path: path, Message: "not found"}
		}
	}
	var rows []map[string]any
	for _, rec := range all {
		if leverFilter(path, rec, q) {
			rows = append(rows, rec)
		}
	}
	size := f.pageSize
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
		size = l
	}
	start := 0
	if offset != "" {
		var gen int
		if _, err := fmt.Sscanf(offset, "t%d-%d", &gen, &start); err != nil || gen != f.tokenGen || start > len(rows) {
			return lever.Page{}, fmt.Errorf("GET %s: %w", path, lever.ErrInvalidOffset)
		}
	}
	end := min(start+size, len(rows))
	p := lever.Page{ServerTime: f.serverTime}
	for _, rec := range rows[start:end] {
		raw, _ := json.Marshal(rec)
		p.Data = append(p.Data, raw)
	}
	if end < len(rows) {
		p.HasNext = true
		p.Next = fmt.Sprintf("t%d-%d", f.tokenGen, end)
	}
	return p, nil
}

func jsonNumber(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok {
		i, ok := v.(int64)
		return i, ok
	}
	return int64(f), true
}

func inTimeRange(v any, q url.Values, startKey, endKey string) bool {
	t, ok := jsonNumber(v)
	if s := q.Get(startKey); s != "" {
		lo, _ := strconv.ParseInt(s, 10, 64)
		if !ok || t < lo {
			return false
		}
	}
	if e := q.Get(endKey); e != "" {
		hi, _ := strconv.ParseInt(e, 10, 64)
		if !ok || t > hi {
			return false
		}
	}
	return true
}

// matches applies Lever's filters to one record.
func leverFilter(path string, rec map[string]any, q url.Values) bool {
	if rec["confidentiality"] == "confidential" && q.Get("confidentiality") != "all" {
		return false
	}
	switch path {
	case "/users":
		if rec["deactivatedAt"] != nil && q.Get("includeDeactivated") != "true" {
			return false
		}
	case "/postings":
		if st := q.Get("state"); st != "" && rec["state"] != st {
			return false
		}
		if !inTimeRange(rec["updatedAt"], q, "updated_at_start", "updated_at_end") {
			return false
		}
		channels, _ := rec["distributionChannels"].([]any)
		// Lever hides published postings on the internal job site only.
		internalOnly := rec["state"] == "published" && len(channels) == 1 && channels[0] == "internal"
		if q.Get("distributionChannel") == "internal" {
			if !slices.Contains(channels, any("internal")) {
				return false
			}
		} else if internalOnly {
			return false
		}
	case "/opportunities":
		if !inTimeRange(rec["createdAt"], q, "created_at_start", "created_at_end") ||
			!inTimeRange(rec["updatedAt"], q, "updated_at_start", "updated_at_end") {
			return false
		}
	case "/opportunities/deleted", "/postings/deleted":
		if q.Get("deleted_at_start") == "" || q.Get("deleted_at_end") == "" {
			return false
		}
		if !inTimeRange(rec["deletedAt"], q, "deleted_at_start", "deleted_at_end") {
			return false
		}
	}
	return true
}

// dataset fills the scripted Lever with every kind of record the sync must
// keep, and returns what a full sync must store.
func (f *scriptedLever) dataset(opportunities int) map[lever.Resource]map[string]string {
	want := map[lever.Resource]map[string]string{}
	add := func(path string, res lever.Resource, rec map[string]any) {
		f.lists[path] = append(f.lists[path], rec)
		raw, _ := json.Marshal(rec)
		id, _ := rec["id"].(string)
		if res.TextKeyed() {
			id = rec["text"].(string)
		}
		if want[res] == nil {
			want[res] = map[string]string{}
		}
		want[res][id] = string(raw)
	}
	for i := range 25 {
		u := map[string]any{"id": fmt.Sprintf("user-%03d", i), "name": fmt.Sprintf("User %d", i), "deactivatedAt": nil}
		if i%5 == 0 {
			u["deactivatedAt"] = float64(1.6e12 + float64(i))
		}
		add("/users", lever.Users, u)
	}
	for i := range 7 {
		add("/stages", lever.Stages, map[string]any{"id": fmt.Sprintf("stage-%d", i), "text": fmt.Sprintf("Stage %d", i)})
	}
	for i := range 4 {
		add("/archive_reasons", lever.ArchiveReasons, map[string]any{"id": fmt.Sprintf("ar-%d", i), "text": fmt.Sprintf("Reason %d", i)})
	}
	for i := range 12 {
		add("/sources", lever.Sources, map[string]any{"text": fmt.Sprintf("Source %d", i), "count": float64(i)})
	}
	add("/tags", lever.Tags, map[string]any{"text": "Go", "count": float64(3)})
	add("/tags", lever.Tags, map[string]any{"text": "go", "count": float64(1)})
	for i := range 9 {
		add("/requisitions", lever.Requisitions, map[string]any{"id": fmt.Sprintf("req-%d", i), "confidentiality": confidentialityOf(i%4 == 0)})
	}
	states := []string{"published", "internal", "closed", "draft", "pending", "rejected"}
	for i := range 40 {
		p := map[string]any{"id": fmt.Sprintf("post-%03d", i), "state": states[i%len(states)], "confidentiality": confidentialityOf(i%7 == 0),
			"updatedAt": float64(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}
		switch i % 4 {
		case 0:
			p["distributionChannels"] = []any{"public", "internal"}
		case 1:
			p["distributionChannels"] = []any{"internal"} // internal job site only
			if i%8 == 1 {
				p["state"] = "published" // hidden from the default list
			}
		case 2:
			p["distributionChannels"] = nil // closed postings carry null
		case 3:
			p["distributionChannels"] = []any{"public"}
		}
		add("/postings", lever.Postings, p)
	}
	base := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	span := f.serverTime.Add(-time.Hour).UnixMilli() - base
	// Lever lists newest first.
	for i := opportunities - 1; i >= 0; i-- {
		created := base + span*int64(i)/int64(max(opportunities-1, 1))
		o := map[string]any{
			"id":              fmt.Sprintf("opp-%05d", i),
			"createdAt":       float64(created),
			"updatedAt":       float64(created + 1000),
			"confidentiality": confidentialityOf(i%11 == 0),
			"applications":    []any{map[string]any{"posting": fmt.Sprintf("post-%03d", i%40)}},
		}
		if i%3 == 0 {
			o["updatedAt"] = nil // old records never updated
		}
		add("/opportunities", lever.Opportunities, o)
	}
	return want
}

func confidentialityOf(c bool) string {
	if c {
		return "confidential"
	}
	return "non-confidential"
}

// memSink is an in-memory Sink whose Commit is all or nothing.
type memSink struct {
	mu          sync.Mutex
	current     *RunState
	last        *RunState
	checkpoints map[string]Checkpoint
	// seen keeps every checkpoint ever committed, past FinishRun.
	seen       map[string]Checkpoint
	records    map[lever.Resource]map[string]lever.Record
	tombstones map[lever.Resource]map[string]lever.Deletion
	commits    int
	batches    int
	// failCommit, when set, may refuse a commit.
	failCommit func([]Batch) error
	// commitDelay slows every commit down.
	commitDelay time.Duration
}

func newMemSink() *memSink {
	return &memSink{
		checkpoints: map[string]Checkpoint{},
		seen:        map[string]Checkpoint{},
		records:     map[lever.Resource]map[string]lever.Record{},
		tombstones:  map[lever.Resource]map[string]lever.Deletion{},
	}
}

func (s *memSink) LoadRun() (*RunState, *RunState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRun(s.current), cloneRun(s.last), nil
}

func cloneRun(r *RunState) *RunState {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

func (s *memSink) StartRun(r RunState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = &r
	s.checkpoints = map[string]Checkpoint{}
	return nil
}

func (s *memSink) UpdateRun(r RunState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.ID != r.ID {
		return errors.New("no such run in progress")
	}
	s.current = &r
	return nil
}

func (s *memSink) FinishRun(r RunState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.ID != r.ID {
		return errors.New("no such run in progress")
	}
	s.current, s.last = nil, &r
	s.checkpoints = map[string]Checkpoint{}
	return nil
}

func (s *memSink) Checkpoint(stream string) (Checkpoint, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp, ok := s.checkpoints[stream]
	return cp, ok, nil
}

func (s *memSink) Commit(batches ...Batch) error {
	if s.commitDelay > 0 {
		time.Sleep(s.commitDelay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCommit != nil {
		if err := s.failCommit(batches); err != nil {
			return err
		}
	}
	s.commits++
	s.batches += len(batches)
	for _, b := range batches {
		if s.records[b.Resource] == nil {
			s.records[b.Resource] = map[string]lever.Record{}
			s.tombstones[b.Resource] = map[string]lever.Deletion{}
		}
		if b.Replace != "" {
			for id, rec := range s.records[b.Resource] {
				if rec.Parent == b.Replace {
					delete(s.records[b.Resource], id)
				}
			}
		}
		for _, rec := range b.Upserts {
			s.records[b.Resource][rec.ID] = rec
		}
		for _, d := range b.Deletes {
			delete(s.records[b.Resource], d.ID)
			s.tombstones[b.Resource][d.ID] = d
		}
		if b.Whole != nil {
			for id := range s.records[b.Resource] {
				if !slices.Contains(b.Whole.Keys, id) {
					delete(s.records[b.Resource], id)
					s.tombstones[b.Resource][id] = lever.Deletion{ID: id, DeletedAt: b.Whole.At}
				}
			}
		}
		if b.Checkpoint.Stream != "" {
			s.checkpoints[b.Checkpoint.Stream] = b.Checkpoint
			s.seen[b.Checkpoint.Stream] = b.Checkpoint
		}
	}
	return nil
}

func (s *memSink) OpportunityIDs(after string, updatedSince int64, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, rec := range s.records[lever.Opportunities] {
		if id > after && (updatedSince == 0 || rec.UpdatedAt >= updatedSince) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// raw returns the stored raw JSON of res by key.
func (s *memSink) raw(res lever.Resource) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]string{}
	for id, rec := range s.records[res] {
		m[id] = string(rec.Raw)
	}
	return m
}

func (s *memSink) Missing(res lever.Resource, keys []string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		_, stored := s.records[res][k]
		_, deleted := s.tombstones[res][k]
		if !stored && !deleted {
			return true, nil
		}
	}
	return false, nil
}
