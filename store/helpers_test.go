package store

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// newStore opens a fresh store in a folder the store creates itself.
func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "leversync.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// opportunityJSON is an opportunity in Lever's real shape, about 2 KB.
func opportunityJSON(id string, updatedAt int64, postings ...string) json.RawMessage {
	apps := make([]map[string]any, 0, len(postings))
	for _, p := range postings {
		apps = append(apps, map[string]any{"id": "app-" + id + "-" + p, "type": "posting", "posting": p, "createdAt": 1700000000000})
	}
	o := map[string]any{
		"id": id, "name": "Candidate " + id, "contact": "contact-" + id,
		"headline":        "Senior engineer, " + strings.Repeat("distributed systems and data pipelines; ", 25),
		"stage":           "lead-new",
		"confidentiality": "non-confidential",
		"location":        "Lisbon, Portugal",
		"phones":          []map[string]string{{"type": "mobile", "value": "+351 912 345 678"}},
		"emails":          []string{id + "@example.com"},
		"links":           []string{"https://example.com/" + id, "https://example.org/portfolio/" + id},
		"archived":        nil,
		"tags":            []string{"backend", "go", "referral"},
		"sources":         []string{"LinkedIn"},
		"stageChanges": []map[string]any{
			{"toStageId": "lead-new", "toStageIndex": 0, "updatedAt": 1700000000000, "userId": "user-1"},
			{"toStageId": "lead-reached-out", "toStageIndex": 1, "updatedAt": 1700000100000, "userId": "user-2"},
		},
		"origin": "sourced", "sourcedBy": "user-1", "owner": "user-2",
		"followers":    []string{"user-1", "user-2", "user-3"},
		"applications": apps,
		"createdAt":    1700000000000, "updatedAt": updatedAt,
		"lastInteractionAt": 1700000200000, "lastAdvancedAt": 1700000100000,
		"snoozedUntil": nil,
		"urls":         map[string]string{"list": "https://hire.lever.co/candidates", "show": "https://hire.lever.co/candidates/" + id},
		"isAnonymized": false, "dataProtection": nil,
	}
	if updatedAt == 0 {
		o["updatedAt"] = nil
	}
	raw, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return raw
}

func opportunity(id string, updatedAt int64, postings ...string) lever.Record {
	raw := opportunityJSON(id, updatedAt, postings...)
	rec, err := lever.DecodeRecord(lever.Opportunities, raw, "")
	if err != nil {
		panic(err)
	}
	return rec
}

func record(r lever.Resource, id, parent, js string) lever.Record {
	rec, err := lever.DecodeRecord(r, json.RawMessage(js), parent)
	if err != nil {
		panic(fmt.Sprintf("%s %s: %v", r, id, err))
	}
	if rec.ID != id {
		panic(fmt.Sprintf("record id %q, want %q", rec.ID, id))
	}
	return rec
}

func mustCommit(t testing.TB, s *Store, batches ...syncer.Batch) {
	t.Helper()
	if err := s.Commit(batches...); err != nil {
		t.Fatal(err)
	}
}

func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// stored returns the raw JSON of a record, nil if absent.
func stored(t testing.TB, s *Store, r lever.Resource, id string) []byte {
	t.Helper()
	var out []byte
	err := s.Export(r, false, func(got string, raw []byte) error {
		if got == id {
			out = append([]byte(nil), raw...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func exportIDs(t testing.TB, s *Store, r lever.Resource, includeDeleted bool) []string {
	t.Helper()
	var ids []string
	if err := s.Export(r, includeDeleted, func(id string, _ []byte) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}

func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %q", err, target)
	}
}
