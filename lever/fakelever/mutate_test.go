package fakelever

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMutationsShowInUpdatedAtAndDeletedLists(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	s, c := start(t, Config{Seed: 11, Opportunities: 600, Rate: -1, Now: clock.now})
	since := clock.t.UnixMilli()
	none := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"updated_at_start": {strconv.FormatInt(since, 10)}, "confidentiality": {"all"}})
	if len(none) != 0 {
		t.Fatalf("%d opportunities updated before any mutation", len(none))
	}
	clock.t = clock.t.Add(time.Minute)
	updated := s.UpdateOpportunities(7)
	clock.t = clock.t.Add(time.Minute)
	deleted := s.DeleteOpportunities(4)
	if len(updated) != 7 || len(deleted) != 4 {
		t.Fatalf("updated %d, deleted %d", len(updated), len(deleted))
	}
	got := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"updated_at_start": {strconv.FormatInt(since, 10)}, "confidentiality": {"all"}, "expand": {"applications"}, "limit": {"3"}})
	want := map[string]json.RawMessage{}
	exp := s.Expected("opportunities")
	for _, id := range updated {
		if _, gone := s.Deleted("opportunities")[id]; !gone {
			want[id] = exp[id]
		}
	}
	sameRecords(t, "updated opportunities", got, want)
	for id, raw := range got {
		var o struct{ UpdatedAt int64 }
		_ = json.Unmarshal(raw, &o)
		if o.UpdatedAt != since+60_000 {
			t.Errorf("%s updatedAt %d, want %d", id, o.UpdatedAt, since+60_000)
		}
	}

	all := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"confidentiality": {"all"}})
	if len(all) != 596 {
		t.Errorf("%d opportunities listed after 4 deletions of 600", len(all))
	}
	q := url.Values{"deleted_at_start": {strconv.FormatInt(since, 10)}, "deleted_at_end": {strconv.FormatInt(clock.t.UnixMilli(), 10)}, "limit": {"3"}}
	dels := pageAll(t, c, s.URL(), KeyFull, "/opportunities/deleted", q)
	if len(dels) != 4 {
		t.Fatalf("%d deletions listed, want 4", len(dels))
	}
	for _, id := range deleted {
		if _, ok := all[id]; ok {
			t.Errorf("deleted %s still listed", id)
		}
		if string(dels[id]) != `{"id":"`+id+`","deletedAt":`+strconv.FormatInt(clock.t.UnixMilli(), 10)+`}` {
			t.Errorf("deletion record %s", dels[id])
		}
		get(t, c, s.URL(), KeyFull, "/opportunities/"+id, "").apiError(t, 404, "ResourceNotFound")
	}
	if d := s.Deleted("opportunities"); len(d) != 4 || !slices.Equal(sortedKeys(d), slices.Sorted(slices.Values(deleted))) {
		t.Errorf("Deleted = %v", d)
	}

	// The deleted window: both ends required, at most 30 days.
	end := clock.t.UnixMilli()
	for _, bad := range []string{
		"deleted_at_start=" + strconv.FormatInt(since, 10),
		"deleted_at_end=" + strconv.FormatInt(end, 10),
		"",
		"deleted_at_start=" + strconv.FormatInt(end-31*86_400_000, 10) + "&deleted_at_end=" + strconv.FormatInt(end, 10),
		"deleted_at_start=" + strconv.FormatInt(end, 10) + "&deleted_at_end=" + strconv.FormatInt(since, 10),
	} {
		get(t, c, s.URL(), KeyFull, "/opportunities/deleted", bad).apiError(t, 400, "BadRequestError")
	}
	get(t, c, s.URL(), KeyFull, "/opportunities/deleted", "deleted_at_start="+strconv.FormatInt(end-30*86_400_000, 10)+"&deleted_at_end="+strconv.FormatInt(end, 10)).envelope(t)
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestPagingStableWhileRecordsChange(t *testing.T) {
	s, c := start(t, Config{Seed: 4, Opportunities: 500, Rate: -1})
	seen := map[string]bool{}
	offset := ""
	var deletedLater []string
	for page := 0; ; page++ {
		q := url.Values{"confidentiality": {"all"}, "limit": {"40"}}
		if offset != "" {
			q.Set("offset", offset)
		}
		e := get(t, c, s.URL(), KeyFull, "/opportunities", q.Encode()).envelope(t)
		for _, raw := range e.Data {
			id := recordKey(t, raw)
			if seen[id] {
				t.Fatalf("%s served twice", id)
			}
			seen[id] = true
		}
		// Between pages, delete and update records on both sides of the cursor.
		if page < 5 {
			deletedLater = append(deletedLater, s.DeleteOpportunities(6)...)
			s.UpdateOpportunities(6)
		}
		if !e.HasNext {
			break
		}
		offset = *e.Next
	}
	for id := range s.Expected("opportunities") {
		if !seen[id] {
			t.Errorf("live opportunity %s never served", id)
		}
	}
	if len(deletedLater) != 30 {
		t.Fatalf("deleted %d", len(deletedLater))
	}
}

func TestPostingMutationsAndRules(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	s, c := start(t, Config{Seed: 8, Opportunities: 800, Rate: -1, Now: clock.now})
	since := strconv.FormatInt(clock.t.UnixMilli(), 10)
	up := s.UpdatePostings(3)
	del := s.DeletePostings(2)
	got := pageAll(t, c, s.URL(), KeyFull, "/postings", url.Values{"updated_at_start": {since}, "confidentiality": {"all"}})
	for _, id := range up {
		if _, gone := s.Deleted("postings")[id]; !gone && got[id] == nil {
			t.Errorf("updated posting %s not in the updated_at list", id)
		}
	}
	for _, id := range del {
		if got[id] != nil {
			t.Errorf("deleted posting %s listed", id)
		}
	}
	dl := pageAll(t, c, s.URL(), KeyFull, "/postings/deleted", url.Values{"deleted_at_start": {since}, "deleted_at_end": {since}})
	if len(dl) != 2 {
		t.Errorf("%d posting deletions, want 2", len(dl))
	}
	for _, f := range []string{"state=published", "distributionChannel=internal", "team=Platform"} {
		get(t, c, s.URL(), KeyFull, "/postings", "updated_at_start="+since+"&"+f).apiError(t, 400, "BadRequestError")
	}
	get(t, c, s.URL(), KeyFull, "/postings", "state=bogus").apiError(t, 400, "BadRequestError")
	get(t, c, s.URL(), KeyFull, "/postings", "distributionChannel=bogus").apiError(t, 400, "BadRequestError")
}

// An anonymized opportunity is listed as changed, with isAnonymized and
// none of the candidate's personal data.
func TestAnonymizeRemovesPersonalData(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	s, c := start(t, Config{Seed: 14, Opportunities: 200, Rate: -1, Now: clock.now})
	before := s.Expected("opportunities")
	since := clock.t.UnixMilli()
	ids := s.AnonymizeOpportunities(20)
	if len(ids) != 20 {
		t.Fatalf("anonymized %d, want 20", len(ids))
	}
	got := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"updated_at_start": {strconv.FormatInt(since, 10)}, "confidentiality": {"all"}, "expand": {"applications", "contact"}})
	if len(got) != 20 {
		t.Fatalf("%d opportunities listed as changed, want the 20 anonymized", len(got))
	}
	for _, id := range ids {
		var was struct {
			Name   string
			Emails []string
			Phones []struct{ Value string }
		}
		if err := json.Unmarshal(before[id], &was); err != nil || was.Name == "" || len(was.Emails) == 0 {
			t.Fatalf("%s before: %v %s", id, err, before[id])
		}
		raw := string(got[id])
		var now struct{ IsAnonymized bool }
		if err := json.Unmarshal(got[id], &now); err != nil || !now.IsAnonymized {
			t.Errorf("%s: not marked anonymized: %s", id, raw)
		}
		for _, personal := range append([]string{was.Name, was.Emails[0]}, phoneValues(was.Phones)...) {
			if strings.Contains(raw, personal) {
				t.Errorf("%s still holds %q: %s", id, personal, raw)
			}
		}
		if string(s.Expected("opportunities")[id]) == string(before[id]) {
			t.Errorf("%s: Expected did not follow the anonymization", id)
		}
	}
}

func phoneValues(ps []struct{ Value string }) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Value)
	}
	return out
}
