package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// Counts returns the number of live records per resource.
func (s *Store) Counts() (map[lever.Resource]int, error) {
	return s.counts(func(r lever.Resource) []byte { return []byte(r) })
}

// DeletedCounts returns the number of tombstones per resource.
func (s *Store) DeletedCounts() (map[lever.Resource]int, error) {
	return s.counts(tombstoneBucket)
}

func (s *Store) counts(key func(lever.Resource) []byte) (map[lever.Resource]int, error) {
	out := make(map[lever.Resource]int, len(lever.AllResources))
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounts)
		for _, r := range lever.AllResources {
			out[r] = 0
			if b == nil {
				continue
			}
			if v := b.Get(key(r)); len(v) == 8 {
				out[r] = int(binary.BigEndian.Uint64(v))
			}
		}
		return nil
	})
	return out, err
}

// PostingSummary is one job as the Jobs page lists it.
type PostingSummary struct {
	ID           string `json:"id"`
	Text         string `json:"text"`
	State        string `json:"state"`
	Team         string `json:"team,omitempty"`
	Department   string `json:"department,omitempty"`
	Location     string `json:"location,omitempty"`
	Commitment   string `json:"commitment,omitempty"`
	Confidential bool   `json:"confidential"`
	// Candidates counts the stored opportunities that applied to it.
	Candidates int   `json:"candidates"`
	CreatedAt  int64 `json:"createdAt,omitempty"`
	UpdatedAt  int64 `json:"updatedAt,omitempty"`
}

// postingView is the part of a Lever posting the summary reads.
type postingView struct {
	ID              string `json:"id"`
	Text            string `json:"text"`
	State           string `json:"state"`
	Confidentiality string `json:"confidentiality"`
	Categories      struct {
		Team       string `json:"team"`
		Department string `json:"department"`
		Location   string `json:"location"`
		Commitment string `json:"commitment"`
	} `json:"categories"`
	CreatedAt json.Number `json:"createdAt"`
	UpdatedAt json.Number `json:"updatedAt"`
}

// Postings lists every stored posting with its candidate count, sorted by
// title (case-insensitive, then id). A posting whose JSON cannot be read is listed by id.
func (s *Store) Postings() ([]PostingSummary, error) {
	var out []PostingSummary
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(lever.Postings))
		if b == nil {
			return nil
		}
		counts := candidatesPerPosting(tx)
		var buf []byte
		return b.ForEach(func(k, v []byte) error {
			var err error
			if buf, err = s.codec.decode(v, buf[:0]); err != nil {
				return s.unreadable(lever.Postings, k, err)
			}
			var p postingView
			_ = json.Unmarshal(buf, &p)
			id := string(k)
			out = append(out, PostingSummary{
				ID: id, Text: p.Text, State: p.State,
				Team: p.Categories.Team, Department: p.Categories.Department,
				Location: p.Categories.Location, Commitment: p.Categories.Commitment,
				Confidential: p.Confidentiality == "confidential",
				Candidates:   counts[id],
				CreatedAt:    number(p.CreatedAt), UpdatedAt: number(p.UpdatedAt),
			})
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Text), strings.ToLower(out[j].Text)
		if a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// candidatesPerPosting counts index entries per posting in one pass.
func candidatesPerPosting(tx *bolt.Tx) map[string]int {
	counts := map[string]int{}
	idx := tx.Bucket(bucketPostingIndex)
	if idx == nil {
		return counts
	}
	_ = idx.ForEach(func(k, _ []byte) error {
		if posting, _, ok := parseIndexKey(k); ok {
			counts[posting]++
		}
		return nil
	})
	return counts
}

func number(n json.Number) int64 {
	if v, err := n.Int64(); err == nil {
		return v
	}
	if f, err := n.Float64(); err == nil {
		return int64(f)
	}
	return 0
}

// CandidateSummary is one opportunity as a job's candidate list shows it.
type CandidateSummary struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email,omitempty"`
	StageID   string `json:"stageId,omitempty"`
	StageText string `json:"stage,omitempty"`
	Origin    string `json:"origin,omitempty"`
	Archived  bool   `json:"archived"`
	// ArchiveReason is the reason's text, or its id when unknown.
	ArchiveReason string `json:"archiveReason,omitempty"`
	// Owner is the owning user's name, or their id when unknown.
	Owner     string `json:"owner,omitempty"`
	CreatedAt int64  `json:"createdAt,omitempty"`
	UpdatedAt int64  `json:"updatedAt,omitempty"`
	// Jobs are the titles of the postings the candidate applied to; only a
	// search across jobs fills them in.
	Jobs []string `json:"jobs,omitempty"`
}

// opportunityView is the part of a Lever opportunity the summary reads.
// stage may be an id or an expanded {id, text}; archived may be
// {archivedAt, reason}, null, or absent with top-level archivedAt and
// archiveReason as in Lever's docs.
type opportunityView struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Emails        []string        `json:"emails"`
	Stage         json.RawMessage `json:"stage"`
	Origin        string          `json:"origin"`
	Archived      *archivedView   `json:"archived"`
	ArchivedAt    json.Number     `json:"archivedAt"`
	ArchiveReason json.RawMessage `json:"archiveReason"`
	Owner         json.RawMessage `json:"owner"`
	CreatedAt     json.Number     `json:"createdAt"`
	UpdatedAt     json.Number     `json:"updatedAt"`
}

type archivedView struct {
	ArchivedAt json.Number     `json:"archivedAt"`
	Reason     json.RawMessage `json:"reason"`
}

// OpportunitiesOfPosting lists the stored opportunities that applied to
// postingID, with stage and archive reason texts resolved, sorted by name
// (case-insensitive, then id).
func (s *Store) OpportunitiesOfPosting(postingID string) ([]CandidateSummary, error) {
	var out []CandidateSummary
	err := s.view(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketPostingIndex)
		opps := tx.Bucket([]byte(lever.Opportunities))
		if idx == nil || opps == nil || postingID == "" {
			return nil
		}
		var failed error
		look := s.newLookups(tx, &failed)
		prefix := indexKey(postingID, "")
		c := idx.Cursor()
		var buf []byte
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			_, id, ok := parseIndexKey(k)
			if !ok {
				return corruptError(s.path, fmt.Sprintf("a bad posting index key %q", k), nil)
			}
			v := opps.Get([]byte(id))
			if v == nil {
				continue
			}
			var err error
			if buf, err = s.codec.decode(v, buf[:0]); err != nil {
				return s.unreadable(lever.Opportunities, []byte(id), err)
			}
			out = append(out, summarizeOpportunity(id, buf, look))
		}
		return failed
	})
	sortByName(out)
	return out, err
}

// lookups resolve ids to names within one read transaction, decoding each
// record at most once.
type lookups struct {
	stage, reason, user, posting func(id string) string
}

func (s *Store) newLookups(tx *bolt.Tx, failed *error) lookups {
	return lookups{
		stage:   s.fieldOf(tx, lever.Stages, "text", failed),
		reason:  s.fieldOf(tx, lever.ArchiveReasons, "text", failed),
		user:    s.fieldOf(tx, lever.Users, "name", failed),
		posting: s.fieldOf(tx, lever.Postings, "text", failed),
	}
}

func summarizeOpportunity(id string, raw []byte, look lookups) CandidateSummary {
	var o opportunityView
	_ = json.Unmarshal(raw, &o)
	cs := CandidateSummary{ID: id, Name: o.Name, Origin: o.Origin,
		CreatedAt: number(o.CreatedAt), UpdatedAt: number(o.UpdatedAt)}
	if len(o.Emails) > 0 {
		cs.Email = o.Emails[0]
	}
	var stageText string
	cs.StageID, stageText = ref(o.Stage, "text")
	if stageText == "" {
		stageText = look.stage(cs.StageID)
	}
	cs.StageText = stageText
	reason := o.ArchiveReason
	switch {
	case o.Archived != nil:
		cs.Archived = true
		reason = o.Archived.Reason
	case o.ArchivedAt != "" || isSet(o.ArchiveReason):
		cs.Archived = true
	}
	if cs.Archived {
		rid, rtext := ref(reason, "text")
		if rtext == "" {
			rtext = look.reason(rid)
		}
		if rtext == "" {
			rtext = rid
		}
		cs.ArchiveReason = rtext
	}
	if oid, oname := ref(o.Owner, "name"); oid != "" || oname != "" {
		if oname == "" {
			oname = look.user(oid)
		}
		if oname == "" {
			oname = oid
		}
		cs.Owner = oname
	}
	return cs
}

func isSet(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// ref reads a reference that is an id string or an expanded object with an
// id and its label field ("text" for stages and archive reasons, "name" for
// users).
func ref(raw json.RawMessage, label string) (id, text string) {
	if !isSet(raw) {
		return "", ""
	}
	if json.Unmarshal(raw, &id) == nil {
		return id, ""
	}
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(raw, &obj)
	_ = json.Unmarshal(obj["id"], &id)
	_ = json.Unmarshal(obj[label], &text)
	return id, text
}

// fieldOf returns a lookup of one string field of r's records by id,
// decoding each record at most once. A record that cannot be read has no
// text, and sets *failed.
func (s *Store) fieldOf(tx *bolt.Tx, r lever.Resource, field string, failed *error) func(id string) string {
	b := tx.Bucket([]byte(r))
	seen := map[string]string{}
	var buf []byte
	return func(id string) string {
		if id == "" || b == nil {
			return ""
		}
		if t, ok := seen[id]; ok {
			return t
		}
		var v map[string]json.RawMessage
		var text string
		if raw := b.Get([]byte(id)); raw != nil {
			var err error
			if buf, err = s.codec.decode(raw, buf[:0]); err != nil {
				*failed = s.unreadable(r, []byte(id), err)
			} else if json.Unmarshal(buf, &v) == nil {
				_ = json.Unmarshal(v[field], &text)
			}
		}
		seen[id] = text
		return text
	}
}
