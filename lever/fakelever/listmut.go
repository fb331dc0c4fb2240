package fakelever

import (
	"fmt"
	"slices"
	"sync"
)

// removals are the reference-list records taken out of Lever: resource ->
// id (text for sources and tags). Lever keeps no deleted list of these; a
// removed record is simply no longer listed.
type removals struct {
	mu   sync.Mutex
	gone map[string]map[string]bool
}

func (r *removals) has(resource, key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone[resource][key]
}

// listKeys are the keys of a reference list in the order it is served.
func (s *Server) listKeys(resource string) []string {
	d := s.data
	var keys []string
	switch resource {
	case "users":
		for i := range d.nUser {
			keys = append(keys, d.userID(i))
		}
	case "requisitions":
		for i := range d.nReq {
			keys = append(keys, d.requisitionID(i))
		}
	case "stages":
		for _, st := range d.stages {
			keys = append(keys, st.ID)
		}
	case "archive_reasons":
		for _, r := range d.reasons {
			keys = append(keys, r.ID)
		}
	case "sources":
		for _, c := range d.sources() {
			keys = append(keys, c.Text)
		}
	case "tags":
		for _, c := range d.tags() {
			keys = append(keys, c.Text)
		}
	default:
		panic(fmt.Sprintf("fakelever: RemoveFromList(%q): not a reference list", resource))
	}
	return keys
}

// RemoveFromList takes the last n records still listed out of a reference
// list (users, requisitions, stages, archive_reasons, sources, tags), as an
// administrator removing them in Lever, and returns their keys (ids; text
// for sources and tags).
func (s *Server) RemoveFromList(resource string, n int) []string {
	keys := s.listKeys(resource)
	s.removed.mu.Lock()
	defer s.removed.mu.Unlock()
	if s.removed.gone == nil {
		s.removed.gone = map[string]map[string]bool{}
	}
	g := s.removed.gone[resource]
	if g == nil {
		g = map[string]bool{}
		s.removed.gone[resource] = g
	}
	var out []string
	for _, k := range slices.Backward(keys) {
		if len(out) == n {
			break
		}
		if !g[k] {
			g[k] = true
			out = append(out, k)
		}
	}
	return out
}
