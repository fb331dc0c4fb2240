package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// How records are kept (schema 2 and 3). Each value of a resource bucket is
//
//	kind (1 byte) | uvarint n | n bytes of index fields | body
//
// where the index fields are an opportunity's updatedAt, postings and,
// from schema 3, search terms (opportunityFields; empty for other
// resources), and by kind the body is
//
//	valuePlain: the record's JSON exactly as Lever sent it
//	valueZstd:  one zstd frame of that JSON, compressed with the dictionary
//	            its frame header names (none: 0)
//
// A record is about 2 KB of JSON that shares most of its text with the
// account's other records, so a dictionary trained on the account's own
// records shrinks it about five times where zstd alone halves it. Each
// resource gets its own dictionary once it holds firstTraining records, and
// a new one each time it has grown retrainGrowth times since; the old ones
// stay in the file, since records written with them still name them.
const (
	valuePlain byte = 0
	valueZstd  byte = 1
)

var (
	// bucketDictionaries: 4-byte big-endian id -> a zstd dictionary, whose
	// own header holds the same id. Dictionaries are never changed or
	// removed, so an id always means the same bytes.
	bucketDictionaries = []byte("dictionaries")
	// bucketDictionaryInUse: resource -> 4-byte id of the dictionary new
	// records are written with (0: none, plain), then the 8-byte record
	// count when it was trained.
	bucketDictionaryInUse = []byte("dictionary_in_use")
)

const (
	// firstTraining is how many records a resource holds before its first
	// dictionary is trained; below it, records are kept plain.
	firstTraining = 64
	// retrainGrowth: a new dictionary when the resource holds this many
	// times the records it held at the last training.
	retrainGrowth = 16
	// trainSamples is how many records, spread over the key range, a
	// dictionary is trained on.
	trainSamples = 512
	// historyBytes caps the dictionary's content.
	historyBytes = 64 << 10
	// sampleBytes caps each sample used for the dictionary's statistics.
	sampleBytes = 16 << 10
	// minCompressed: shorter records are kept plain.
	minCompressed = 64
	// maxRecordBytes: longer records are kept plain, so that decoding
	// never needs more, whatever a damaged frame claims to hold.
	maxRecordBytes = 16 << 20
)

// errBadValue: a stored value that cannot be decoded.
var errBadValue = errors.New("a stored record cannot be decoded")

// codec compresses and decompresses record values. Its state is the file's
// dictionaries (a few per resource over the file's life), never anything
// per record.
type codec struct {
	mu sync.RWMutex
	// dicts holds every dictionary of the file, by id.
	dicts map[uint32][]byte
	// dec knows every dictionary in dicts.
	dec *zstd.Decoder
	// enc is the encoder of each resource that has a dictionary in use.
	enc map[lever.Resource]*zstd.Encoder
}

// loadCodec reads the file's dictionaries.
func loadCodec(tx *bolt.Tx) (*codec, error) {
	c := &codec{dicts: map[uint32][]byte{}, enc: map[lever.Resource]*zstd.Encoder{}}
	if b := tx.Bucket(bucketDictionaries); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			if len(k) != 4 {
				return fmt.Errorf("%w: a dictionary key %x", errBadValue, k)
			}
			c.dicts[binary.BigEndian.Uint32(k)] = bytes.Clone(v)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var err error
	if c.dec, err = newDecoder(c.dicts); err != nil {
		return nil, err
	}
	if b := tx.Bucket(bucketDictionaryInUse); b != nil {
		for _, r := range lever.AllResources {
			id, _ := dictionaryInUse(b, r)
			if id == 0 {
				continue
			}
			d, ok := c.dicts[id]
			if !ok {
				return nil, fmt.Errorf("%w: %s uses dictionary %d, which is missing", errBadValue, r, id)
			}
			if c.enc[r], err = newEncoder(d); err != nil {
				return nil, fmt.Errorf("%w: dictionary %d: %w", errBadValue, id, err)
			}
		}
	}
	return c, nil
}

func newDecoder(dicts map[uint32][]byte) (*zstd.Decoder, error) {
	var all [][]byte
	for _, id := range slices.Sorted(maps.Keys(dicts)) {
		all = append(all, dicts[id])
	}
	d, err := zstd.NewReader(nil, zstd.WithDecoderDicts(all...), zstd.WithDecoderMaxMemory(maxRecordBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: the dictionaries: %w", errBadValue, err)
	}
	return d, nil
}

// newEncoder returns a compressor for one resource, one per core. Records
// are a few KB: a 256 KB window (over the default 8 MB) keeps each at about
// 1.3 MB of memory.
func newEncoder(dict []byte) (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderDict(dict), zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithSingleSegment(true), zstd.WithWindowSize(256<<10))
}

func dictionaryInUse(b *bolt.Bucket, r lever.Resource) (id uint32, trainedAt int64) {
	v := b.Get([]byte(r))
	if len(v) != 12 {
		return 0, 0
	}
	return binary.BigEndian.Uint32(v), int64(binary.BigEndian.Uint64(v[4:]))
}

// splitValue returns the parts of a stored value.
func splitValue(v []byte) (kind byte, fields, body []byte, err error) {
	if len(v) == 0 {
		return 0, nil, nil, fmt.Errorf("%w: empty", errBadValue)
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || n > uint64(len(v)-1-w) {
		return 0, nil, nil, fmt.Errorf("%w: bad index fields", errBadValue)
	}
	fields = v[1+w : 1+w+int(n)]
	return v[0], fields, v[1+w+int(n):], nil
}

// decode appends the JSON of the stored value v to dst. Every read of a
// record's JSON goes through it.
func (c *codec) decode(v, dst []byte) ([]byte, error) {
	kind, _, body, err := splitValue(v)
	if err != nil {
		return dst, err
	}
	switch kind {
	case valuePlain:
		return append(dst, body...), nil
	case valueZstd:
		c.mu.RLock()
		d := c.dec
		c.mu.RUnlock()
		out, err := d.DecodeAll(body, dst)
		if err != nil {
			return dst, fmt.Errorf("%w: %w", errBadValue, err)
		}
		return out, nil
	}
	return dst, fmt.Errorf("%w: unknown kind %d", errBadValue, kind)
}

// encodeValue returns the value that stores raw with its index fields,
// compressed with e when that makes it smaller.
func encodeValue(e *zstd.Encoder, fields, raw []byte) []byte {
	head := make([]byte, 1, 1+binary.MaxVarintLen64+len(fields)+len(raw)/4+32)
	head = append(binary.AppendUvarint(head, uint64(len(fields))), fields...)
	if e != nil && len(raw) >= minCompressed && len(raw) <= maxRecordBytes {
		head[0] = valueZstd
		if out := e.EncodeAll(raw, head); len(out)-len(head) < len(raw) {
			return out
		}
	}
	out := make([]byte, len(head), len(head)+len(raw))
	copy(out, head)
	out[0] = valuePlain
	return append(out, raw...)
}

// opportunityIndex reads the index fields of a stored opportunity.
func opportunityIndex(v []byte) (updatedAt int64, postings []string, err error) {
	updatedAt, postings, _, err = opportunityFieldsOf(v)
	return updatedAt, postings, err
}

// opportunityFieldsOf reads every index field of a stored opportunity,
// terms included (nil when the value holds none).
func opportunityFieldsOf(v []byte) (updatedAt int64, postings []string, terms []byte, err error) {
	_, fields, _, err := splitValue(v)
	if err != nil {
		return 0, nil, nil, err
	}
	updatedAt, postings, terms, ok := parseOpportunityFields(fields)
	if !ok {
		return 0, nil, nil, fmt.Errorf("%w: bad index fields", errBadValue)
	}
	return updatedAt, postings, terms, nil
}

// encoders returns the encoder of each resource (nil: plain).
func (c *codec) encoders(rs []lever.Resource) []*zstd.Encoder {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*zstd.Encoder, len(rs))
	for i, r := range rs {
		out[i] = c.enc[r]
	}
	return out
}

// onAllCores calls do(i) for every i in [0, n), on all cores. Compressing
// is most of a commit's work; it runs before the write transaction, so it
// does not hold the file's lock either.
func onAllCores(n int, do func(i int)) {
	const chunk = 16
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		for i := range n {
			do(i)
		}
		return
	}
	var next sync.Mutex
	from := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				lo := from
				from += chunk
				next.Unlock()
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					do(i)
				}
			}
		})
	}
	wg.Wait()
}

// install puts dictionaries trained in a committed transaction to use.
func (c *codec) install(ts []trained) error {
	if len(ts) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dicts := maps.Clone(c.dicts)
	for _, t := range ts {
		dicts[t.id] = t.dict
	}
	dec, err := newDecoder(dicts)
	if err != nil {
		return err
	}
	// The old decoder runs no goroutine; a read still using it finishes
	// with the dictionaries it had, which are all its transaction can see.
	c.dicts, c.dec = dicts, dec
	for _, t := range ts {
		c.enc[t.r] = t.enc
	}
	return nil
}
