package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/leversync/leversync/lever"
)

// Schema 1 kept each record's JSON as its value, the opportunities' index
// fields in the opportunity_keys bucket, and the posting index keyed
// posting NUL opportunity. The move to schema 2 is startCompressionV2 (in
// the transaction that bumps the version), then recompress, a transaction
// per chunk of records, which an interrupted open resumes.

// keyRecompress (meta) marks a file whose schema-1 records are still being
// re-encoded. It holds the resource to do next; once that resource is
// started, NUL and the last key done follow. Empty: every resource is done.
var keyRecompress = []byte("recompress")

// recompressChunk is how many records one upgrade transaction re-encodes.
var recompressChunk = 2000

// startCompressionV2 adds the dictionaries and the candidate search index,
// and empties the posting index (schema 2 packs its ids). A file with
// records is marked for recompress, which re-encodes them and refills both
// indexes.
func startCompressionV2(tx *bolt.Tx) error {
	if err := createTermBuckets(tx); err != nil {
		return err
	}
	for _, n := range [][]byte{bucketDictionaries, bucketDictionaryInUse} {
		if _, err := tx.CreateBucketIfNotExists(n); err != nil {
			return fmt.Errorf("create bucket %s: %w", n, err)
		}
	}
	if err := dropBucket(tx, bucketPostingIndex); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketPostingIndex); err != nil {
		return err
	}
	for _, r := range lever.AllResources {
		if k, _ := tx.Bucket([]byte(r)).Cursor().First(); k != nil {
			return tx.Bucket(bucketMeta).Put(keyRecompress, []byte(lever.AllResources[0]))
		}
	}
	return dropBucket(tx, bucketOpportunityKeys)
}

func dropBucket(tx *bolt.Tx, name []byte) error {
	if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return nil
}

// recompress finishes the upgrade that startCompressionV2 began, if any:
// each resource gets a dictionary trained on the records the file holds and
// every record is re-encoded with it, a chunk per transaction (memory stays
// bounded, and an interrupted open resumes where it stopped). Then it
// compacts the file, so that the schema-1 bytes leave it.
func (s *Store) recompress() error {
	for {
		more, err := s.recompressStep()
		if err != nil {
			return fmt.Errorf("upgrade the store to schema %d: %w", SchemaVersion(), err)
		}
		if !more {
			break
		}
	}
	// A file with no upgrade under way is only read: opening it writes
	// nothing (a refused sync leaves it byte for byte as it was).
	var finish bool
	if err := s.view(func(tx *bolt.Tx) error {
		mark := tx.Bucket(bucketMeta).Get(keyRecompress)
		finish = mark != nil && len(mark) == 0
		return nil
	}); err != nil || !finish {
		return err
	}
	err := s.update(func(tx *bolt.Tx) error {
		mark := tx.Bucket(bucketMeta).Get(keyRecompress)
		if finish = mark != nil && len(mark) == 0; !finish {
			return nil
		}
		return dropBucket(tx, bucketOpportunityKeys)
	})
	if err != nil || !finish {
		return err
	}
	// The mark stays until the compaction is done, so that one that fails
	// (it needs room for a second copy) is tried again by the next open.
	if err := s.compact(); err != nil {
		return fmt.Errorf("upgrade the store to schema %d: %w", SchemaVersion(), err)
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyRecompress) })
}

// recompressStep does the next part of the upgrade: a resource's
// dictionary when it starts, then a chunk of its records. more is false
// once nothing is left to re-encode.
func (s *Store) recompressStep() (more bool, err error) {
	var mark []byte
	if err := s.view(func(tx *bolt.Tx) error {
		mark = bytes.Clone(tx.Bucket(bucketMeta).Get(keyRecompress))
		return nil
	}); err != nil || len(mark) == 0 {
		return false, err
	}
	name, after, started := bytes.Cut(mark, []byte{sep})
	i := slices.Index(lever.AllResources, lever.Resource(name))
	if i < 0 {
		return false, corruptError(s.path, fmt.Sprintf("an unknown resource %q in the upgrade's progress", name), nil)
	}
	r := lever.AllResources[i]
	if !started {
		var t *trained
		err := s.update(func(tx *bolt.Tx) error {
			var err error
			t, err = train(tx, r, s.codec.readSchema1)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("train a dictionary for %s: %w", r, err)
		}
		if t != nil {
			if err := s.codec.install([]trained{*t}); err != nil {
				return false, err
			}
		}
		after = nil
	}

	var keys, fields, raws [][]byte
	last := true
	if err := s.view(func(tx *bolt.Tx) error {
		oppKeys := tx.Bucket(bucketOpportunityKeys)
		c := tx.Bucket([]byte(r)).Cursor()
		k, v := c.First()
		if started {
			if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(keys) == recompressChunk {
				last = false
				break
			}
			if !isSchema1(v) {
				continue
			}
			var f []byte
			if r == lever.Opportunities {
				var err error
				if f, err = schema1Fields(oppKeys.Get(k), v); err != nil {
					return fmt.Errorf("opportunity %s: %w", k, err)
				}
			}
			keys, fields, raws = append(keys, bytes.Clone(k)), append(fields, f), append(raws, bytes.Clone(v))
		}
		return nil
	}); err != nil {
		return false, err
	}
	enc := s.codec.encoders([]lever.Resource{r})[0]
	values := make([][]byte, len(keys))
	onAllCores(len(keys), func(i int) { values[i] = encodeValue(enc, fields[i], raws[i]) })

	next := []byte{} // every resource done
	switch {
	case !last:
		next = append(append([]byte(r), sep), keys[len(keys)-1]...)
	case i+1 < len(lever.AllResources):
		next = []byte(lever.AllResources[i+1])
	}
	err = s.update(func(tx *bolt.Tx) error {
		b, idx := tx.Bucket([]byte(r)), tx.Bucket(bucketPostingIndex)
		w := &txWriter{tx: tx}
		for i, k := range keys {
			if err := b.Put(k, values[i]); err != nil {
				return err
			}
			if r != lever.Opportunities {
				continue
			}
			var o struct {
				Name   string   `json:"name"`
				Emails []string `json:"emails"`
			}
			_ = json.Unmarshal(raws[i], &o)
			if err := w.indexTerms(string(k), searchTerms(o.Name, o.Emails)); err != nil {
				return err
			}
			_, postings, _, _ := parseOpportunityFields(fields[i])
			for _, p := range postings {
				if err := idx.Put(indexKey(p, string(k)), nil); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keyRecompress, next)
	})
	return err == nil, err
}

// isSchema1 reports whether v is a schema-1 value, raw JSON, which never
// starts with a kind byte: JSON starts with a printable character.
func isSchema1(v []byte) bool { return len(v) > 0 && v[0] > valueZstd }

// readSchema1 reads a value that may still be schema 1's.
func (c *codec) readSchema1(v, dst []byte) ([]byte, error) {
	if isSchema1(v) {
		return append(dst, v...), nil
	}
	return c.decode(v, dst)
}

// schema1Fields turns an opportunity's schema-1 key record (updatedAt, then
// posting ids joined by NUL) into its index fields; without one, they are
// read from its JSON as the sync reads them.
func schema1Fields(key, raw []byte) ([]byte, error) {
	if len(key) >= 8 {
		var postings []string
		if len(key) > 8 {
			for p := range bytes.SplitSeq(key[8:], []byte{sep}) {
				postings = append(postings, string(p))
			}
		}
		return opportunityFields(int64(binary.BigEndian.Uint64(key)), indexedPostings(postings), nil), nil
	}
	rec, err := lever.DecodeRecord(lever.Opportunities, raw, "")
	if err != nil {
		return nil, err
	}
	return opportunityFields(rec.UpdatedAt, indexedPostings(rec.PostingIDs), nil), nil
}
