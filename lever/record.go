package lever

import (
	"encoding/json"
	"fmt"
)

// recordKeys is the part of any record DecodeRecord needs.
type recordKeys struct {
	ID        string          `json:"id"`
	Text      *string         `json:"text"`
	CreatedAt json.RawMessage `json:"createdAt"`
	UpdatedAt json.RawMessage `json:"updatedAt"`
	// Applications are objects with expand=applications, id strings
	// without it.
	Applications []json.RawMessage `json:"applications"`
	// Name and Emails of an opportunity, for the store's candidate search.
	Name   string   `json:"name"`
	Emails []string `json:"emails"`
}

// DecodeRecord turns one element of a page's data into a Record of resource
// r: its key (id, or text for sources and tags), createdAt and updatedAt,
// and for opportunities the postings it applied to. parent is the
// opportunity id of a per-opportunity detail record, "" otherwise. The
// record's Raw is raw itself, not a copy: a page's bytes are never changed
// once read.
func DecodeRecord(r Resource, raw json.RawMessage, parent string) (Record, error) {
	rec, ok := scanRecord(r, raw)
	if !ok {
		var err error
		if rec, err = decodeRecordSlow(r, raw); err != nil {
			return Record{}, err
		}
	}
	rec.Raw, rec.Parent = raw, parent
	return rec, nil
}

// scanRecord reads the keys of the usual record in one pass over its
// top-level fields; ok is false for anything else (escapes, nulls where a
// string belongs, invalid JSON), which DecodeRecord leaves to
// encoding/json.
func scanRecord(r Resource, raw []byte) (rec Record, ok bool) {
	s := scanner{b: raw}
	var text string
	hasText := false
	ok = s.object(func(key string) bool {
		var ok bool
		switch key {
		case "id":
			rec.ID, ok = s.plainStr()
			return ok
		case "text":
			if !r.TextKeyed() {
				return s.value()
			}
			text, ok = s.plainStr()
			hasText = ok
			return ok
		case "createdAt", "updatedAt":
			v, ok := s.span()
			if key == "createdAt" {
				rec.CreatedAt = millis(v)
			} else {
				rec.UpdatedAt = millis(v)
			}
			return ok
		case "name":
			if r != Opportunities {
				return s.value()
			}
			rec.Name, ok = s.plainStr()
			return ok
		case "emails":
			if r != Opportunities || s.peek() == 'n' {
				return s.value()
			}
			rec.Emails = rec.Emails[:0]
			return s.array(func() bool {
				e, ok := s.plainStr()
				rec.Emails = append(rec.Emails, e)
				return ok
			})
		case "applications":
			if r != Opportunities || s.peek() == 'n' {
				return s.value()
			}
			rec.PostingIDs = rec.PostingIDs[:0]
			return s.array(func() bool {
				if s.peek() != '{' {
					return s.value() // an application id: no posting to index
				}
				return s.object(func(key string) bool {
					if key != "posting" {
						return !foldsTo(key, "posting") && s.value()
					}
					id, ok := s.postingRef()
					if ok && id != "" {
						rec.PostingIDs = append(rec.PostingIDs, id)
					}
					return ok
				})
			})
		}
		if foldsTo(key, "id", "text", "createdAt", "updatedAt", "applications", "name", "emails") {
			return false
		}
		return s.value()
	})
	if r.TextKeyed() {
		rec.ID = text
		if !hasText {
			return Record{}, false
		}
	}
	if !ok || !s.end() || rec.ID == "" {
		return Record{}, false
	}
	if len(rec.PostingIDs) == 0 {
		rec.PostingIDs = nil
	}
	if len(rec.Emails) == 0 {
		rec.Emails = nil
	}
	return rec, true
}

// postingRef reads a posting given as an id string or as an expanded object
// with an id.
func (s *scanner) postingRef() (string, bool) {
	if s.peek() != '{' {
		if s.peek() != '"' {
			return "", s.value() // null or another type: no posting
		}
		return s.plainStr()
	}
	var id string
	ok := s.object(func(key string) bool {
		if key != "id" || s.peek() != '"' {
			return !foldsTo(key, "id") && s.value()
		}
		var ok bool
		id, ok = s.plainStr()
		return ok
	})
	return id, ok
}

// decodeRecordSlow is DecodeRecord with encoding/json, for what scanRecord
// does not read; it also words the errors.
func decodeRecordSlow(r Resource, raw json.RawMessage) (Record, error) {
	var k recordKeys
	if err := json.Unmarshal(raw, &k); err != nil {
		return Record{}, fmt.Errorf("decode %s record: %w", r, err)
	}
	rec := Record{ID: k.ID}
	if r.TextKeyed() {
		if k.Text == nil {
			return Record{}, fmt.Errorf("decode %s record: no text", r)
		}
		rec.ID = *k.Text
	}
	if rec.ID == "" {
		return Record{}, fmt.Errorf("decode %s record: no id", r)
	}
	rec.CreatedAt = millis(k.CreatedAt)
	rec.UpdatedAt = millis(k.UpdatedAt)
	if r == Opportunities {
		rec.Name, rec.Emails = k.Name, k.Emails
		for _, raw := range k.Applications {
			var a struct {
				Posting json.RawMessage `json:"posting"`
			}
			if json.Unmarshal(raw, &a) != nil {
				continue // an application id: no posting to index
			}
			if id := postingRef(a.Posting); id != "" {
				rec.PostingIDs = append(rec.PostingIDs, id)
			}
		}
	}
	return rec, nil
}

// millis reads a timestamp that may be a number, null or absent.
func millis(raw json.RawMessage) int64 {
	if len(raw) > 0 && len(raw) <= 18 {
		// The usual case, plain digits, without allocating.
		var v int64
		digits := true
		for _, c := range raw {
			if !isDigit(c) {
				digits = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if digits {
			return v
		}
	}
	var n json.Number
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil {
		return 0
	}
	v, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil {
			return 0
		}
		return int64(f)
	}
	return v
}

// postingRef accepts a posting given as an id string or as an expanded
// object with an id.
func postingRef(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return ""
}
