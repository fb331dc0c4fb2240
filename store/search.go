package store

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// maxTerm bounds an indexed term; longer names and addresses are indexed
// by their start.
const maxTerm = 100

// searchTerms are what a candidate is found by: each word of the name and
// each email address, in lower case, sorted and without repeats.
func searchTerms(name string, emails []string) []string {
	var terms []string
	add := func(t string) {
		t = strings.ToLower(strings.TrimSpace(t))
		if len(t) > maxTerm {
			t = t[:maxTerm]
		}
		if t != "" && !strings.ContainsRune(t, sep) {
			terms = append(terms, t)
		}
	}
	for _, w := range strings.FieldsFunc(name, isWordBreak) {
		add(w)
	}
	for _, e := range emails {
		add(e)
	}
	return slices.Compact(slices.Sorted(slices.Values(terms)))
}

// queryWords are the words a search asks for, as searchTerms writes them.
func queryWords(query string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(query), isWordBreak) {
		if len(w) > maxTerm {
			w = w[:maxTerm]
		}
		words = append(words, w)
	}
	return words
}

func isWordBreak(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '-' }

// indexTerms rewrites an opportunity's terms and their index entries.
func (w *txWriter) indexTerms(id string, terms []string) error {
	known := w.tx.Bucket(bucketOpportunityTerms)
	idx := w.tx.Bucket(bucketTermIndex)
	old := splitTerms(known.Get([]byte(id)))
	for _, t := range old {
		if !slices.Contains(terms, t) {
			if err := idx.Delete(termKey(t, id)); err != nil {
				return err
			}
		}
	}
	for _, t := range terms {
		if !slices.Contains(old, t) {
			if err := idx.Put(termKey(t, id), nil); err != nil {
				return err
			}
		}
	}
	return known.Put([]byte(id), bytes.Join(termBytes(terms), []byte{sep}))
}

// unindexTerms drops an opportunity's terms and index entries.
func (w *txWriter) unindexTerms(id string) error {
	known := w.tx.Bucket(bucketOpportunityTerms)
	idx := w.tx.Bucket(bucketTermIndex)
	for _, t := range splitTerms(known.Get([]byte(id))) {
		if err := idx.Delete(termKey(t, id)); err != nil {
			return err
		}
	}
	return known.Delete([]byte(id))
}

func splitTerms(v []byte) []string {
	if len(v) == 0 {
		return nil
	}
	var out []string
	for _, t := range bytes.Split(v, []byte{sep}) {
		out = append(out, string(t))
	}
	return out
}

func termBytes(terms []string) [][]byte {
	out := make([][]byte, len(terms))
	for i, t := range terms {
		out[i] = []byte(t)
	}
	return out
}

// termKey is the search index's key: a term, NUL, the opportunity's id.
func termKey(term, id string) []byte {
	k := make([]byte, 0, len(term)+1+len(id))
	return append(append(append(k, term...), sep), id...)
}

// createTermBuckets adds the search index to a file that lacks it.
func createTermBuckets(tx *bolt.Tx) error {
	for _, n := range [][]byte{bucketTermIndex, bucketOpportunityTerms} {
		if _, err := tx.CreateBucketIfNotExists(n); err != nil {
			return fmt.Errorf("create bucket %s: %w", n, err)
		}
	}
	return nil
}

// SearchOpportunities finds the stored opportunities whose name words or
// email addresses start with every word of query ("ali smi",
// "alice@exa"), across all jobs, sorted by name. It returns at most limit
// of them and whether there were more. It reads the index entries of one
// word, never every candidate.
func (s *Store) SearchOpportunities(query string, limit int) (found []CandidateSummary, more bool, err error) {
	words := queryWords(query)
	if len(words) == 0 || limit <= 0 {
		return nil, false, nil
	}
	// The longest word has the fewest entries to read.
	seek := slices.MaxFunc(words, func(a, b string) int { return len(a) - len(b) })
	err = s.view(func(tx *bolt.Tx) error {
		idx, known, opps := tx.Bucket(bucketTermIndex), tx.Bucket(bucketOpportunityTerms), tx.Bucket([]byte(lever.Opportunities))
		if idx == nil || known == nil || opps == nil {
			return nil
		}
		var ids []string
		seen := map[string]bool{}
		c := idx.Cursor()
		prefix := []byte(seek)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			i := bytes.IndexByte(k, sep)
			if i < 0 {
				continue
			}
			id := string(k[i+1:])
			if seen[id] {
				continue
			}
			seen[id] = true
			if !matchesAll(splitTerms(known.Get([]byte(id))), words) {
				continue
			}
			if len(ids) == limit {
				more = true
				break
			}
			ids = append(ids, id)
		}
		var failed error
		look := s.newLookups(tx, &failed)
		var buf []byte
		for _, id := range ids {
			v := opps.Get([]byte(id))
			if v == nil {
				continue
			}
			var err error
			if buf, err = s.codec.decode(v, buf[:0]); err != nil {
				return s.unreadable(lever.Opportunities, []byte(id), err)
			}
			cs := summarizeOpportunity(id, buf, look)
			_, postings, err := opportunityIndex(v)
			if err != nil {
				return s.unreadable(lever.Opportunities, []byte(id), err)
			}
			for _, p := range postings {
				cs.Jobs = append(cs.Jobs, look.posting(p))
			}
			found = append(found, cs)
		}
		return failed
	})
	sortByName(found)
	return found, more, err
}

// matchesAll reports whether every word starts one of the terms.
func matchesAll(terms, words []string) bool {
	for _, w := range words {
		if !slices.ContainsFunc(terms, func(t string) bool { return strings.HasPrefix(t, w) }) {
			return false
		}
	}
	return true
}

func sortByName(cs []CandidateSummary) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := strings.ToLower(cs[i].Name), strings.ToLower(cs[j].Name)
		if a != b {
			return a < b
		}
		return cs[i].ID < cs[j].ID
	})
}
