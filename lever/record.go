package lever

import (
	"encoding/json"
	"fmt"
	"slices"
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
	// Name and Emails of an opportunity, for the store's candidate search;
	// read as such only for one, as the one-pass read does, since other
	// kinds of record may use the names otherwise.
	Name   json.RawMessage `json:"name"`
	Emails json.RawMessage `json:"emails"`
}

// DecodeRecord turns one element of a page's data into a Record of resource
// r: its key (id, or text for sources and tags), createdAt and updatedAt,
// and for opportunities the postings it applied to. parent is the
// opportunity id of a per-opportunity detail record, "" otherwise. The
// record's Raw is raw itself, not a copy: a page's bytes are never changed
// once read.
func DecodeRecord(r Resource, raw json.RawMessage, parent string) (Record, error) {
	s := scanner{b: raw}
	k, ok := s.keys()
	if !ok || !s.end() {
		k = nil
	}
	return k.decode(r, raw, parent)
}

// Record decodes the page's record i as DecodeRecord does, from the keys
// read with the page, so each record is read once.
func (p Page) Record(i int, r Resource, parent string) (Record, error) {
	var k *recordKeyTokens
	if i < len(p.keys) {
		k = p.keys[i]
	}
	return k.decode(r, p.Data[i], parent)
}

// decode builds the record from the keys read in one pass, or with
// encoding/json where there are none (k is nil) or they need it.
func (k *recordKeyTokens) decode(r Resource, raw json.RawMessage, parent string) (Record, error) {
	if k != nil {
		if rec, ok := k.record(r, raw, parent); ok {
			return rec, nil
		}
	}
	rec, err := decodeRecordSlow(r, raw)
	if err != nil {
		return Record{}, err
	}
	rec.Raw, rec.Parent = raw, parent
	return rec, nil
}

// recordKeyTokens are the fields of a record DecodeRecord needs, as read in
// one pass: the id and text string tokens (nil when absent or null), the
// timestamps' values, and the postings of its applications.
type recordKeyTokens struct {
	id, text           []byte
	created, updated   []byte
	postings           []string
	postingsUnreadable bool
	// name and emails are the values' tokens, read as an opportunity's
	// only when the record is one.
	name, emails []byte
}

// keys reads the top-level fields of the object at s.i; ok is false for
// what encoding/json would read differently or refuse (a key that matches
// only ignoring case, an id or text that is not a string, applications that
// are not a list, invalid JSON), which the callers leave to it.
func (s *scanner) keys() (k *recordKeyTokens, ok bool) {
	k = &recordKeyTokens{}
	str := func(dst *[]byte) bool {
		switch s.peek() {
		case 'n':
			*dst = nil
			return s.literal("null")
		case '"':
			v, ok := s.span()
			*dst = v
			return ok
		}
		return false
	}
	ok = s.object(func(key string) bool {
		switch key {
		case "id":
			return str(&k.id)
		case "text":
			return str(&k.text)
		case "createdAt":
			v, ok := s.span()
			k.created = v
			return ok
		case "updatedAt":
			v, ok := s.span()
			k.updated = v
			return ok
		case "name":
			v, ok := s.span()
			k.name = v
			return ok
		case "emails":
			v, ok := s.span()
			k.emails = v
			return ok
		case "applications":
			k.postings, k.postingsUnreadable = k.postings[:0], false
			if s.peek() == 'n' {
				return s.literal("null")
			}
			return s.array(func() bool {
				if s.peek() != '{' {
					return s.value() // an application id: no posting to index
				}
				posting := ""
				ok := s.object(func(key string) bool {
					if key != "posting" {
						return !foldsTo(key, "posting") && s.value()
					}
					s.space()
					start := s.i
					id, ok := s.postingRef()
					if !ok {
						// Escaped: leave the record to encoding/json.
						k.postingsUnreadable = true
						s.i = start
						return s.value()
					}
					posting = id // the last one, as encoding/json keeps
					return true
				})
				if ok && posting != "" {
					k.postings = append(k.postings, posting)
				}
				return ok
			})
		}
		if foldsTo(key, "id", "text", "createdAt", "updatedAt", "applications", "name", "emails") {
			return false
		}
		return s.value()
	})
	return k, ok
}

// record builds the Record of resource r; ok is false when a key needs
// encoding/json (an escaped id) or the record has no key, so DecodeRecord
// decides and words the error.
func (k *recordKeyTokens) record(r Resource, raw json.RawMessage, parent string) (Record, bool) {
	keyToken := k.id
	if r.TextKeyed() {
		keyToken = k.text
	}
	id, ok := plainString(keyToken)
	if !ok || id == "" || (r == Opportunities && k.postingsUnreadable) {
		return Record{}, false
	}
	if k.id != nil {
		if _, ok := plainString(k.id); !ok {
			return Record{}, false
		}
	}
	rec := Record{ID: id, Raw: raw, Parent: parent, CreatedAt: millis(k.created), UpdatedAt: millis(k.updated)}
	if r == Opportunities {
		if len(k.postings) > 0 {
			rec.PostingIDs = slices.Clone(k.postings)
		}
		if rec.Name, rec.Emails, ok = k.person(); !ok {
			return Record{}, false
		}
	}
	return rec, true
}

// person reads an opportunity's name and emails from their tokens; ok is
// false for what encoding/json should read (escapes, a name that is not a
// string, emails that are not a list of strings).
func (k *recordKeyTokens) person() (name string, emails []string, ok bool) {
	if k.name != nil {
		if name, ok = plainString(k.name); !ok {
			return "", nil, false
		}
	}
	if k.emails == nil || string(k.emails) == "null" {
		return name, nil, true
	}
	s := scanner{b: k.emails}
	ok = s.array(func() bool {
		e, ok := s.plainStr()
		emails = append(emails, e)
		return ok
	})
	if !ok || !s.end() {
		return "", nil, false
	}
	return name, emails, true
}

// plainString is the content of a string token without escapes, in valid
// UTF-8; ok is false otherwise.
func plainString(tok []byte) (string, bool) {
	if len(tok) < 2 {
		return "", false
	}
	s := scanner{b: tok}
	v, ok := s.plainStr()
	return v, ok && s.i == len(tok)
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

// decodeRecordSlow is DecodeRecord with encoding/json, for what the scanner
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
		for _, f := range []struct {
			raw json.RawMessage
			dst any
		}{{k.Name, &rec.Name}, {k.Emails, &rec.Emails}} {
			if f.raw == nil {
				continue
			}
			if err := json.Unmarshal(f.raw, f.dst); err != nil {
				return Record{}, fmt.Errorf("decode %s record: %w", r, err)
			}
		}
		for _, raw := range k.Applications {
			var a struct {
				Posting json.RawMessage `json:"posting"`
			}
			if json.Unmarshal(raw, &a) != nil {
				continue // an application id: no posting to index
			}
			if id := RefID(a.Posting); id != "" {
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

// RefID is the id of a reference Lever sends as an id string, or as an
// expanded object with an id (a posting, a stage, an owner).
func RefID(raw json.RawMessage) string {
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
