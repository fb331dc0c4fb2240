package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// Export calls fn for every stored record of r in key order (id, or text for
// sources and tags), with its raw JSON as Lever sent it. With includeDeleted,
// tombstones are merged in, in the same key order, as
// {"id":..,"deletedAt":..,"deleted":true}.
//
// fn runs inside one read transaction: raw is valid only until fn returns
// (copy it to keep it), and fn must not write to the store. An error from
// fn stops the export and is returned as is.
func (s *Store) Export(r lever.Resource, includeDeleted bool, fn func(id string, raw []byte) error) error {
	if !slices.Contains(lever.AllResources, r) {
		return fmt.Errorf("export: unknown resource %q", r)
	}
	return s.view(func(tx *bolt.Tx) error {
		live := cursorOf(tx, []byte(r))
		var dead *bolt.Cursor
		if includeDeleted {
			dead = cursorOf(tx, tombstoneBucket(r))
		}
		lk, lv := first(live)
		dk, dv := first(dead)
		var buf []byte
		for lk != nil || dk != nil {
			if dk == nil || (lk != nil && bytes.Compare(lk, dk) <= 0) {
				var err error
				if buf, err = s.codec.decode(lv, buf[:0]); err != nil {
					return s.unreadable(r, lk, err)
				}
				if err := fn(exportID(r, lk), buf); err != nil {
					return err
				}
				lk, lv = live.Next()
				continue
			}
			raw, err := tombstoneJSON(dv)
			if err != nil {
				return err
			}
			if err := fn(string(dk), raw); err != nil {
				return err
			}
			dk, dv = dead.Next()
		}
		return nil
	})
}

func cursorOf(tx *bolt.Tx, name []byte) *bolt.Cursor {
	if b := tx.Bucket(name); b != nil {
		return b.Cursor()
	}
	return nil
}

func first(c *bolt.Cursor) (k, v []byte) {
	if c == nil {
		return nil, nil
	}
	return c.First()
}

// unreadable is the error of a stored record that cannot be decoded.
func (s *Store) unreadable(r lever.Resource, key []byte, err error) error {
	return corruptError(s.path, fmt.Sprintf("the %s record %q cannot be read", r, exportID(r, key)), err)
}

// exportID strips the parent of a detail record's key.
func exportID(r lever.Resource, k []byte) string {
	if isDetail(r) {
		if i := bytes.IndexByte(k, sep); i >= 0 {
			return string(k[i+1:])
		}
	}
	return string(k)
}

func tombstoneJSON(v []byte) ([]byte, error) {
	var d lever.Deletion
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("export: read a tombstone: %w", err)
	}
	return json.Marshal(struct {
		ID        string `json:"id"`
		DeletedAt int64  `json:"deletedAt"`
		Deleted   bool   `json:"deleted"`
	}{d.ID, d.DeletedAt, true})
}

// Check runs bbolt's consistency check over the whole file, then checks
// that the record counts and the posting index agree with the records. It
// returns the first problem found, wrapping ErrCorrupt.
//
// bbolt's check reads the freelist, which a commit beside it changes, so in
// a read-write store it runs in a write transaction that is never
// committed. It also reads pages on a goroutine of its own, where a damaged
// page number faults beyond recovery: every page is read here first.
func (s *Store) Check() error {
	if s.readOnly {
		return s.view(s.check)
	}
	err := s.update(func(tx *bolt.Tx) error {
		if err := s.check(tx); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// errRollback ends a write transaction that must not be committed.
var errRollback = errors.New("rolled back")

func (s *Store) check(tx *bolt.Tx) error {
	if err := protect(func() error { return readEveryPage(tx) }); err != nil {
		return corruptError(s.path, "a page cannot be read", err)
	}
	var first error
	for err := range tx.Check() { // drain: the checker stops only when read to the end
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return corruptError(s.path, "bbolt's consistency check failed", first)
	}
	if err := s.checkRecords(tx); err != nil {
		return err
	}
	if err := checkCounts(tx); err != nil {
		return corruptError(s.path, "inconsistent records", err)
	}
	if err := checkIndex(tx); err != nil {
		return corruptError(s.path, "inconsistent posting index", err)
	}
	if err := checkTerms(tx); err != nil {
		return corruptError(s.path, "inconsistent search index", err)
	}
	return nil
}

// readEveryPage reads every branch and leaf page of every bucket, nested
// ones included.
func readEveryPage(tx *bolt.Tx) error {
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if nested := b.Bucket(k); nested != nil {
					return walk(nested)
				}
			}
			return nil
		})
	}
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) })
}

// checkRecords decodes every stored record: each names a dictionary the
// file holds, and each frame's checksum holds.
func (s *Store) checkRecords(tx *bolt.Tx) error {
	var buf []byte
	for _, r := range lever.AllResources {
		b := tx.Bucket([]byte(r))
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			var err error
			if buf, err = s.codec.decode(v, buf[:0]); err != nil {
				return s.unreadable(r, k, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func checkCounts(tx *bolt.Tx) error {
	counts := tx.Bucket(bucketCounts)
	if counts == nil {
		return nil
	}
	for _, r := range lever.AllResources {
		for _, name := range [][]byte{[]byte(r), tombstoneBucket(r)} {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			var want, have int
			if v := counts.Get(name); len(v) == 8 {
				want = int(binary.BigEndian.Uint64(v))
			}
			_ = b.ForEach(func(_, _ []byte) error { have++; return nil })
			if want != have {
				return fmt.Errorf("bucket %s holds %d records but its count says %d", name, have, want)
			}
		}
	}
	return nil
}

// checkIndex verifies that the posting index holds exactly the postings
// the stored opportunities name.
func checkIndex(tx *bolt.Tx) error {
	opps, idx := tx.Bucket([]byte(lever.Opportunities)), tx.Bucket(bucketPostingIndex)
	if opps == nil || idx == nil {
		return nil
	}
	err := opps.ForEach(func(k, v []byte) error {
		_, postings, err := opportunityIndex(v)
		if err != nil {
			return fmt.Errorf("opportunity %s: %w", k, err)
		}
		for _, p := range postings {
			if idx.Get(indexKey(p, string(k))) == nil {
				return fmt.Errorf("opportunity %s is missing from the index of posting %s", k, p)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return idx.ForEach(func(k, _ []byte) error {
		posting, opp, ok := parseIndexKey(k)
		if !ok {
			return fmt.Errorf("bad index key %q", k)
		}
		v := opps.Get([]byte(opp))
		if v == nil {
			return fmt.Errorf("stale index entry: opportunity %s under posting %s is not stored", opp, posting)
		}
		_, postings, err := opportunityIndex(v)
		if err != nil {
			return fmt.Errorf("opportunity %s: %w", opp, err)
		}
		if !slices.Contains(postings, posting) {
			return fmt.Errorf("stale index entry: opportunity %s under posting %s", opp, posting)
		}
		return nil
	})
}

// checkTerms verifies that every opportunity has a terms record and the
// other way round, and that the search index holds exactly the terms of
// those records, unless the file defers it.
func checkTerms(tx *bolt.Tx) error {
	opps, known, idx := tx.Bucket([]byte(lever.Opportunities)), tx.Bucket(bucketOpportunityTerms), tx.Bucket(bucketTermIndex)
	if opps == nil || known == nil || idx == nil {
		return nil
	}
	if termsDeferred(tx) {
		// Until the index is built, a search reads the index fields.
		return opps.ForEach(func(k, v []byte) error {
			if _, err := termsOf(v); err != nil {
				return fmt.Errorf("opportunity %s: %w", k, err)
			}
			return nil
		})
	}
	err := opps.ForEach(func(k, _ []byte) error {
		terms := known.Get(k)
		if terms == nil {
			return fmt.Errorf("opportunity %s has no search terms", k)
		}
		for _, t := range splitTerms(terms) {
			if idx.Get(termKey(t, string(k))) == nil {
				return fmt.Errorf("opportunity %s is missing from the search index under %q", k, t)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = known.ForEach(func(k, _ []byte) error {
		if opps.Get(k) == nil {
			return fmt.Errorf("opportunity %s has search terms but is not stored", k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return idx.ForEach(func(k, _ []byte) error {
		i := bytes.LastIndexByte(k, sep)
		if i < 0 {
			return fmt.Errorf("bad search index key %q", k)
		}
		if !slices.Contains(splitTerms(known.Get(k[i+1:])), string(k[:i])) {
			return fmt.Errorf("stale search index entry: opportunity %s under %q", k[i+1:], k[:i])
		}
		return nil
	})
}
