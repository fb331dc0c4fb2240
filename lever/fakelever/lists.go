package fakelever

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// confFilter is the confidentiality parameter.
type confFilter int

const (
	confNonConfidential confFilter = iota // Lever's default
	confOnly
	confAll
)

func (c confFilter) admits(confidential bool) bool {
	switch c {
	case confOnly:
		return confidential
	case confAll:
		return true
	}
	return !confidential
}

// listQuery is what every list and single GET shares.
type listQuery struct {
	path   string
	vals   url.Values
	limit  int
	offset string
	expand expansion
	conf   confFilter
	// confAccess is the key's confidential toggle, for single records.
	confAccess bool
}

// values is a repeatable parameter; comma-separated values count too.
func (q listQuery) values(name string) []string {
	var out []string
	for _, v := range q.vals[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func parseQuery(r *http.Request, path string, g *keyGrant) (listQuery, response, bool) {
	q := listQuery{path: path, vals: r.URL.Query(), limit: 100, confAccess: g.info.Confidential}
	if v := q.vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return q, badRequest("Invalid limit " + strconv.Quote(v) + ": limit must be an integer from 1 to 100"), false
		}
		q.limit = n
	}
	q.offset = q.vals.Get("offset")
	for _, e := range q.values("expand") {
		switch e {
		case "applications":
			q.expand.applications = true
		case "stage":
			q.expand.stage = true
		case "owner":
			q.expand.owner = true
		case "followers":
			q.expand.followers = true
		case "sourcedBy":
			q.expand.sourcedBy = true
		case "contact":
			q.expand.contact = true
		case "user":
			q.expand.user = true
		case "hiringManager":
			q.expand.hiringManager = true
		default:
			return q, badRequest("Invalid expand parameter " + strconv.Quote(e)), false
		}
	}
	switch c := q.vals.Get("confidentiality"); c {
	case "", "non-confidential":
	case "confidential":
		q.conf = confOnly
	case "all":
		q.conf = confAll
	default:
		return q, badRequest("Invalid confidentiality " + strconv.Quote(c) + ": use non-confidential, confidential or all"), false
	}
	if q.conf != confNonConfidential && !g.info.Confidential {
		return q, respForbidden(), false
	}
	return q, response{}, true
}

// timeRange reads name_start/name_end (inclusive ms); ok false is a 400.
type timeRange struct {
	set        bool
	start, end int64
}

func (t timeRange) admits(ms int64) bool {
	return !t.set || (ms >= t.start && ms <= t.end)
}

func (q listQuery) timeRange(name string) (timeRange, response, bool) {
	t := timeRange{start: -1 << 62, end: 1 << 62}
	for _, side := range []string{"_start", "_end"} {
		v := q.vals.Get(name + side)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return t, badRequest("Invalid " + name + side + " " + strconv.Quote(v) + ": use milliseconds since the epoch"), false
		}
		t.set = true
		if side == "_start" {
			t.start = n
		} else {
			t.end = n
		}
	}
	return t, response{}, true
}

// genList is a list of generated records in createdAt-descending index order.
type genList struct {
	scope   string
	n       int
	kind    uint64
	sp      int64
	id      func(i int) string
	include func(i int) bool
	// render returns the record's value; the page encodes it in place.
	render func(i int) any
	// created narrows the scan to the indexes inside a created_at range.
	created timeRange
	// only, when not nil, lists the only indexes that can match (ascending),
	// e.g. the mutated records for an updated_at_start after the base data.
	only []int
}

// bounds is the index range [from, to) whose createdAt lies in l.created.
func (s *Server) bounds(l genList) (from, to int) {
	if !l.created.set {
		return 0, l.n
	}
	if l.created.end < 1<<62 {
		from = s.data.firstAfter(l.kind, l.sp, l.n, l.created.end+1)
	}
	to = l.n
	if l.created.start > -1<<62 {
		to = s.data.firstAfter(l.kind, l.sp, l.n, l.created.start)
	}
	return from, max(from, to)
}

// pageGen renders one page starting after the token's sort key.
func (s *Server) pageGen(l genList, q listQuery) response {
	start, end := s.bounds(l)
	if q.offset != "" {
		tok, resp, ok := s.decodeToken(l.scope, q.offset)
		if !ok {
			return resp
		}
		start = max(start, s.data.firstAfter(l.kind, l.sp, l.n, tok.key))
	}
	// Candidate indexes in list order: a range, or the explicit few.
	next := func(i int) int { return i + 1 }
	first := start
	if l.only != nil {
		k, _ := slices.BinarySearch(l.only, start)
		at := func(k int) int {
			if k < len(l.only) {
				return l.only[k]
			}
			return end
		}
		first = at(k)
		next = func(i int) int {
			k, found := slices.BinarySearch(l.only, i)
			if found {
				k++
			}
			return at(k)
		}
	}
	w := &sliceWriter{b: make([]byte, 0, 1024+q.limit*3*1024)} // about 2.5 kB per opportunity
	w.b = append(w.b, `{"data":[`...)
	enc := newEncoder(w)
	count, last, i := 0, -1, first
	for ; i < end && count < q.limit; i = next(i) {
		if !l.include(i) {
			continue
		}
		if count > 0 {
			w.b = append(w.b, ',')
		}
		if err := enc.Encode(l.render(i)); err != nil {
			panic(fmt.Sprintf("fakelever: encode %s record %d: %v", l.scope, i, err))
		}
		w.b = w.b[:len(w.b)-1] // Encode's newline
		count++
		last = i
	}
	b := w.b
	hasNext := false
	for ; i < end; i = next(i) {
		if l.include(i) {
			hasNext = true
			break
		}
	}
	token := ""
	if hasNext {
		token = s.encodeToken(l.scope, s.data.created(l.kind, l.sp, last), l.id(last))
	}
	return response{status: http.StatusOK, body: closeEnvelope(b, token)}
}

func closeEnvelope(b []byte, next string) []byte {
	if next == "" {
		return append(b, `],"hasNext":false}`...)
	}
	b = append(b, `],"hasNext":true,"next":`...)
	b = strconv.AppendQuote(b, next)
	return append(b, '}')
}

// pageSlice pages a small fixed list; the token holds the next position.
func (s *Server) pageSlice(scope string, items [][]byte, q listQuery) response {
	start := 0
	if q.offset != "" {
		tok, resp, ok := s.decodeToken(scope, q.offset)
		if !ok {
			return resp
		}
		start = int(min(max(tok.key, 0), int64(len(items))))
	}
	end := min(start+q.limit, len(items))
	b := append([]byte(nil), `{"data":[`...)
	for k := start; k < end; k++ {
		if k > start {
			b = append(b, ',')
		}
		b = append(b, items[k]...)
	}
	next := ""
	if end < len(items) {
		next = s.encodeToken(scope, int64(end), "")
	}
	return response{status: http.StatusOK, body: closeEnvelope(b, next)}
}

func (s *Server) listOpportunities(q listQuery) response {
	created, resp, ok := q.timeRange("created_at")
	if !ok {
		return resp
	}
	updated, resp, ok := q.timeRange("updated_at")
	if !ok {
		return resp
	}
	var archived *bool
	switch v := q.vals.Get("archived"); v {
	case "":
	case "true", "false":
		archived = new(v == "true")
	default:
		return badRequest("Invalid archived " + strconv.Quote(v) + ": use true or false")
	}
	postings := map[int]bool{}
	for _, id := range q.values("posting_id") {
		j, ok := indexOf(s.data.seed, kindPosting, id, s.data.nPost)
		if !ok {
			j = -1
		}
		postings[j] = true
	}
	stages := q.values("stage_id")
	origins := q.values("origin")
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.data
	var only []int
	if updated.set && updated.start > baseMs {
		only = sortedIndexes(s.oppMut) // nothing else was updated after the base data
	}
	return s.pageGen(genList{
		scope: "opportunities", n: d.nOpp, kind: kindOpportunity, sp: d.oppSp, id: d.oppID,
		created: created, only: only,
		include: func(i int) bool {
			if _, gone := s.oppDel[i]; gone {
				return false
			}
			c := s.oppCoreLocked(i)
			if !created.admits(c.created) {
				return false
			}
			if updated.set && (c.updated == 0 || !updated.admits(c.updated)) {
				return false
			}
			if archived != nil && c.archived != *archived {
				return false
			}
			if len(postings) > 0 && !postings[c.posting] {
				return false
			}
			if len(stages) > 0 && !slices.Contains(stages, d.stages[s.currentStage(c)].ID) {
				return false
			}
			if len(origins) > 0 && !slices.Contains(origins, c.origin) {
				return false
			}
			return q.conf.admits(d.postingCore(c.posting).confidential)
		},
		render: func(i int) any { return d.opportunity(i, s.oppCoreLocked(i), q.expand) },
	}, q)
}

func (s *Server) currentStage(c oppCore) int {
	return (c.stage + c.version) % len(s.data.stages)
}

// oppCoreLocked is the core with its mutation overlay; s.mu must be held.
func (s *Server) oppCoreLocked(i int) oppCore {
	c := s.data.oppCore(i)
	if m, ok := s.oppMut[i]; ok {
		c.updated, c.version, c.anonymized = m.updatedAt, m.version, m.anonymized
	}
	return c
}

func (s *Server) postingCoreLocked(j int) (postingCore, int) {
	c := s.data.postingCore(j)
	m, ok := s.postMut[j]
	if ok {
		c.updated = m.updatedAt
	}
	return c, m.version
}

// postingFilters may not be combined with updated_at_* (Lever answers 400).
var postingFilters = []string{"state", "distributionChannel", "team", "department", "location", "commitment", "level", "group", "tag"}

func (s *Server) listPostings(q listQuery) response {
	updated, resp, ok := q.timeRange("updated_at")
	if !ok {
		return resp
	}
	if updated.set {
		for _, f := range postingFilters {
			if q.vals.Has(f) {
				return badRequest("updated_at_start and updated_at_end can only be combined with confidentiality, not with " + f)
			}
		}
	}
	states := q.values("state")
	for _, st := range states {
		if !slices.Contains(postingStates, st) {
			return badRequest("Invalid state " + strconv.Quote(st) + ": use published, internal, closed, draft, pending or rejected")
		}
	}
	include := q.values("include")
	channels := q.values("distributionChannel")
	for _, ch := range channels {
		if ch != "public" && ch != "internal" {
			return badRequest("Invalid distributionChannel " + strconv.Quote(ch) + ": use public or internal")
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.data
	var only []int
	if updated.set && updated.start > baseMs {
		only = sortedIndexes(s.postMut)
	}
	return s.pageGen(genList{
		scope: "postings", n: d.nPost, kind: kindPosting, sp: d.postSp, id: d.postingID, only: only,
		include: func(j int) bool {
			if _, gone := s.postDel[j]; gone {
				return false
			}
			c, _ := s.postingCoreLocked(j)
			if !q.conf.admits(c.confidential) {
				return false
			}
			if updated.set {
				return updated.admits(c.updated)
			}
			if len(states) > 0 && !slices.Contains(states, c.state) {
				return false
			}
			return channelAdmits(c, channels)
		},
		render: func(j int) any {
			c, v := s.postingCoreLocked(j)
			return onlyFields(d.posting(j, c, v, q.expand), include)
		},
	}, q)
}

// channelAdmits applies distributionChannel. Without it, published
// internal-only postings are hidden (as on Lever). With it, a posting shows
// when one of its channels is asked for, or when it has no channel at all
// (closed, draft): so distributionChannel=public&distributionChannel=internal
// returns every posting.
func channelAdmits(c postingCore, asked []string) bool {
	if len(asked) == 0 {
		return !c.internalOnly()
	}
	if len(c.channels) == 0 {
		return true
	}
	for _, ch := range c.channels {
		if slices.Contains(asked, ch) {
			return true
		}
	}
	return false
}

func (s *Server) listUsers(q listQuery) response {
	withDeactivated := q.vals.Get("includeDeactivated") == "true"
	emails := q.values("email")
	roles := q.values("accessRole")
	d := s.data
	return s.pageGen(genList{
		scope: "users", n: d.nUser, kind: kindUser, sp: d.userSp, id: d.userID,
		include: func(i int) bool {
			if s.removed.has("users", d.userID(i)) {
				return false
			}
			if !withDeactivated && d.userDeactivated(i) {
				return false
			}
			if len(emails) == 0 && len(roles) == 0 {
				return true
			}
			u := d.user(i)
			return (len(emails) == 0 || slices.Contains(emails, u.Email)) && (len(roles) == 0 || slices.Contains(roles, u.AccessRole))
		},
		render: func(i int) any { return d.user(i) },
	}, q)
}

func (s *Server) listRequisitions(q listQuery) response {
	created, resp, ok := q.timeRange("created_at")
	if !ok {
		return resp
	}
	statuses := q.values("status")
	d := s.data
	return s.pageGen(genList{
		scope: "requisitions", n: d.nReq, kind: kindRequisition, sp: d.reqSp, id: d.requisitionID, created: created,
		include: func(i int) bool {
			return !s.removed.has("requisitions", d.requisitionID(i)) && created.admits(d.reqCreated(i)) && q.conf.admits(d.reqConfidential(i)) &&
				(len(statuses) == 0 || slices.Contains(statuses, d.reqStatus(i)))
		},
		render: func(i int) any { return d.requisition(i) },
	}, q)
}

func (s *Server) listArchiveReasons(q listQuery) response {
	typ := q.vals.Get("type")
	if typ != "" && typ != "hired" && typ != "non-hired" {
		return badRequest("Invalid type " + strconv.Quote(typ) + ": use hired or non-hired")
	}
	var items [][]byte
	for _, r := range s.data.reasons {
		if (typ == "" || r.Type == typ) && !s.removed.has("archive_reasons", r.ID) {
			items = append(items, marshal(r))
		}
	}
	return s.pageSlice("archive_reasons?type="+typ, items, q)
}

const maxDeletedWindow = 30 * 24 * time.Hour

type deletion struct {
	ID        string `json:"id"`
	DeletedAt int64  `json:"deletedAt"`
}

// listDeleted serves /opportunities/deleted and /postings/deleted:
// deleted_at_start and _end are both required and at most 30 days apart.
func (s *Server) listDeleted(scope string, deleted map[int]int64, id func(int) string, q listQuery) response {
	if q.vals.Get("deleted_at_start") == "" || q.vals.Get("deleted_at_end") == "" {
		return badRequest("deleted_at_start and deleted_at_end are both required")
	}
	w, resp, ok := q.timeRange("deleted_at")
	if !ok {
		return resp
	}
	if w.end < w.start || w.end-w.start > maxDeletedWindow.Milliseconds() {
		return badRequest("deleted_at_end must be after deleted_at_start and at most 30 days later")
	}
	s.mu.RLock()
	var all []deletion
	for i, at := range deleted {
		if w.admits(at) {
			all = append(all, deletion{id(i), at})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b deletion) int {
		if a.DeletedAt != b.DeletedAt {
			if a.DeletedAt > b.DeletedAt {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	start := 0
	if q.offset != "" {
		tok, resp, ok := s.decodeToken(scope, q.offset)
		if !ok {
			return resp
		}
		for start < len(all) && (all[start].DeletedAt > tok.key || (all[start].DeletedAt == tok.key && all[start].ID <= tok.id)) {
			start++
		}
	}
	end := min(start+q.limit, len(all))
	b := append([]byte(nil), `{"data":[`...)
	for k := start; k < end; k++ {
		if k > start {
			b = append(b, ',')
		}
		b = append(b, marshal(all[k])...)
	}
	next := ""
	if end < len(all) {
		next = s.encodeToken(scope, all[end-1].DeletedAt, all[end-1].ID)
	}
	return response{status: http.StatusOK, body: closeEnvelope(b, next)}
}

func sortedIndexes[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for i := range m {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// onlyFields applies Lever's subtractive include: with include=a&include=b
// a posting carries only id and those fields.
func onlyFields(v any, include []string) any {
	if len(include) == 0 {
		return v
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(marshal(v), &all); err != nil {
		panic(fmt.Sprintf("fakelever: include: %v", err))
	}
	out := map[string]json.RawMessage{"id": all["id"]}
	for _, f := range include {
		if raw, ok := all[f]; ok {
			out[f] = raw
		}
	}
	return out
}
