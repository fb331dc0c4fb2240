package lever

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// recordKeys is the part of any record DecodeRecord needs.
type recordKeys struct {
	ID        string          `json:"id"`
	Text      *string         `json:"text"`
	UpdatedAt json.RawMessage `json:"updatedAt"`
	// Applications are objects with expand=applications, id strings
	// without it.
	Applications []json.RawMessage `json:"applications"`
	// Name and Emails of an opportunity, for the store's candidate search.
	Name   string   `json:"name"`
	Emails []string `json:"emails"`
}

// DecodeRecord turns one element of a page's data into a Record of resource
// r: its key (id, or text for sources and tags), updatedAt, and for
// opportunities the postings it applied to. parent is the opportunity id of a
// per-opportunity detail record, "" otherwise.
func DecodeRecord(r Resource, raw json.RawMessage, parent string) (Record, error) {
	var k recordKeys
	if err := json.Unmarshal(raw, &k); err != nil {
		return Record{}, fmt.Errorf("decode %s record: %w", r, err)
	}
	rec := Record{ID: k.ID, Raw: bytes.Clone(raw), Parent: parent}
	if r.TextKeyed() {
		if k.Text == nil {
			return Record{}, fmt.Errorf("decode %s record: no text", r)
		}
		rec.ID = *k.Text
	}
	if rec.ID == "" {
		return Record{}, fmt.Errorf("decode %s record: no id", r)
	}
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
