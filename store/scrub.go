package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// bbolt never wipes a page it frees, so a commit that drops a record, or
// replaces it with a version that no longer holds some of its text, leaves
// the old bytes readable in the file's free pages. Commit marks the file
// when that drops personal data (keyScrub, in the same transaction), and
// Scrub compacts a marked file, which leaves only live data. Replacing a
// record with one that still holds all of its text (a stage change, a page
// read again) marks nothing: its old copy says nothing the file does not.

// keyScrub marks a file whose free pages may hold personal data that is no
// longer in the copy; a compaction clears it.
var keyScrub = []byte("scrub")

// personal lists the resources whose records are about people: candidates,
// the notes, interviews and offers about them, and Lever's users.
var personal = []lever.Resource{lever.Opportunities, lever.Users, lever.Notes, lever.Interviews, lever.Offers}

// structural are the fields that refer to other records or place a record
// in the pipeline (ids, stages, owners, tags, archive reasons, links into
// Lever's UI): what they hold is not about the person, and it changes in
// the ordinary course of hiring. Every other string, in fields Lever has
// now or adds later, counts as personal.
var structural = map[string]bool{
	"id": true, "stage": true, "stageChanges": true, "owner": true, "followers": true,
	"sourcedBy": true, "tags": true, "sources": true, "archived": true, "archiveReason": true,
	"urls": true, "origin": true, "confidentiality": true, "posting": true, "postingOwner": true,
	"postingHiringManager": true, "user": true, "type": true, "opportunityId": true,
	"candidateId": true, "requisitionForHire": true, "accessRole": true, "managerId": true,
	"status": true,
}

// personalText calls found with every string of the JSON value raw outside
// structural fields, unescaped (the bytes are valid during the call only).
// It runs inside the write transaction for every record a sync replaces,
// so it scans the bytes instead of building the value.
func personalText(raw []byte, found func(s []byte)) error {
	sc := textScanner{b: raw, found: found}
	if err := sc.value(false, 0); err != nil {
		return err
	}
	sc.space()
	if sc.i != len(sc.b) {
		return errors.New("personal text: data after the JSON value")
	}
	return nil
}

var errJSON = errors.New("personal text: not valid JSON")

// textScanner reads one JSON value; it checks the syntax only as far as it
// needs to find the strings.
type textScanner struct {
	b     []byte
	i     int
	found func([]byte)
}

func (sc *textScanner) space() {
	for sc.i < len(sc.b) && (sc.b[sc.i] == ' ' || sc.b[sc.i] == '\t' || sc.b[sc.i] == '\n' || sc.b[sc.i] == '\r') {
		sc.i++
	}
}

// value reads a value, and unless skip hands its strings to found.
func (sc *textScanner) value(skip bool, depth int) error {
	if depth > lever.MaxNesting {
		return errJSON
	}
	sc.space()
	if sc.i >= len(sc.b) {
		return errJSON
	}
	switch sc.b[sc.i] {
	case '"':
		str, err := sc.str()
		if err != nil {
			return err
		}
		if !skip && len(str) > 0 {
			sc.found(str)
		}
		return nil
	case '{':
		sc.i++
		for first := true; ; first = false {
			sc.space()
			if sc.i < len(sc.b) && sc.b[sc.i] == '}' && first {
				sc.i++
				return nil
			}
			if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
				return errJSON
			}
			key, err := sc.str()
			if err != nil {
				return err
			}
			sc.space()
			if sc.i >= len(sc.b) || sc.b[sc.i] != ':' {
				return errJSON
			}
			sc.i++
			if err := sc.value(skip || structural[string(key)], depth+1); err != nil {
				return err
			}
			if done, err := sc.next('}'); done || err != nil {
				return err
			}
		}
	case '[':
		sc.i++
		sc.space()
		if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
			sc.i++
			return nil
		}
		for {
			if err := sc.value(skip, depth+1); err != nil {
				return err
			}
			if done, err := sc.next(']'); done || err != nil {
				return err
			}
		}
	}
	// A number, true, false or null.
	start := sc.i
	for sc.i < len(sc.b) && strings.IndexByte(",}] \t\r\n", sc.b[sc.i]) < 0 {
		sc.i++
	}
	if lit := sc.b[start:sc.i]; !json.Valid(lit) || lit[0] == '"' || lit[0] == '{' || lit[0] == '[' {
		return errJSON
	}
	return nil
}

// next reads the comma before the next element, or the closing bracket.
func (sc *textScanner) next(closing byte) (done bool, err error) {
	sc.space()
	if sc.i >= len(sc.b) {
		return false, errJSON
	}
	switch sc.b[sc.i] {
	case ',':
		sc.i++
		return false, nil
	case closing:
		sc.i++
		return true, nil
	}
	return false, errJSON
}

// str reads a string: its bytes, unescaped.
func (sc *textScanner) str() ([]byte, error) {
	start := sc.i
	sc.i++
	escaped := false
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case '\\':
			escaped = true
			sc.i += 2
			continue
		case '"':
			sc.i++
			quoted := sc.b[start:sc.i]
			if !escaped {
				return quoted[1 : len(quoted)-1], nil
			}
			var out string
			if err := json.Unmarshal(quoted, &out); err != nil {
				return nil, errJSON
			}
			return []byte(out), nil
		}
		sc.i++
	}
	return nil, errJSON
}

// textSet is the personal text of the records a commit replaces, and what
// of it their new versions still hold.
type textSet struct {
	index map[string]int
	held  []bool
	left  int // not held
}

func newTextSet() *textSet { return &textSet{index: map[string]int{}} }

// add is personalText's found for the old versions.
func (t *textSet) add(s []byte) {
	if _, ok := t.index[string(s)]; !ok {
		t.index[string(s)] = len(t.held)
		t.held = append(t.held, false)
		t.left++
	}
}

// keep is personalText's found for the new versions.
func (t *textSet) keep(s []byte) {
	if i, ok := t.index[string(s)]; ok && !t.held[i] {
		t.held[i] = true
		t.left--
	}
}

// dropped reports text of the old versions that no new version holds.
func (t *textSet) dropped() bool { return t.left > 0 }

// dropsText reports whether the old record holds personal text that the
// new one does not.
func dropsText(old, new []byte) (bool, error) {
	t := newTextSet()
	if err := personalText(old, t.add); err != nil {
		return false, fmt.Errorf("%w: %w", errBadValue, err)
	}
	if err := personalText(new, t.keep); err != nil {
		return false, err
	}
	return t.dropped(), nil
}

// Scrub compacts the file if a commit since the last compaction removed
// personal data from the copy (a record deleted, a candidate anonymized or
// whose name, emails, phones or other personal text changed), so that data
// leaves the disk; it reports whether it did. A file with nothing to scrub
// costs one read. The compaction copies the whole file (see BenchmarkScrub
// for its cost) and keeps it locked throughout.
func (s *Store) Scrub() (bool, error) {
	var marked bool
	if err := s.view(func(tx *bolt.Tx) error {
		marked = tx.Bucket(bucketMeta).Get(keyScrub) != nil
		return nil
	}); err != nil || !marked {
		return false, err
	}
	if err := s.compact(); err != nil {
		return false, fmt.Errorf("remove deleted and changed personal data from the file: %w", err)
	}
	return true, nil
}

// tracksText is whether the commit must still look for personal text its
// writes drop: not for other resources, nor once the file is marked.
func (w *txWriter) tracksText(r lever.Resource) bool {
	return !w.removed && slices.Contains(personal, r)
}

// replacedText is the personal text of the detail records of parent, before
// a page replaces them.
func (w *txWriter) replacedText(r lever.Resource, parent string) (*textSet, error) {
	text := newTextSet()
	prefix := append([]byte(parent), sep)
	c := w.tx.Bucket([]byte(r)).Cursor()
	var buf []byte
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var err error
		if buf, err = w.decode(v, buf[:0]); err != nil {
			return nil, fmt.Errorf("the stored %s record %s: %w", r, k, err)
		}
		if err := personalText(buf, text.add); err != nil {
			return nil, fmt.Errorf("the stored %s record %s: %w: %w", r, k, errBadValue, err)
		}
	}
	return text, nil
}

// markScrub records in the transaction that the file needs scrubbing.
func (w *txWriter) markScrub() error {
	if !w.removed || w.wasMarked {
		return nil
	}
	return w.tx.Bucket(bucketMeta).Put(keyScrub, []byte{1})
}
