package fakelever

import (
	"encoding/json"
	"fmt"
)

// UpdateOpportunities advances n live opportunities one stage, with
// updatedAt = Now, and returns their ids.
func (s *Server) UpdateOpportunities(n int) []string {
	return s.mutate(n, s.data.nOpp, s.oppDel, s.data.oppID, func(i int, now int64) {
		m := s.oppMut[i]
		s.oppMut[i] = mutation{updatedAt: now, version: m.version + 1}
	})
}

// AnonymizeOpportunities answers a data-protection request for n live
// opportunities, as Lever does: they stay, with isAnonymized true, their
// personal data (name, headline, emails, phones, links, location, what the
// candidate wrote in the application) removed, and updatedAt = Now.
func (s *Server) AnonymizeOpportunities(n int) []string {
	return s.mutate(n, s.data.nOpp, s.oppDel, s.data.oppID, func(i int, now int64) {
		m := s.oppMut[i]
		s.oppMut[i] = mutation{updatedAt: now, version: m.version, anonymized: true}
	})
}

// DeleteOpportunities removes n live opportunities from every list; they
// appear in /opportunities/deleted with deletedAt = Now.
func (s *Server) DeleteOpportunities(n int) []string {
	return s.mutate(n, s.data.nOpp, s.oppDel, s.data.oppID, func(i int, now int64) { s.oppDel[i] = now })
}

// UpdatePostings retitles n live postings with updatedAt = Now.
func (s *Server) UpdatePostings(n int) []string {
	return s.mutate(n, s.data.nPost, s.postDel, s.data.postingID, func(j int, now int64) {
		m := s.postMut[j]
		s.postMut[j] = mutation{updatedAt: now, version: m.version + 1}
	})
}

// DeletePostings removes n live postings; they appear in /postings/deleted.
func (s *Server) DeletePostings(n int) []string {
	return s.mutate(n, s.data.nPost, s.postDel, s.data.postingID, func(j int, now int64) { s.postDel[j] = now })
}

// mutate picks n distinct live records deterministically (seed and how many
// mutations came before) and applies f to each.
func (s *Server) mutate(n, total int, deleted map[int]int64, id func(int) string, f func(i int, now int64)) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now().UnixMilli()
	s.mutCount++
	r := newRNG(s.cfg.Seed, kindMutation, s.mutCount)
	n = min(n, total-len(deleted))
	chosen := map[int]bool{}
	var ids []string
	take := func(i int) {
		if _, gone := deleted[i]; gone || chosen[i] {
			return
		}
		chosen[i] = true
		ids = append(ids, id(i))
	}
	for tries := 0; len(ids) < n && tries < 4*n+16; tries++ {
		take(r.intn(total))
	}
	for i := 0; len(ids) < n && i < total; i++ {
		take(i)
	}
	for i := range chosen {
		f(i, now)
	}
	return ids
}

// Expected is what a complete, correct sync stores for resource: id (text
// for sources and tags) -> the raw JSON the server serves for it.
// Opportunities are as served with expand=applications; every state,
// confidential and deactivated records are included, deleted ones are not.
func (s *Server) Expected(resource string) map[string]json.RawMessage {
	d := s.data
	out := map[string]json.RawMessage{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch resource {
	case "opportunities":
		for i := range d.nOpp {
			if _, gone := s.oppDel[i]; !gone {
				out[d.oppID(i)] = marshal(d.opportunity(i, s.oppCoreLocked(i), expansion{applications: true}))
			}
		}
	case "postings":
		for j := range d.nPost {
			if _, gone := s.postDel[j]; !gone {
				c, v := s.postingCoreLocked(j)
				out[d.postingID(j)] = marshal(d.posting(j, c, v, expansion{}))
			}
		}
	case "users":
		for i := range d.nUser {
			if !s.removed.has(resource, d.userID(i)) {
				out[d.userID(i)] = marshal(d.user(i))
			}
		}
	case "requisitions":
		for i := range d.nReq {
			if !s.removed.has(resource, d.requisitionID(i)) {
				out[d.requisitionID(i)] = marshal(d.requisition(i))
			}
		}
	case "stages":
		for _, st := range d.stages {
			if !s.removed.has(resource, st.ID) {
				out[st.ID] = marshal(st)
			}
		}
	case "archive_reasons":
		for _, r := range d.reasons {
			if !s.removed.has(resource, r.ID) {
				out[r.ID] = marshal(r)
			}
		}
	case "sources":
		for _, c := range d.sources() {
			if !s.removed.has(resource, c.Text) {
				out[c.Text] = marshal(c)
			}
		}
	case "tags":
		for _, c := range d.tags() {
			if !s.removed.has(resource, c.Text) {
				out[c.Text] = marshal(c)
			}
		}
	default:
		panic(fmt.Sprintf("fakelever: Expected(%q): unknown resource", resource))
	}
	return out
}

// Deleted is id -> deletedAt (ms) of the deleted "opportunities" or "postings".
func (s *Server) Deleted(resource string) map[string]int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]int64{}
	switch resource {
	case "opportunities":
		for i, at := range s.oppDel {
			out[s.data.oppID(i)] = at
		}
	case "postings":
		for j, at := range s.postDel {
			out[s.data.postingID(j)] = at
		}
	}
	return out
}
