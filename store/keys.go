package store

import (
	"encoding/binary"
	"encoding/hex"
	"slices"

	"github.com/leversync/leversync/lever"
)

// sep joins a parent id and a child id in the keys of per-opportunity
// detail. Lever ids are UUIDs or short slugs, and never contain NUL.
const sep = 0

// recordKey is the bucket key of a record: its id, or for per-opportunity
// detail parent \x00 id, so that one parent's detail is one key range.
func recordKey(r lever.Resource, parent, id string) []byte {
	if !isDetail(r) {
		return []byte(id)
	}
	k := make([]byte, 0, len(parent)+1+len(id))
	return append(append(append(k, parent...), sep), id...)
}

// A packed id is an id in few bytes that says where it ends, so that ids
// can follow one another in a key or a value: a canonical lowercase UUID
// (what Lever's ids are) is 0x01 and its 16 bytes; any other id is 0x00,
// its length as a uvarint, and its bytes.
const (
	packedText byte = 0
	packedUUID byte = 1
)

func appendPackedID(dst []byte, id string) []byte {
	if isUUID(id) {
		dst = append(dst, packedUUID)
		for _, part := range []string{id[0:8], id[9:13], id[14:18], id[19:23], id[24:36]} {
			dst, _ = hex.AppendDecode(dst, []byte(part))
		}
		return dst
	}
	dst = binary.AppendUvarint(append(dst, packedText), uint64(len(id)))
	return append(dst, id...)
}

// readPackedID returns the packed id at the start of b and what follows it.
func readPackedID(b []byte) (id string, rest []byte, ok bool) {
	if len(b) == 0 {
		return "", nil, false
	}
	switch b[0] {
	case packedUUID:
		if len(b) < 17 {
			return "", nil, false
		}
		var s [36]byte
		u := b[1:17]
		hex.Encode(s[0:8], u[0:4])
		hex.Encode(s[9:13], u[4:6])
		hex.Encode(s[14:18], u[6:8])
		hex.Encode(s[19:23], u[8:10])
		hex.Encode(s[24:36], u[10:16])
		s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
		return string(s[:]), b[17:], true
	case packedText:
		n, w := binary.Uvarint(b[1:])
		if w <= 0 || n > uint64(len(b)-1-w) {
			return "", nil, false
		}
		return string(b[1+w : 1+w+int(n)]), b[1+w+int(n):], true
	}
	return "", nil, false
}

// isUUID reports whether id is a UUID in canonical lowercase form, the only
// form that packs to 16 bytes and unpacks to the same text.
func isUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// indexKey is the posting index's key: the packed posting id, then the
// packed opportunity id. indexKey(posting, "") is the prefix of every entry
// of the posting.
func indexKey(posting, opportunity string) []byte {
	k := appendPackedID(make([]byte, 0, 34), posting)
	if opportunity == "" {
		return k
	}
	return appendPackedID(k, opportunity)
}

// parseIndexKey returns the posting and the opportunity of an index key.
func parseIndexKey(k []byte) (posting, opportunity string, ok bool) {
	posting, rest, ok := readPackedID(k)
	if !ok {
		return "", "", false
	}
	opportunity, rest, ok = readPackedID(rest)
	return posting, opportunity, ok && len(rest) == 0
}

// opportunityFields are an opportunity's index fields: updatedAt (8 bytes
// big-endian), then its postings, packed one after another, then, when
// terms is not nil, termsMark and the terms the candidate search finds it
// by (searchTerms, joined by NUL; schema 3 writes them, so that a file
// that defers its search index can build it without decoding records).
func opportunityFields(updatedAt int64, postings []string, terms []byte) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+17*len(postings)+1+len(terms)), uint64(updatedAt))
	for _, p := range postings {
		v = appendPackedID(v, p)
	}
	if terms != nil {
		v = append(append(v, termsMark), terms...)
	}
	return v
}

// termsMark follows the postings in index fields that hold terms; a
// packed id never starts with it.
const termsMark byte = 2

// parseOpportunityFields reads opportunityFields; ok is false when v is not
// such fields. terms is nil when the fields hold none, and not nil (maybe
// empty) when they do.
func parseOpportunityFields(v []byte) (updatedAt int64, postings []string, terms []byte, ok bool) {
	if len(v) < 8 {
		return 0, nil, nil, false
	}
	updatedAt = int64(binary.BigEndian.Uint64(v))
	for rest := v[8:]; len(rest) > 0; {
		if rest[0] == termsMark {
			return updatedAt, postings, rest[1:len(rest):len(rest)], true
		}
		var p string
		if p, rest, ok = readPackedID(rest); !ok {
			return 0, nil, nil, false
		}
		postings = append(postings, p)
	}
	return updatedAt, postings, nil, true
}

// indexedPostings is the sorted, distinct, non-empty postings of ids.
func indexedPostings(ids []string) []string {
	return slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(ids))), func(p string) bool { return p == "" })
}
