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
	joined := joinTerms(terms)
	was := known.Get([]byte(id))
	if was != nil && bytes.Equal(was, joined) {
		return nil
	}
	idx := w.tx.Bucket(bucketTermIndex)
	old := splitTerms(was)
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
	return known.Put([]byte(id), joined)
}

// joinTerms is terms as stored: joined by NUL, never nil.
func joinTerms(terms []string) []byte {
	out := []byte{}
	for i, t := range terms {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, t...)
	}
	return out
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

// termBuildEntries bounds the entries buildTermIndex holds in memory at
// once (about 60 bytes each), and termBuildPuts the entries one of its
// transactions writes: bbolt splits a node only when it commits, so one
// that takes many entries grows (and copies) a long slice.
var (
	termBuildEntries = 100_000
	termBuildPuts    = 10_000
)

// buildTermIndex fills the search index of a file that deferred it (a new
// file, until its first sync finishes). Kept record by record, the index
// costs a first sync several random page writes per candidate, more than
// storing the candidate does: its terms are random words. Built afterwards
// in key order, each page is written once and full. It runs in steps of
// bounded memory, a transaction each: the terms kept in the opportunities'
// index fields are copied to bucketOpportunityTerms in id order; then the
// entries of a range of key prefixes are gathered from there, sorted and
// appended to bucketTermIndex. A build that stopped half-way starts over;
// the mark goes in its last transaction.
func (s *Store) buildTermIndex() error {
	deferred := false
	if err := s.view(func(tx *bolt.Tx) error {
		deferred = termsDeferred(tx)
		return nil
	}); err != nil || !deferred {
		return err
	}
	if err := s.update(func(tx *bolt.Tx) error {
		for _, n := range [][]byte{bucketTermIndex, bucketOpportunityTerms} {
			if err := dropBucket(tx, n); err != nil {
				return err
			}
		}
		return createTermBuckets(tx)
	}); err != nil {
		return err
	}
	// Entries and their bytes per first two bytes of their keys.
	perPrefix, bytesPerPrefix := make([]int, 1<<16), make([]int, 1<<16)
	if err := s.copyTerms(func(prefix int, term, id []byte) {
		perPrefix[prefix]++
		bytesPerPrefix[prefix] += len(term) + 1 + len(id)
	}); err != nil {
		return err
	}
	// Consecutive prefixes in ranges of at most termBuildEntries (one
	// prefix may hold more).
	type span struct{ to, entries, bytes int }
	var spans []span
	cur := span{}
	for p, c := range perPrefix {
		if cur.entries > 0 && cur.entries+c > termBuildEntries {
			spans = append(spans, cur)
			cur = span{}
		}
		cur.to, cur.entries, cur.bytes = p+1, cur.entries+c, cur.bytes+bytesPerPrefix[p]
	}
	spans = append(spans, cur)
	from := 0
	for _, sp := range spans {
		arena := make([]byte, 0, sp.bytes)
		keys := make([][2]int, 0, sp.entries) // start and end in arena
		err := s.view(func(tx *bolt.Tx) error {
			return eachTermKey(tx.Bucket(bucketOpportunityTerms), func(prefix int, term, id []byte) {
				if prefix < from || prefix >= sp.to {
					return
				}
				start := len(arena)
				arena = append(append(append(arena, term...), sep), id...)
				keys = append(keys, [2]int{start, len(arena)})
			})
		})
		if err != nil {
			return err
		}
		slices.SortFunc(keys, func(a, b [2]int) int { return bytes.Compare(arena[a[0]:a[1]], arena[b[0]:b[1]]) })
		for len(keys) > 0 {
			n := min(len(keys), termBuildPuts)
			err = s.update(func(tx *bolt.Tx) error {
				idx := tx.Bucket(bucketTermIndex)
				idx.FillPercent = 1
				for _, k := range keys[:n] {
					if err := idx.Put(arena[k[0]:k[1]], nil); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			keys = keys[n:]
		}
		from = sp.to
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyTermsDeferred) })
}

// copyTerms writes every opportunity's terms, read from its index fields,
// to bucketOpportunityTerms, and calls each for every index entry they
// call for.
func (s *Store) copyTerms(each func(prefix int, term, id []byte)) error {
	var after []byte
	for {
		var ids, terms [][]byte
		err := s.view(func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte(lever.Opportunities)).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(ids) < termBuildEntries; k, v = c.Next() {
				t, err := termsOf(v)
				if err != nil {
					return s.unreadable(lever.Opportunities, k, err)
				}
				ids, terms = append(ids, bytes.Clone(k)), append(terms, bytes.Clone(t))
			}
			return nil
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		for from := 0; from < len(ids); from += termBuildPuts {
			err = s.update(func(tx *bolt.Tx) error {
				known := tx.Bucket(bucketOpportunityTerms)
				known.FillPercent = 1
				for i := from; i < min(from+termBuildPuts, len(ids)); i++ {
					if err := known.Put(ids[i], terms[i]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for i, id := range ids {
			eachTerm(terms[i], func(prefix int, t []byte) { each(prefix, t, id) })
		}
		after = ids[len(ids)-1]
	}
}

// termsOf returns a stored opportunity's terms from its index fields,
// which every value a file that defers its index holds has.
func termsOf(v []byte) ([]byte, error) {
	_, _, terms, err := opportunityFieldsOf(v)
	if err == nil && terms == nil {
		err = fmt.Errorf("%w: no search terms in its index fields", errBadValue)
	}
	return terms, err
}

// eachTermKey calls fn for each search index entry that the stored terms
// in known call for: its term, its opportunity id and the first two bytes
// of its key.
func eachTermKey(known *bolt.Bucket, fn func(prefix int, term, id []byte)) error {
	return known.ForEach(func(id, v []byte) error {
		eachTerm(v, func(prefix int, t []byte) { fn(prefix, t, id) })
		return nil
	})
}

// eachTerm calls fn for each term of stored terms, with the first two
// bytes of its index key.
func eachTerm(terms []byte, fn func(prefix int, term []byte)) {
	for t := range bytes.SplitSeq(terms, []byte{sep}) {
		if len(t) == 0 {
			continue
		}
		second := byte(sep)
		if len(t) > 1 {
			second = t[1]
		}
		fn(int(t[0])<<8|int(second), t)
	}
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
// word, never every candidate; only while a first sync has the index
// deferred does it read every candidate's terms instead.
func (s *Store) SearchOpportunities(query string, limit int) (found []CandidateSummary, more bool, err error) {
	words := queryWords(query)
	if len(words) == 0 || limit <= 0 {
		return nil, false, nil
	}
	err = s.view(func(tx *bolt.Tx) error {
		idx, known, opps := tx.Bucket(bucketTermIndex), tx.Bucket(bucketOpportunityTerms), tx.Bucket([]byte(lever.Opportunities))
		if idx == nil || known == nil || opps == nil {
			return nil
		}
		var ids []string
		if termsDeferred(tx) {
			if ids, more, err = s.scanTerms(opps, words, limit); err != nil {
				return err
			}
		} else {
			ids, more = seekTerms(idx, known, words, limit)
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

// seekTerms reads the index entries of the longest word, which has the
// fewest, and returns the first limit opportunities that match every word.
func seekTerms(idx, known *bolt.Bucket, words []string, limit int) (ids []string, more bool) {
	seen := map[string]bool{}
	c := idx.Cursor()
	prefix := []byte(slices.MaxFunc(words, func(a, b string) int { return len(a) - len(b) }))
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
		if !matchesAll(known.Get([]byte(id)), words) {
			continue
		}
		if len(ids) == limit {
			return ids, true
		}
		ids = append(ids, id)
	}
	return ids, false
}

// scanTerms reads every opportunity's terms from its index fields and
// returns the first limit, in id order, that match every word.
func (s *Store) scanTerms(opps *bolt.Bucket, words []string, limit int) (ids []string, more bool, err error) {
	c := opps.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		terms, err := termsOf(v)
		if err != nil {
			return nil, false, s.unreadable(lever.Opportunities, k, err)
		}
		if !matchesAll(terms, words) {
			continue
		}
		if len(ids) == limit {
			return ids, true, nil
		}
		ids = append(ids, string(k))
	}
	return ids, false, nil
}

// matchesAll reports whether every word starts one of the terms (a stored
// terms value).
func matchesAll(terms []byte, words []string) bool {
	for _, w := range words {
		found := false
		for t := range bytes.SplitSeq(terms, []byte{sep}) {
			if bytes.HasPrefix(t, []byte(w)) {
				found = true
				break
			}
		}
		if !found {
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
