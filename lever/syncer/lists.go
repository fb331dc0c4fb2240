package syncer

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/leversync/leversync/lever"
)

// listsMaxAge is how long an incremental sync trusts a list an earlier run
// read from first page to last: the reference lists, which Lever cannot
// filter by change, and the published internal-only postings, which its
// changed-postings list may leave out. Reading them on every run would
// cost more requests than the changes themselves; a list that a changed
// record names an unknown entry of is read at once, whatever its age.
const listsMaxAge = time.Hour

// listFresh reports whether st's copy of the list of res was read less
// than listsMaxAge ago. A time ahead of the clock (which was ahead, then
// set right) is no evidence: the list has aged.
func (r *run) listFresh(st RunState, res lever.Resource) bool {
	at, ok := st.ListedAt[res]
	now := r.now()
	return ok && at <= now && now-at < listsMaxAge.Milliseconds()
}

// keptWhy says why a run keeps its copy of the list of res unread.
func (r *run) keptWhy(res lever.Resource) string {
	r.mu.Lock()
	at := r.st.ListedAt[res]
	r.mu.Unlock()
	ago := "under 1 min"
	if minutes := max(r.now()-at, 0) / time.Minute.Milliseconds(); minutes > 0 {
		ago = fmt.Sprintf("%d min", minutes)
	}
	return "read " + ago + " ago; read again at 1 h, or for a new entry"
}

// changeView is what a changed opportunity or posting names in the
// reference lists. Lever sends a reference as an id, or as an object with
// an id when it is expanded; archive state comes in two shapes.
type changeView struct {
	Stage    json.RawMessage `json:"stage"`
	Owner    json.RawMessage `json:"owner"`
	Archived *struct {
		Reason json.RawMessage `json:"reason"`
	} `json:"archived"`
	ArchiveReason json.RawMessage `json:"archiveReason"`
	Tags          []string        `json:"tags"`
	Sources       []string        `json:"sources"`
	// Postings' people.
	User          json.RawMessage `json:"user"`
	HiringManager json.RawMessage `json:"hiringManager"`
}

// noteNames records the entries of held lists that changed records of res
// name: an opportunity's stage, archive reason, owner, tags, sources and
// postings, a posting's people.
func (r *run) noteNames(res lever.Resource, recs []lever.Record) {
	type entry struct {
		list lever.Resource
		key  string
	}
	var named []entry
	note := func(list lever.Resource, key string) {
		if key != "" {
			named = append(named, entry{list, key})
		}
	}
	for _, rec := range recs {
		var v changeView
		if json.Unmarshal(rec.Raw, &v) != nil {
			continue
		}
		note(lever.Users, lever.RefID(v.Owner))
		if res == lever.Postings {
			note(lever.Users, lever.RefID(v.User))
			note(lever.Users, lever.RefID(v.HiringManager))
			continue
		}
		note(lever.Stages, lever.RefID(v.Stage))
		for _, id := range rec.PostingIDs {
			note(lever.Postings, id)
		}
		reason := v.ArchiveReason
		if v.Archived != nil {
			reason = v.Archived.Reason
		}
		note(lever.ArchiveReasons, lever.RefID(reason))
		for _, t := range v.Tags {
			note(lever.Tags, t)
		}
		for _, s := range v.Sources {
			note(lever.Sources, s)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.named == nil {
		r.named = map[lever.Resource]map[string]bool{}
	}
	for _, e := range named {
		if r.named[e.list] == nil {
			r.named[e.list] = map[string]bool{}
		}
		r.named[e.list][e.key] = true
	}
}

// namedMissing returns the held lists that lack an entry the run's changed
// records name.
func (r *run) namedMissing(held []*stream) ([]*stream, error) {
	var read []*stream
	for _, s := range held {
		r.mu.Lock()
		keys := make([]string, 0, len(r.named[s.resource]))
		for k := range r.named[s.resource] {
			keys = append(keys, k)
		}
		r.mu.Unlock()
		if len(keys) == 0 {
			continue
		}
		missing, err := r.e.sink.Missing(s.resource, keys)
		if err != nil {
			return nil, fmt.Errorf("sync %s: look up what changed records name: %w", s.name, err)
		}
		if missing {
			read = append(read, s)
		}
	}
	return read, nil
}
