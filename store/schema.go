package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// Bucket and key names. Resource buckets are named after lever.Resource.
var (
	bucketMeta        = []byte("meta")
	bucketCheckpoints = []byte("checkpoints")
	// bucketCounts holds the live and deleted record counts per resource, kept
	// in the same transaction as the records (8-byte big-endian).
	bucketCounts = []byte("counts")
	// bucketPostingIndex: postingID \x00 opportunityID -> nothing.
	bucketPostingIndex = []byte("index_opportunities_by_posting")
	// bucketOpportunityKeys (schema 1 only): opportunityID -> 8-byte
	// updatedAt then the posting ids joined by \x00. Schema 2 keeps these
	// as the index fields of the opportunity's value.
	bucketOpportunityKeys = []byte("opportunity_keys")
	// bucketTermIndex: term \x00 opportunityID -> nothing, where the terms
	// are the words of a candidate's name and their email addresses, in
	// lower case; the candidate search is a prefix scan of it. A new file
	// defers it (keyTermsDeferred) until its first sync ends.
	bucketTermIndex = []byte("index_opportunities_by_term")
	// bucketOpportunityTerms: opportunityID -> its terms joined by \x00, so
	// the index follows changes and a search checks every word it was
	// given without decoding raw JSON. Deferred with the index.
	bucketOpportunityTerms = []byte("opportunity_terms")

	keySchema  = []byte("schema")
	keyEnv     = []byte("environment")
	keyBaseURL = []byte("base_url")
	// keyAccount: the fingerprint of the bound Lever account, sorted ids
	// joined by newlines (see Bind).
	keyAccount = []byte("account_ids")
	keyRun     = []byte("run_current")
	keyLastRun = []byte("run_last")
	keyWizard  = []byte("wizard")
	// keyTermsDeferred marks a file whose search index (bucketTermIndex)
	// is not kept per record but built in bulk at the end of a sync (see
	// buildTermIndex); a new file starts so.
	keyTermsDeferred = []byte("terms_deferred")
)

func tombstoneBucket(r lever.Resource) []byte { return []byte("deleted_" + string(r)) }

// termsDeferred reports whether the file defers its search index
// (keyTermsDeferred).
func termsDeferred(tx *bolt.Tx) bool { return tx.Bucket(bucketMeta).Get(keyTermsDeferred) != nil }

// A migration moves the schema from its index in migrations to the next
// version. Migrations only ever get appended.
type migration struct {
	name  string
	apply func(tx *bolt.Tx) error
}

var migrations = []migration{
	{name: "create the buckets", apply: createBucketsV1},
	{name: "compress records, index candidates by name and email", apply: startCompressionV2},
	// A file whose search index is deferred (keyTermsDeferred) lacks
	// entries an older binary would look for; the files before it have a
	// complete index and need nothing.
	{name: "build the candidate search index in bulk after a first sync", apply: func(*bolt.Tx) error { return nil }},
}

// SchemaVersion is the schema this binary writes.
func SchemaVersion() int { return len(migrations) }

func createBucketsV1(tx *bolt.Tx) error {
	names := [][]byte{bucketMeta, bucketCheckpoints, bucketCounts, bucketPostingIndex, bucketOpportunityKeys}
	for _, r := range lever.AllResources {
		names = append(names, []byte(r), tombstoneBucket(r))
	}
	for _, n := range names {
		if _, err := tx.CreateBucketIfNotExists(n); err != nil {
			return fmt.Errorf("create bucket %s: %w", n, err)
		}
	}
	return nil
}

// signature is written once, in a new file's first transaction, in a
// bucket of its own that nothing changes afterwards: too large to be kept
// inline in the root page, it gets a page near the start of the file that
// never moves, so a file cut short is still recognized as leversync's
// (Recognize) even when the pages naming its buckets are lost. A rewrite by
// Scrub or Pack writes it first as well (copyFile).
var (
	bucketSignature = []byte("leversync")
	signature       = []byte("This is a leversync data file: a local copy of one Lever account's jobs and candidates. " +
		"'leversync status' describes it; 'leversync reset' deletes it.")
)

// sign writes the signature, padded past bbolt's inline limit (a quarter
// of a page).
func sign(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(bucketSignature)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketSignature, err)
	}
	v := append(bytes.Clone(signature), bytes.Repeat([]byte{' '}, 1200)...)
	return b.Put(bucketSignature, v)
}

// readSchema returns the stored schema version; 0 for a file with no
// buckets at all (new). A bbolt file of another program is ErrCorrupt.
func readSchema(tx *bolt.Tx, path string) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return errStop })
		if empty {
			return 0, nil
		}
		return 0, corruptError(path, "a bbolt file of another program", nil)
	}
	v := meta.Get(keySchema)
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 {
		return 0, corruptError(path, fmt.Sprintf("bad schema version %q", v), nil)
	}
	return n, nil
}

var errStop = errors.New("stop")

func schemaError(path string, have int) error {
	return &SchemaError{Path: path, Have: have, Known: SchemaVersion()}
}

// validate checks an existing file opened read-only: its header and size
// agree, it is a leversync store, and its schema is one this binary can use.
func validate(db *bolt.DB, path string, readOnly bool) error {
	if err := checkHeader(path); err != nil {
		return err
	}
	return protectView(db, path, func(tx *bolt.Tx) error {
		v, err := readSchema(tx, path)
		switch {
		case err != nil:
			return err
		case v > SchemaVersion():
			return schemaError(path, v)
		case readOnly && (v > 0 && v < SchemaVersion() || tx.Bucket(bucketMeta).Get(keyRecompress) != nil):
			return schemaError(path, min(v, SchemaVersion()-1))
		}
		return nil
	})
}

func protectView(db *bolt.DB, path string, fn func(tx *bolt.Tx) error) error {
	err := protect(func() error { return db.View(fn) })
	if errors.Is(err, errPanic) {
		return corruptError(path, "bbolt could not read it", err)
	}
	return err
}

// migrate brings a read-write store to SchemaVersion in one transaction.
func (s *Store) migrate() error {
	if err := s.upgradeSchema(); err != nil {
		return err
	}
	if err := s.loadCodec(); err != nil {
		return err
	}
	return s.recompress()
}

// upgradeSchema runs the migrations the file has not had, in one
// transaction.
func (s *Store) upgradeSchema() error {
	var have int
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		have, err = readSchema(tx, s.path)
		return err
	}); err != nil {
		return err
	}
	if have > SchemaVersion() {
		return schemaError(s.path, have)
	}
	if have == SchemaVersion() {
		return nil
	}
	return s.update(func(tx *bolt.Tx) error {
		for v := have; v < SchemaVersion(); v++ {
			if err := migrations[v].apply(tx); err != nil {
				return fmt.Errorf("upgrade the store from schema %d to %d (%s): %w", v, v+1, migrations[v].name, err)
			}
		}
		if have == 0 {
			if err := sign(tx); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMeta).Put(keyTermsDeferred, []byte{1}); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(SchemaVersion())))
	})
}

// loadCodec reads the file's dictionaries.
func (s *Store) loadCodec() error {
	return s.view(func(tx *bolt.Tx) error {
		c, err := loadCodec(tx)
		if err != nil {
			return corruptError(s.path, "its compression dictionaries cannot be read", err)
		}
		s.codec = c
		return nil
	})
}

// bbolt's on-disk header: a 16-byte page header, then the meta fields
// magic, version, pageSize, flags (uint32), root bucket (16 bytes),
// freelist, pgid, txid (uint64), and an FNV-64a checksum of all before it.
const (
	boltMagic     = 0xED0CDAED
	boltVersion   = 2
	pageHeaderLen = 16
	metaSumLen    = 56 // bytes the checksum covers
	metaLen       = metaSumLen + 8
)

type boltMeta struct {
	pageSize int
	pgid     uint64
	txid     uint64
}

// parseMeta reads a meta page at buf[off:], reporting whether it is valid.
func parseMeta(buf []byte) (boltMeta, bool) {
	if len(buf) < pageHeaderLen+metaLen {
		return boltMeta{}, false
	}
	m := buf[pageHeaderLen : pageHeaderLen+metaLen]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:metaSumLen])
	if h.Sum64() != le.Uint64(m[metaSumLen:]) {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: int(le.Uint32(m[8:])), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

// checkHeader reads the file's two meta pages without bbolt and checks that
// it is a bbolt file whose size covers every page the newest meta names
// (a truncated file would otherwise fault when mapped).
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open the store %s: %w", path, err)
	}
	defer f.Close()
	buf := make([]byte, pageHeaderLen+metaLen)
	if _, err := io.ReadFull(f, buf); err != nil {
		return corruptError(path, "too short to be a bbolt file", nil)
	}
	best, ok := parseMeta(buf)
	candidates := []int{os.Getpagesize(), 4096, 8192, 16384, 65536}
	if ok {
		candidates = []int{best.pageSize}
	}
	for _, ps := range candidates {
		if _, err := f.ReadAt(buf, int64(ps)); err != nil {
			continue
		}
		if m, ok1 := parseMeta(buf); ok1 && m.pageSize == ps {
			if !ok || m.txid > best.txid {
				best = m
			}
			ok = true
			break
		}
	}
	if !ok {
		return corruptError(path, "no valid bbolt header", nil)
	}
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open the store %s: %w", path, err)
	}
	if best.pageSize <= 0 || uint64(info.Size()) < best.pgid*uint64(best.pageSize) {
		return corruptError(path, fmt.Sprintf("truncated: %d bytes where bbolt expects %d", info.Size(), best.pgid*uint64(best.pageSize)), nil)
	}
	return nil
}
