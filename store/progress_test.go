package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func TestCreatedSpansPerRange(t *testing.T) {
	s := newStore(t)
	var recs []lever.Record
	for i, created := range []int64{10, 40, 60, 150, 170, 0} {
		id := fmt.Sprintf("opp-%d", i)
		recs = append(recs, record(lever.Opportunities, id, "", fmt.Sprintf(`{"id":%q,"name":"x","createdAt":%d}`, id, created)))
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: recs})
	spans, err := s.CreatedSpans([][2]int64{{0, 99}, {100, 199}, {200, 299}})
	if err != nil {
		t.Fatal(err)
	}
	want := []CreatedSpan{{Count: 3, Oldest: 10, Newest: 60}, {Count: 2, Oldest: 150, Newest: 170}, {}}
	if !slices.Equal(spans, want) {
		t.Errorf("spans %+v, want %+v (a record without createdAt counts nowhere)", spans, want)
	}
}
