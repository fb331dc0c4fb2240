package fakelever

import (
	"encoding/json"
	"net/url"
	"testing"
)

func TestDataIsRealisticAndDeterministic(t *testing.T) {
	t.Parallel()
	a, b := New(Config{Seed: 9}), New(Config{Seed: 9})
	other := New(Config{Seed: 10})
	for _, r := range []string{"opportunities", "postings", "users", "stages", "archive_reasons", "sources", "tags", "requisitions"} {
		x, y := a.Expected(r), b.Expected(r)
		sameRecords(t, r+" (same seed)", x, y)
		if r == "opportunities" {
			if len(x) != 2000 {
				t.Errorf("default opportunities %d", len(x))
			}
			for id := range other.Expected(r) {
				if _, ok := x[id]; ok {
					t.Fatal("different seeds share ids")
				}
			}
		}
	}

	var nullUpdated, confidential, archived, topLevelArchive, hired int
	origins := map[string]int{}
	hiredID := ""
	for _, raw := range a.Expected("archive_reasons") {
		var r struct{ ID, Text, Type string }
		_ = json.Unmarshal(raw, &r)
		if r.Text == "Hired" && r.Type == "hired" {
			hiredID = r.ID
		}
	}
	if hiredID == "" {
		t.Fatal("no Hired archive reason")
	}
	for _, raw := range a.Expected("opportunities") {
		var o struct {
			UpdatedAt       *int64
			Confidentiality string
			Origin          string
			Archived        *struct {
				ArchivedAt int64
				Reason     string
			}
			ArchiveReason *string
			Applications  []struct{ ID, Posting string }
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.UpdatedAt == nil {
			nullUpdated++
		}
		if o.Confidentiality == "confidential" {
			confidential++
		}
		if o.Archived != nil {
			archived++
			if o.Archived.Reason == hiredID {
				hired++
			}
		}
		if o.ArchiveReason != nil {
			topLevelArchive++
		}
		origins[o.Origin]++
		if len(o.Applications) != 1 || o.Applications[0].Posting == "" {
			t.Fatalf("applications %+v: want one inlined application with a posting", o.Applications)
		}
	}
	if nullUpdated < 120 || nullUpdated > 300 {
		t.Errorf("%d of 2000 have updatedAt null, want about 10%%", nullUpdated)
	}
	if confidential == 0 || archived == 0 || hired == 0 || topLevelArchive == 0 {
		t.Errorf("confidential %d, archived %d, hired %d, top-level archive %d", confidential, archived, hired, topLevelArchive)
	}
	for _, o := range []string{"agency", "applied", "internal", "referred", "sourced", "university"} {
		if origins[o] == 0 {
			t.Errorf("no %s opportunities", o)
		}
	}

	states := map[string]int{}
	var closedNullURLs, internalOnly, confPostings int
	for _, raw := range a.Expected("postings") {
		var p struct {
			State                string
			URLs                 *json.RawMessage
			DistributionChannels []string
			Confidentiality      string
		}
		_ = json.Unmarshal(raw, &p)
		states[p.State]++
		if p.State == "closed" && p.URLs == nil && p.DistributionChannels == nil {
			closedNullURLs++
		}
		if p.State == "published" && len(p.DistributionChannels) == 1 && p.DistributionChannels[0] == "internal" {
			internalOnly++
		}
		if p.Confidentiality == "confidential" {
			confPostings++
		}
	}
	for _, st := range postingStates {
		if states[st] == 0 {
			t.Errorf("no %s postings", st)
		}
	}
	if closedNullURLs == 0 || internalOnly == 0 || confPostings == 0 {
		t.Errorf("closed with null urls %d, internal-only %d, confidential %d", closedNullURLs, internalOnly, confPostings)
	}
	stages := a.Expected("stages")
	for _, id := range []string{"lead-new", "lead-reached-out", "lead-responded", "applicant-new", "offer"} {
		if stages[id] == nil {
			t.Errorf("no built-in stage %s", id)
		}
	}
	if len(stages) < 8 {
		t.Errorf("%d stages", len(stages))
	}
}

func TestSmallConfigStillCoversEveryPostingCase(t *testing.T) {
	s := New(Config{Seed: 1, Opportunities: 10})
	if n := len(s.Expected("postings")); n != 12 {
		t.Fatalf("%d postings, want the minimum 12", n)
	}
	if n := len(s.Expected("requisitions")); n != 6 {
		t.Fatalf("%d requisitions, want 6", n)
	}
}

func TestPostingChannelsAndUsers(t *testing.T) {
	s, c := start(t, Config{Seed: 12, Opportunities: 2000, Rate: -1})
	all := s.Expected("postings")
	def := pageAll(t, c, s.URL(), KeyFull, "/postings", url.Values{"confidentiality": {"all"}})
	internal := pageAll(t, c, s.URL(), KeyFull, "/postings", url.Values{"confidentiality": {"all"}, "distributionChannel": {"internal"}})
	hidden := 0
	for id, raw := range all {
		var p struct {
			State                string
			DistributionChannels []string
		}
		_ = json.Unmarshal(raw, &p)
		io := p.State == "published" && len(p.DistributionChannels) == 1 && p.DistributionChannels[0] == "internal"
		if _, ok := def[id]; ok == io {
			t.Errorf("posting %s (%s %v): in default list = %v", id, p.State, p.DistributionChannels, ok)
		}
		if io {
			hidden++
			if internal[id] == nil {
				t.Errorf("internal-only %s missing with distributionChannel=internal", id)
			}
		}
	}
	if hidden == 0 {
		t.Fatal("no internal-only published postings")
	}
	pub := pageAll(t, c, s.URL(), KeyFull, "/postings", url.Values{"state": {"published"}, "confidentiality": {"all"}, "distributionChannel": {"public,internal"}})
	for _, raw := range pub {
		var p struct{ State string }
		_ = json.Unmarshal(raw, &p)
		if p.State != "published" {
			t.Fatalf("state filter let through %s", p.State)
		}
	}

	users := s.Expected("users")
	active := pageAll(t, c, s.URL(), KeyFull, "/users", nil)
	deactivated := 0
	for id, raw := range users {
		var u struct{ DeactivatedAt *int64 }
		_ = json.Unmarshal(raw, &u)
		if u.DeactivatedAt != nil {
			deactivated++
			if active[id] != nil {
				t.Errorf("deactivated %s listed without includeDeactivated", id)
			}
		} else if active[id] == nil {
			t.Errorf("active %s missing", id)
		}
	}
	if deactivated == 0 {
		t.Fatal("no deactivated users")
	}
}

func TestPerOpportunityDetails(t *testing.T) {
	s, c := start(t, Config{Seed: 6, Opportunities: 200, Rate: -1})
	counts := map[string]int{}
	for i := range 40 {
		id := s.data.oppID(i)
		for _, sub := range []string{"notes", "interviews", "offers", "resumes", "files", "applications", "feedback"} {
			e := get(t, c, s.URL(), KeyFull, "/opportunities/"+id+"/"+sub, "confidentiality=all").envelope(t)
			counts[sub] += len(e.Data)
		}
		one := get(t, c, s.URL(), KeyFull, "/opportunities/"+id, "expand=applications&expand=stage&expand=owner")
		var o struct {
			Data struct {
				Stage struct{ ID, Text string }
				Owner struct{ ID, Name string }
			}
		}
		if one.status == 200 {
			if err := json.Unmarshal(one.body, &o); err != nil || o.Data.Stage.Text == "" || o.Data.Owner.Name == "" {
				t.Fatalf("expanded opportunity: %v %s", err, one.body)
			}
		}
	}
	for sub, n := range counts {
		if n == 0 {
			t.Errorf("no %s in 40 opportunities", sub)
		}
	}
	get(t, c, s.URL(), KeyFull, "/opportunities/"+uuid(6, kindOpportunity, 999)+"/notes", "").apiError(t, 404, "ResourceNotFound")
	get(t, c, s.URL(), KeyFull, "/opportunities", "expand=bogus").apiError(t, 400, "BadRequestError")
}
