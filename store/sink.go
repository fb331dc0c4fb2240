package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/klauspost/compress/zstd"
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

// FinishRun builds the search index if the file deferred it, then stores
// rs as the last run and clears the run in progress and the checkpoints. A
// build that fails leaves the run in progress, for the next sync to finish.
func (s *Store) FinishRun(rs syncer.RunState) error {
	if err := s.buildTermIndex(); err != nil {
		return fmt.Errorf("build the candidate search index: %w", err)
	}
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
// transaction: all of it or, on any error, none of it. Records must be as
// lever.DecodeRecord returns them: Raw is not parsed again here.
func (s *Store) Commit(batches ...syncer.Batch) error {
	if len(batches) == 0 {
		return nil
	}
	values := s.encodeBatches(batches)
	var newDicts []trained
	err := s.update(func(tx *bolt.Tx) error {
		newDicts = newDicts[:0]
		w := &txWriter{tx: tx, counts: map[string]int64{}, decode: s.codec.decode}
		w.wasMarked = tx.Bucket(bucketMeta).Get(keyScrub) != nil
		w.termsDeferred = termsDeferred(tx)
		w.removed = w.wasMarked
		for i := range batches {
			if err := w.apply(&batches[i], values[i]); err != nil {
				return err
			}
		}
		if err := w.flushCounts(); err != nil {
			return err
		}
		if err := w.markScrub(); err != nil {
			return err
		}
		for _, r := range w.grown {
			t, err := train(tx, r, s.codec.decode)
			if err != nil {
				return fmt.Errorf("train a dictionary for %s: %w", r, err)
			}
			if t != nil {
				newDicts = append(newDicts, *t)
			}
		}
		return nil
	})
	if errors.Is(err, errBadValue) {
		return corruptError(s.path, "a stored record cannot be read", err)
	}
	if err != nil {
		return err
	}
	return s.codec.install(newDicts)
}

// Prepare compresses b's records for its Commit (syncer.Preparer), on the
// caller's goroutine.
func (s *Store) Prepare(b *syncer.Batch) {
	if len(b.Upserts) == 0 {
		return
	}
	p := prepared{enc: s.codec.encoders([]lever.Resource{b.Resource})[0], values: make([][]byte, len(b.Upserts))}
	for k := range b.Upserts {
		p.values[k] = encodeRecord(p.enc, b.Resource, &b.Upserts[k])
	}
	b.Prepared = p
}

// prepared is what Prepare leaves in a batch: its values, compressed with
// enc (nil: plain).
type prepared struct {
	enc    *zstd.Encoder
	values [][]byte
}

// encodeBatches turns the upserts of batches into stored values. It keeps
// what Prepare did with the dictionary still in use; a batch prepared
// before a dictionary was trained (or retrained) is compressed again, or
// the records read first would be the file's largest.
func (s *Store) encodeBatches(batches []syncer.Batch) [][][]byte {
	rs := make([]lever.Resource, len(batches))
	for i := range batches {
		rs[i] = batches[i].Resource
	}
	encs := s.codec.encoders(rs)
	var at [][2]int // batch, upsert
	values := make([][][]byte, len(batches))
	for i := range batches {
		if p, ok := batches[i].Prepared.(prepared); ok && p.enc == encs[i] && len(p.values) == len(batches[i].Upserts) {
			values[i] = p.values
			continue
		}
		values[i] = make([][]byte, len(batches[i].Upserts))
		for k := range batches[i].Upserts {
			at = append(at, [2]int{i, k})
		}
	}
	onAllCores(len(at), func(j int) {
		i, k := at[j][0], at[j][1]
		values[i][k] = encodeRecord(encs[i], rs[i], &batches[i].Upserts[k])
	})
	return values
}

// encodeRecord is the stored value of rec, a record of r.
func encodeRecord(enc *zstd.Encoder, r lever.Resource, rec *lever.Record) []byte {
	var fields []byte
	if r == lever.Opportunities {
		fields = opportunityFields(rec.UpdatedAt, indexedPostings(rec.PostingIDs), joinTerms(searchTerms(rec.Name, rec.Emails)))
	}
	return encodeValue(enc, fields, rec.Raw)
}

// txWriter applies batches inside one write transaction. Count changes are
// summed and written once, at the end.
type txWriter struct {
	tx     *bolt.Tx
	counts map[string]int64
	// grown lists the resources that got new records, in order.
	grown  []lever.Resource
	decode func(v, dst []byte) ([]byte, error)
	// removed: the transaction removes personal data from the copy (see
	// Scrub); wasMarked: the file was marked before it.
	removed, wasMarked bool
	// termsDeferred: the search index is built after the sync, not here.
	termsDeferred bool
}

func (w *txWriter) apply(b *syncer.Batch, values [][]byte) error {
	if len(b.Upserts) > 0 || len(b.Deletes) > 0 || b.Replace != "" || b.Whole != nil {
		if !slices.Contains(lever.AllResources, b.Resource) {
			return fmt.Errorf("commit: unknown resource %q", b.Resource)
		}
		var replaced *textSet
		if b.Replace != "" {
			if !isDetail(b.Resource) {
				return fmt.Errorf("commit: Replace on %s, which is not a per-opportunity resource", b.Resource)
			}
			if w.tracksText(b.Resource) {
				var err error
				if replaced, err = w.replacedText(b.Resource, b.Replace); err != nil {
					return fmt.Errorf("commit: %w", err)
				}
			}
			if _, err := w.deleteDetailsOf(b.Resource, b.Replace); err != nil {
				return err
			}
		}
		for i := range b.Upserts {
			if err := w.upsert(b.Resource, &b.Upserts[i], values[i]); err != nil {
				return err
			}
		}
		if replaced != nil && replaced.dropped() {
			// What the page brings back is not removed.
			for i := range b.Upserts {
				if err := personalText(b.Upserts[i].Raw, replaced.keep); err != nil {
					return fmt.Errorf("commit: %s record %s: %w", b.Resource, b.Upserts[i].ID, err)
				}
			}
			w.removed = w.removed || replaced.dropped()
		}
		for _, d := range b.Deletes {
			if err := w.delete(b.Resource, d); err != nil {
				return err
			}
		}
	}
	if b.Whole != nil {
		if err := w.replaceWhole(b.Resource, b.Whole); err != nil {
			return err
		}
	}
	if b.Checkpoint.Stream != "" {
		return putJSON(w.tx.Bucket(bucketCheckpoints), []byte(b.Checkpoint.Stream), b.Checkpoint)
	}
	return nil
}

// replaceWhole tombstones the stored records of a reference list that
// Lever no longer returns.
func (w *txWriter) replaceWhole(r lever.Resource, l *syncer.WholeList) error {
	if isDetail(r) || r == lever.Opportunities || r == lever.Postings {
		return fmt.Errorf("commit: %s is not a reference list Lever returns whole", r)
	}
	keep := make(map[string]bool, len(l.Keys))
	for _, k := range l.Keys {
		keep[k] = true
	}
	var gone []string
	c := recordBucket(w.tx, r).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !keep[string(k)] {
			gone = append(gone, string(k))
		}
	}
	for _, id := range gone {
		if err := w.delete(r, lever.Deletion{ID: id, DeletedAt: l.At}); err != nil {
			return err
		}
	}
	return nil
}

func isDetail(r lever.Resource) bool { return slices.Contains(lever.DetailResources, r) }

// recordBucket opens the bucket of r's records. Per-opportunity detail is
// written one opportunity after another in id order, so its keys mostly
// append: pack its pages full.
func recordBucket(tx *bolt.Tx, r lever.Resource) *bolt.Bucket {
	b := tx.Bucket([]byte(r))
	if isDetail(r) {
		b.FillPercent = 0.95
	}
	return b
}

func (w *txWriter) upsert(r lever.Resource, rec *lever.Record, value []byte) error {
	if rec.ID == "" {
		return fmt.Errorf("commit: a %s record without an id", r)
	}
	if isDetail(r) && rec.Parent == "" {
		return fmt.Errorf("commit: %s record %s has no parent opportunity", r, rec.ID)
	}
	b := recordBucket(w.tx, r)
	key := recordKey(r, rec.Parent, rec.ID)
	old := b.Get(key)
	if old == nil {
		w.addCount([]byte(r), 1)
		if !slices.Contains(w.grown, r) {
			w.grown = append(w.grown, r)
		}
	}
	var oldPostings []string
	if r == lever.Opportunities && old != nil {
		var err error
		if _, oldPostings, err = opportunityIndex(old); err != nil {
			return fmt.Errorf("commit: the stored opportunity %s: %w", rec.ID, err)
		}
	}
	if old != nil && w.tracksText(r) {
		was, err := w.decode(old, nil)
		if err != nil {
			return fmt.Errorf("commit: the stored %s record %s: %w", r, rec.ID, err)
		}
		if !bytes.Equal(was, rec.Raw) {
			drops, err := dropsText(was, rec.Raw)
			if err != nil {
				return fmt.Errorf("commit: %s record %s: %w", r, rec.ID, err)
			}
			w.removed = drops
		}
	}
	if err := b.Put(key, value); err != nil {
		return fmt.Errorf("store %s %s: %w", r, rec.ID, err)
	}
	if err := w.dropTombstone(r, rec.ID); err != nil {
		return err
	}
	if r == lever.Opportunities {
		if err := w.indexOpportunity(rec.ID, oldPostings, indexedPostings(rec.PostingIDs)); err != nil {
			return err
		}
		if w.termsDeferred {
			return nil // buildTermIndex reads them from the index fields
		}
		return w.indexTerms(rec.ID, searchTerms(rec.Name, rec.Emails))
	}
	return nil
}

func (w *txWriter) dropTombstone(r lever.Resource, id string) error {
	tb := w.tx.Bucket(tombstoneBucket(r))
	if tb.Get([]byte(id)) == nil {
		return nil
	}
	w.addCount(tombstoneBucket(r), -1)
	return tb.Delete([]byte(id))
}

// indexOpportunity moves the opportunity's posting index entries from the
// postings it had to the ones it has.
func (w *txWriter) indexOpportunity(id string, old, postings []string) error {
	idx := w.tx.Bucket(bucketPostingIndex)
	for _, p := range old {
		if !slices.Contains(postings, p) {
			if err := idx.Delete(indexKey(p, id)); err != nil {
				return err
			}
		}
	}
	for _, p := range postings {
		if !slices.Contains(old, p) {
			if err := idx.Put(indexKey(p, id), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// delete applies a tombstone: the record, its index entries and, for an
// opportunity, its detail records leave the file; only id and deletedAt stay.
func (w *txWriter) delete(r lever.Resource, d lever.Deletion) error {
	if d.ID == "" {
		return fmt.Errorf("commit: a %s deletion without an id", r)
	}
	b := recordBucket(w.tx, r)
	if isDetail(r) {
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
			if err := w.deleteKey(b, r, k); err != nil {
				return err
			}
			w.removed = true
		}
	} else if v := b.Get([]byte(d.ID)); v != nil {
		if r == lever.Opportunities {
			_, postings, err := opportunityIndex(v)
			if err != nil {
				return fmt.Errorf("commit: the stored opportunity %s: %w", d.ID, err)
			}
			if err := w.indexOpportunity(d.ID, postings, nil); err != nil {
				return err
			}
		}
		if err := w.deleteKey(b, r, []byte(d.ID)); err != nil {
			return err
		}
		w.removed = true
	}
	if r == lever.Opportunities {
		if err := w.unindexTerms(d.ID); err != nil {
			return err
		}
		for _, dr := range lever.DetailResources {
			n, err := w.deleteDetailsOf(dr, d.ID)
			if err != nil {
				return err
			}
			w.removed = w.removed || n > 0
		}
	}
	tb := w.tx.Bucket(tombstoneBucket(r))
	if tb.Get([]byte(d.ID)) == nil {
		w.addCount(tombstoneBucket(r), 1)
	}
	return putJSON(tb, []byte(d.ID), d)
}

func (w *txWriter) deleteKey(b *bolt.Bucket, r lever.Resource, k []byte) error {
	if err := b.Delete(k); err != nil {
		return err
	}
	w.addCount([]byte(r), -1)
	return nil
}

// deleteDetailsOf removes every r record whose parent is opportunity id,
// and says how many it removed.
func (w *txWriter) deleteDetailsOf(r lever.Resource, parent string) (int, error) {
	b := recordBucket(w.tx, r)
	prefix := append([]byte(parent), sep)
	c := b.Cursor()
	n := 0
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return n, err
		}
		w.addCount([]byte(r), -1)
		n++
	}
	return n, nil
}

// addCount adds delta to the count under key: a resource name for its live
// records, its tombstone bucket's name for its tombstones.
func (w *txWriter) addCount(key []byte, delta int64) {
	w.counts[string(key)] += delta
}

// flushCounts writes the summed count changes: 8-byte big-endian per key.
func (w *txWriter) flushCounts() error {
	b := w.tx.Bucket(bucketCounts)
	for key, delta := range w.counts {
		if delta == 0 {
			continue
		}
		var n int64
		if v := b.Get([]byte(key)); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v))
		}
		if err := b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(n+delta))); err != nil {
			return err
		}
	}
	clear(w.counts)
	return nil
}

// OpportunityIDs returns up to limit opportunity ids after after, in id
// order, whose updatedAt is at least updatedSince (0: all). It reads the
// index fields of the stored values, never decompresses the JSON.
func (s *Store) OpportunityIDs(after string, updatedSince int64, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	var ids []string
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(lever.Opportunities))
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
				u, _, err := opportunityIndex(v)
				if err != nil {
					return s.unreadable(lever.Opportunities, k, err)
				}
				if u < updatedSince {
					continue
				}
			}
			ids = append(ids, string(k))
		}
		return nil
	})
	return ids, err
}

// Missing reports whether any of keys has neither a stored record of res
// nor a tombstone: what tells an incremental sync to read that list again.
// A deleted entry is not missing, since no read would bring it back.
func (s *Store) Missing(res lever.Resource, keys []string) (bool, error) {
	if isDetail(res) {
		return false, fmt.Errorf("missing: %s is not a list of records with keys of their own", res)
	}
	missing := false
	err := s.view(func(tx *bolt.Tx) error {
		records, gone := tx.Bucket([]byte(res)), tx.Bucket(tombstoneBucket(res))
		has := func(b *bolt.Bucket, k string) bool { return b != nil && b.Get([]byte(k)) != nil }
		for _, k := range keys {
			if !has(records, k) && !has(gone, k) {
				missing = true
				return nil
			}
		}
		return nil
	})
	return missing, err
}
