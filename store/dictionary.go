package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// A dictionary is trained on a sample of a resource's records, but it must
// not keep any candidate's data: it stays in the file after the records it
// was trained on are deleted. Its content (what compressed records refer
// to) is the samples' JSON with every word that fewer than one in
// sharedShare samples hold left out: field names, stage and user ids,
// source names and common words stay; names, emails, phone numbers, record
// ids and times go. Its entropy tables are byte and length statistics of
// the samples.
const (
	// sharedShare: a word stays when at least 1/sharedShare of the samples
	// hold it, and at least minShared samples (16 of 512 records drawn from
	// the whole account is no one candidate's data).
	sharedShare = 32
	minShared   = 16
)

// trained is a dictionary stored by a write transaction, to be put to use
// once that transaction has committed.
type trained struct {
	r    lever.Resource
	id   uint32
	dict []byte
	enc  *zstd.Encoder
}

// train gives r a new dictionary, trained on a sample of its stored
// records, when it holds firstTraining records and has grown retrainGrowth
// times since the last training. It stores the dictionary and the choice in
// tx and returns what to install once tx has committed (nil: nothing new).
// read turns a stored value into JSON.
func train(tx *bolt.Tx, r lever.Resource, read func(v, dst []byte) ([]byte, error)) (*trained, error) {
	use := tx.Bucket(bucketDictionaryInUse)
	old, at := dictionaryInUse(use, r)
	n := liveCount(tx, r)
	if n < max(at*retrainGrowth, firstTraining) {
		return nil, nil
	}
	samples, err := sample(tx.Bucket([]byte(r)), n, read)
	if err != nil {
		return nil, err
	}
	dicts := tx.Bucket(bucketDictionaries)
	id := uint32(1)
	if k, _ := dicts.Cursor().Last(); len(k) == 4 {
		id = binary.BigEndian.Uint32(k) + 1
	}
	var t *trained
	d, enc := buildDictionary(id, samples)
	if enc != nil {
		if err := dicts.Put(binary.BigEndian.AppendUint32(nil, id), d); err != nil {
			return nil, err
		}
		t, old = &trained{r: r, id: id, dict: d, enc: enc}, id
	}
	// A failed training keeps the old dictionary and is remembered too, so
	// the next try waits for the same growth.
	v := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, old), uint64(n))
	if err := use.Put([]byte(r), v); err != nil {
		return nil, err
	}
	return t, nil
}

func liveCount(tx *bolt.Tx, r lever.Resource) int64 {
	if v := tx.Bucket(bucketCounts).Get([]byte(r)); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

// sample reads up to trainSamples records of b, evenly spread over its n
// keys (ids are random, so this is a random sample of the account).
func sample(b *bolt.Bucket, n int64, read func(v, dst []byte) ([]byte, error)) ([][]byte, error) {
	step := max(n/trainSamples, 1)
	var out [][]byte
	c := b.Cursor()
	i := int64(0)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if i%step == 0 {
			raw, err := read(v, nil)
			if err != nil {
				return nil, fmt.Errorf("record %q: %w", k, err)
			}
			out = append(out, raw)
		}
		i++
	}
	return out, nil
}

// buildDictionary trains a dictionary on samples. It returns nil when they
// do not make a usable one.
func buildDictionary(id uint32, samples [][]byte) (dict []byte, enc *zstd.Encoder) {
	history := sharedHistory(samples)
	if len(history) < 1024 {
		return nil, nil
	}
	contents := make([][]byte, len(samples))
	for i, s := range samples {
		contents[i] = s[:min(len(s), sampleBytes)]
	}
	defer func() {
		// The builder is young code; a panic in it must not fail a commit.
		if recover() != nil {
			dict, enc = nil, nil
		}
	}()
	d, err := zstd.BuildDict(zstd.BuildDictOptions{ID: id, Contents: contents, History: history,
		Offsets: [3]int{1, 4, 8}, Level: zstd.SpeedFastest})
	if err != nil {
		return nil, nil
	}
	// Stored, it must load at every open: check that it round-trips.
	if enc, err = newEncoder(d); err != nil {
		return nil, nil
	}
	dec, err := newDecoder(map[uint32][]byte{id: d})
	if err != nil {
		return nil, nil
	}
	for _, s := range samples[:min(len(samples), 8)] {
		if out, err := dec.DecodeAll(enc.EncodeAll(s, nil), nil); err != nil || !bytes.Equal(out, s) {
			return nil, nil
		}
	}
	return d, enc
}

// sharedHistory is the dictionary's content: the samples' JSON without the
// words few samples hold, distinct ones only, up to historyBytes, the last
// sample last (nearest, so cheapest to refer to).
func sharedHistory(samples [][]byte) []byte {
	shared := sharedWords(samples)
	seen := map[string]bool{}
	var parts [][]byte
	size := 0
	for i := len(samples) - 1; i >= 0; i-- {
		s := keepShared(samples[i], shared)
		if seen[string(s)] {
			continue
		}
		if size+len(s) > historyBytes {
			break
		}
		seen[string(s)] = true
		parts = append(parts, s)
		size += len(s)
	}
	history := make([]byte, 0, size)
	for i := len(parts) - 1; i >= 0; i-- {
		history = append(history, parts[i]...)
	}
	return history
}

// sharedWords returns the words held by at least one in sharedShare of the
// samples (and by minShared of them).
func sharedWords(samples [][]byte) map[string]bool {
	need := max(len(samples)/sharedShare, minShared)
	counts := map[string]int{}
	for _, s := range samples {
		seen := map[string]bool{}
		jsonWords(s, func(w []byte, word bool) {
			if word && !seen[string(w)] {
				seen[string(w)] = true
				counts[string(w)]++
			}
		})
	}
	shared := map[string]bool{}
	for w, n := range counts {
		if n >= need {
			shared[w] = true
		}
	}
	return shared
}

// keepShared returns raw with every word not in shared left out.
func keepShared(raw []byte, shared map[string]bool) []byte {
	out := make([]byte, 0, len(raw))
	jsonWords(raw, func(w []byte, word bool) {
		if !word || shared[string(w)] {
			out = append(out, w...)
		}
	})
	return out
}

// jsonWords splits JSON text into words (runs of letters and digits, and
// any byte of a multi-byte character; string escapes break words) and the
// single bytes between them, calling fn for each in order.
func jsonWords(raw []byte, fn func(w []byte, word bool)) {
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && isWordByte(raw[j]) {
			j++
		}
		if j > i {
			fn(raw[i:j], true)
			i = j
			continue
		}
		fn(raw[i:i+1], false)
		i++
	}
}

func isWordByte(c byte) bool {
	return c >= 0x80 || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
