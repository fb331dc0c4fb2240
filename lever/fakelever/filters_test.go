package fakelever

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
)

// Filters must agree with the records' own fields, at every window edge.
func TestTimeWindowFilters(t *testing.T) {
	t.Parallel()
	s, c := start(t, Config{Seed: 13, Opportunities: 900, Rate: -1})
	type opp struct {
		ID        string
		CreatedAt int64
		UpdatedAt *int64
		Archived  *json.RawMessage
		Apps      []struct{ Posting string } `json:"applications"`
	}
	var all []opp
	for _, raw := range s.Expected("opportunities") {
		var o opp
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		all = append(all, o)
	}
	ms := func(v int64) string { return strconv.FormatInt(v, 10) }
	check := func(name string, q url.Values, want func(o opp) bool) {
		t.Helper()
		q.Set("confidentiality", "all")
		q.Set("expand", "applications")
		q.Set("limit", "50")
		got := pageAll(t, c, s.URL(), KeyFull, "/opportunities", q)
		n := 0
		for _, o := range all {
			_, in := got[o.ID]
			if in != want(o) {
				t.Fatalf("%s: %s (created %d) listed=%v", name, o.ID, o.CreatedAt, in)
			}
			if in {
				n++
			}
		}
		if n != len(got) || n == 0 {
			t.Fatalf("%s: %d listed, %d expected", name, len(got), n)
		}
	}
	// Windows that tile the whole range, with inclusive edges on real records.
	edge := all[100].CreatedAt
	check("created_at_end=edge", url.Values{"created_at_end": {ms(edge)}}, func(o opp) bool { return o.CreatedAt <= edge })
	check("created_at_start=edge", url.Values{"created_at_start": {ms(edge)}}, func(o opp) bool { return o.CreatedAt >= edge })
	lo, hi := all[300].CreatedAt, all[200].CreatedAt
	if lo > hi {
		lo, hi = hi, lo
	}
	check("created window", url.Values{"created_at_start": {ms(lo)}, "created_at_end": {ms(hi)}}, func(o opp) bool { return o.CreatedAt >= lo && o.CreatedAt <= hi })
	since := baseMs - 60*86_400_000
	check("updated_at_start", url.Values{"updated_at_start": {ms(since)}}, func(o opp) bool { return o.UpdatedAt != nil && *o.UpdatedAt >= since })
	check("archived=true", url.Values{"archived": {"true"}}, func(o opp) bool { return o.Archived != nil && string(*o.Archived) != "null" })
	check("archived=false", url.Values{"archived": {"false"}}, func(o opp) bool { return o.Archived == nil || string(*o.Archived) == "null" })
	posting := all[0].Apps[0].Posting
	check("posting_id", url.Values{"posting_id": {posting}}, func(o opp) bool { return o.Apps[0].Posting == posting })
	get(t, c, s.URL(), KeyFull, "/opportunities", "created_at_start=yesterday").apiError(t, 400, "BadRequestError")
	get(t, c, s.URL(), KeyFull, "/opportunities", "archived=maybe").apiError(t, 400, "BadRequestError")
}

func TestPostingIncludeIsSubtractive(t *testing.T) {
	s, c := start(t, Config{Seed: 2, Opportunities: 100, Rate: -1})
	e := get(t, c, s.URL(), KeyFull, "/postings", "include=text&include=state&limit=3").envelope(t)
	for _, raw := range e.Data {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 3 || m["id"] == nil || m["text"] == nil || m["state"] == nil {
			t.Fatalf("include=text&include=state gave %s", raw)
		}
	}
}

func TestConcurrentPagingAndMutation(t *testing.T) {
	s, c := start(t, Config{Seed: 3, Opportunities: 400, Rate: -1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			s.UpdateOpportunities(3)
			s.DeleteOpportunities(1)
			s.UpdatePostings(1)
			_ = s.Stats()
		}
	}()
	got := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"confidentiality": {"all"}, "limit": {"25"}})
	<-done
	for id := range s.Expected("opportunities") {
		if got[id] == nil {
			t.Errorf("live %s not served", id)
		}
	}
	if n := s.Stats().ByPath["GET /opportunities"]; n < 16 {
		t.Errorf("ByPath counted %d list requests", n)
	}
}

func TestWindowsBeyondTheData(t *testing.T) {
	s, c := start(t, Config{Seed: 2, Opportunities: 120, Rate: -1})
	old := strconv.FormatInt(baseMs-100*spanMs, 10)
	future := strconv.FormatInt(baseMs+spanMs, 10)
	for _, q := range []string{
		"created_at_end=" + old,
		"created_at_start=" + future,
		"created_at_start=" + future + "&created_at_end=" + old,
	} {
		if e := get(t, c, s.URL(), KeyFull, "/opportunities", "confidentiality=all&"+q).envelope(t); len(e.Data) != 0 || e.HasNext {
			t.Errorf("%s: %d records, hasNext %v", q, len(e.Data), e.HasNext)
		}
	}
	all := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"confidentiality": {"all"}, "created_at_start": {old}, "created_at_end": {future}})
	if len(all) != 120 {
		t.Errorf("a window covering everything gave %d of 120", len(all))
	}
}
