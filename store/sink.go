package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

var _ syncer.Sink = (*Store)(nil)

// LoadRun returns the run in progress (nil if none) and the last finished
// run (nil if none).
func (s *Store) LoadRun() (current, last *syncer.RunState, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		if current, err = decodeRun(meta.Get(keyRun)); err != nil {
			return err
		}
		last, err = decodeRun(meta.Get(keyLastRun))
		return err
	})
	return current, last, err
}

func decodeRun(b []byte) (*syncer.RunState, error) {
	if b == nil {
		return nil, nil
	}
	var r syncer.RunState
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read the saved run state: %w", err)
	}
	return &r, nil
}

// StartRun records rs as the run in progress and clears every checkpoint.
func (s *Store) StartRun(rs syncer.RunState) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketMeta), keyRun, rs); err != nil {
			return err
		}
		return clearCheckpoints(tx)
	})
}

// UpdateRun rewrites the run in progress.
func (s *Store) UpdateRun(rs syncer.RunState) error {
	return s.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketMeta), keyRun, rs)
	})
}

// FinishRun stores rs as the last run, clears the run in progress and the
// checkpoints.
func (s *Store) FinishRun(rs syncer.RunState) error {
	return s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := putJSON(meta, keyLastRun, rs); err != nil {
			return err
		}
		if err := meta.Delete(keyRun); err != nil {
			return err
		}
		return clearCheckpoints(tx)
	})
}

func clearCheckpoints(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketCheckpoints); err != nil {
		return err
	}
	_, err := tx.CreateBucket(bucketCheckpoints)
	return err
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// Checkpoint returns the saved position of stream.
func (s *Store) Checkpoint(stream string) (cp syncer.Checkpoint, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return nil
		}
		raw := b.Get([]byte(stream))
		if raw == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(raw, &cp); err != nil {
			return fmt.Errorf("read the checkpoint of %s: %w", stream, err)
		}
		return nil
	})
	return cp, ok, err
}

// Commit writes every batch (records, tombstones, checkpoint) in one bbolt
// transaction: all of it or, on any error, none of it.
func (s *Store) Commit(batches ...syncer.Batch) error {
	if len(batches) == 0 {
		return nil
	}
	return s.update(func(tx *bolt.Tx) error {
		for i := range batches {
			if err := applyBatch(tx, &batches[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func applyBatch(tx *bolt.Tx, b *syncer.Batch) error {
	if len(b.Upserts) > 0 || len(b.Deletes) > 0 || b.Replace != "" {
		if !slices.Contains(lever.AllResources, b.Resource) {
			return fmt.Errorf("commit: unknown resource %q", b.Resource)
		}
		w := writer{tx: tx, r: b.Resource}
		if b.Replace != "" {
			if !isDetail(b.Resource) {
				return fmt.Errorf("commit: Replace on %s, which is not a per-opportunity resource", b.Resource)
			}
			if err := w.deleteDetailsOf(b.Resource, b.Replace); err != nil {
				return err
			}
		}
		for i := range b.Upserts {
			if err := w.upsert(&b.Upserts[i]); err != nil {
				return err
			}
		}
		for _, d := range b.Deletes {
			if err := w.delete(d); err != nil {
				return err
			}
		}
	}
	if b.Checkpoint.Stream != "" {
		return putJSON(tx.Bucket(bucketCheckpoints), []byte(b.Checkpoint.Stream), b.Checkpoint)
	}
	return nil
}

func isDetail(r lever.Resource) bool { return slices.Contains(lever.DetailResources, r) }

// writer applies records of one resource inside a transaction.
type writer struct {
	tx *bolt.Tx
	r  lever.Resource
}

// recordKey is the bucket key of a record: its id, or for per-opportunity
// detail parent \x00 id, so that one parent's detail is one key range.
func recordKey(r lever.Resource, parent, id string) []byte {
	if !isDetail(r) {
		return []byte(id)
	}
	k := make([]byte, 0, len(parent)+1+len(id))
	return append(append(append(k, parent...), sep), id...)
}

func (w writer) upsert(rec *lever.Record) error {
	if rec.ID == "" {
		return fmt.Errorf("commit: a %s record without an id", w.r)
	}
	if isDetail(w.r) && rec.Parent == "" {
		return fmt.Errorf("commit: %s record %s has no parent opportunity", w.r, rec.ID)
	}
	if !json.Valid(rec.Raw) {
		return fmt.Errorf("commit: %s record %s is not valid JSON", w.r, rec.ID)
	}
	b := w.tx.Bucket([]byte(w.r))
	key := recordKey(w.r, rec.Parent, rec.ID)
	if b.Get(key) == nil {
		if err := addCount(w.tx, w.r, 1); err != nil {
			return err
		}
	}
	if err := b.Put(key, rec.Raw); err != nil {
		return fmt.Errorf("store %s %s: %w", w.r, rec.ID, err)
	}
	if err := w.dropTombstone(rec.ID); err != nil {
		return err
	}
	if w.r == lever.Opportunities {
		if err := w.indexOpportunity(rec.ID, rec.UpdatedAt, rec.PostingIDs); err != nil {
			return err
		}
		return w.indexTerms(rec.ID, searchTerms(rec.Name, rec.Emails))
	}
	return nil
}

func (w writer) dropTombstone(id string) error {
	tb := w.tx.Bucket(tombstoneBucket(w.r))
	if tb.Get([]byte(id)) == nil {
		return nil
	}
	if err := addDeletedCount(w.tx, w.r, -1); err != nil {
		return err
	}
	return tb.Delete([]byte(id))
}

// indexOpportunity rewrites the opportunity's key record and its posting
// index entries, dropping entries of postings it no longer has.
func (w writer) indexOpportunity(id string, updatedAt int64, postings []string) error {
	postings = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(postings))), func(p string) bool { return p == "" })
	keys := w.tx.Bucket(bucketOpportunityKeys)
	idx := w.tx.Bucket(bucketPostingIndex)
	_, old := decodeOpportunityKey(keys.Get([]byte(id)))
	for _, p := range old {
		if !slices.Contains(postings, p) {
			if err := idx.Delete(indexKey(p, id)); err != nil {
				return err
			}
		}
	}
	for _, p := range postings {
		if err := idx.Put(indexKey(p, id), nil); err != nil {
			return err
		}
	}
	return keys.Put([]byte(id), encodeOpportunityKey(updatedAt, postings))
}

func (w writer) unindexOpportunity(id string) error {
	keys := w.tx.Bucket(bucketOpportunityKeys)
	_, old := decodeOpportunityKey(keys.Get([]byte(id)))
	idx := w.tx.Bucket(bucketPostingIndex)
	for _, p := range old {
		if err := idx.Delete(indexKey(p, id)); err != nil {
			return err
		}
	}
	return keys.Delete([]byte(id))
}

// delete applies a tombstone: the record, its index entries and, for an
// opportunity, its detail records leave the file; only id and deletedAt stay.
func (w writer) delete(d lever.Deletion) error {
	if d.ID == "" {
		return fmt.Errorf("commit: a %s deletion without an id", w.r)
	}
	b := w.tx.Bucket([]byte(w.r))
	if isDetail(w.r) {
		// A detail deletion names the record, not its parent: find it.
		c := b.Cursor()
		suffix := append([]byte{sep}, d.ID...)
		var found [][]byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if bytes.HasSuffix(k, suffix) {
				found = append(found, bytes.Clone(k))
			}
		}
		for _, k := range found {
			if err := w.deleteKey(b, w.r, k); err != nil {
				return err
			}
		}
	} else if b.Get([]byte(d.ID)) != nil {
		if err := w.deleteKey(b, w.r, []byte(d.ID)); err != nil {
			return err
		}
	}
	if w.r == lever.Opportunities {
		if err := w.unindexOpportunity(d.ID); err != nil {
			return err
		}
		if err := w.unindexTerms(d.ID); err != nil {
			return err
		}
		for _, dr := range lever.DetailResources {
			if err := w.deleteDetailsOf(dr, d.ID); err != nil {
				return err
			}
		}
	}
	tb := w.tx.Bucket(tombstoneBucket(w.r))
	if tb.Get([]byte(d.ID)) == nil {
		if err := addDeletedCount(w.tx, w.r, 1); err != nil {
			return err
		}
	}
	return putJSON(tb, []byte(d.ID), d)
}

func (w writer) deleteKey(b *bolt.Bucket, r lever.Resource, k []byte) error {
	if err := b.Delete(k); err != nil {
		return err
	}
	return addCount(w.tx, r, -1)
}

// deleteDetailsOf removes every r record whose parent is opportunity id.
func (w writer) deleteDetailsOf(r lever.Resource, parent string) error {
	b := w.tx.Bucket([]byte(r))
	prefix := append([]byte(parent), sep)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
		if err := addCount(w.tx, r, -1); err != nil {
			return err
		}
	}
	return nil
}

func indexKey(posting, opportunity string) []byte {
	k := make([]byte, 0, len(posting)+1+len(opportunity))
	return append(append(append(k, posting...), sep), opportunity...)
}

func encodeOpportunityKey(updatedAt int64, postings []string) []byte {
	v := binary.BigEndian.AppendUint64(nil, uint64(updatedAt))
	for i, p := range postings {
		if i > 0 {
			v = append(v, sep)
		}
		v = append(v, p...)
	}
	return v
}

func decodeOpportunityKey(v []byte) (updatedAt int64, postings []string) {
	if len(v) < 8 {
		return 0, nil
	}
	updatedAt = int64(binary.BigEndian.Uint64(v))
	if len(v) > 8 {
		for _, p := range bytes.Split(v[8:], []byte{sep}) {
			postings = append(postings, string(p))
		}
	}
	return updatedAt, postings
}

// Counts: 8-byte big-endian per resource name; tombstones under "deleted_".
func addCount(tx *bolt.Tx, r lever.Resource, delta int64) error {
	return addCounter(tx, []byte(r), delta)
}

func addDeletedCount(tx *bolt.Tx, r lever.Resource, delta int64) error {
	return addCounter(tx, tombstoneBucket(r), delta)
}

func addCounter(tx *bolt.Tx, key []byte, delta int64) error {
	b := tx.Bucket(bucketCounts)
	var n int64
	if v := b.Get(key); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(n+delta)))
}

// OpportunityIDs returns up to limit opportunity ids after after, in id
// order, whose updatedAt is at least updatedSince (0: all). It reads the
// small key records, never the raw JSON.
func (s *Store) OpportunityIDs(after string, updatedSince int64, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	var ids []string
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOpportunityKeys)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(ids) < limit; k, v = c.Next() {
			if updatedSince > 0 {
				if u, _ := decodeOpportunityKey(v); u < updatedSince {
					continue
				}
			}
			ids = append(ids, string(k))
		}
		return nil
	})
	return ids, err
}
