package lever_test

import (
	"net/url"
	"testing"

	"github.com/leversync/leversync/lever"
)

func TestQueryValues(t *testing.T) {
	cases := []struct {
		name string
		got  url.Values
		want string
	}{
		{"postings", lever.PostingsQuery{State: "published", DistributionChannel: lever.ChannelInternal, Confidentiality: lever.ConfidentialityAll}.Values(),
			"confidentiality=all&distributionChannel=internal&state=published"},
		{"postings updated", lever.PostingsQuery{Confidentiality: lever.ConfidentialityAll, UpdatedAtStart: 5, UpdatedAtEnd: 9}.Values(),
			"confidentiality=all&updated_at_end=9&updated_at_start=5"},
		{"opportunities", lever.OpportunitiesQuery{Expand: []string{"applications", "stage"}, Confidentiality: lever.ConfidentialityAll,
			CreatedAtStart: 1, CreatedAtEnd: 2, UpdatedAtStart: 3, UpdatedAtEnd: 4, PostingID: "p1"}.Values(),
			"confidentiality=all&created_at_end=2&created_at_start=1&expand=applications&expand=stage&posting_id=p1&updated_at_end=4&updated_at_start=3"},
		{"opportunities empty", lever.OpportunitiesQuery{}.Values(), ""},
		{"users", lever.UsersQuery{IncludeDeactivated: true}.Values(), "includeDeactivated=true"},
		{"requisitions", lever.RequisitionsQuery{Status: "open", Confidentiality: lever.ConfidentialityAll, CreatedAtStart: 10}.Values(),
			"confidentiality=all&created_at_start=10&status=open"},
		{"deleted", lever.DeletedQuery{Start: 0, End: 100}.Values(), "deleted_at_end=100&deleted_at_start=0"},
	}
	for _, c := range cases {
		if got := c.got.Encode(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if err := (lever.PostingsQuery{State: "published", UpdatedAtStart: 1}).Validate(); err == nil {
		t.Error("postings: state with updated_at accepted")
	}
	if err := (lever.PostingsQuery{Confidentiality: lever.ConfidentialityAll, UpdatedAtStart: 1}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestDeletedWindows(t *testing.T) {
	const day = 24 * 60 * 60 * 1000
	for _, span := range []int64{0, 1, 29 * day, 30*day - 1, 30 * day, 30*day + 1, 95 * day, 365 * day} {
		start := int64(1_700_000_000_000)
		end := start + span
		ws := lever.DeletedWindows(start, end)
		if len(ws) == 0 || ws[0].Start != start || ws[len(ws)-1].End != end {
			t.Fatalf("span %d: windows %v do not cover [%d, %d]", span, ws, start, end)
		}
		for i, w := range ws {
			if w.End < w.Start || w.End-w.Start+1 > lever.MaxDeletedWindow {
				t.Errorf("span %d: window %d = %+v is empty or over 30 days", span, i, w)
			}
			if i > 0 && w.Start != ws[i-1].End+1 {
				t.Errorf("span %d: gap or overlap between %+v and %+v", span, ws[i-1], w)
			}
		}
		if want := span/lever.MaxDeletedWindow + 1; int64(len(ws)) != want {
			t.Errorf("span %d: %d windows, want %d", span, len(ws), want)
		}
	}
	if ws := lever.DeletedWindows(10, 9); ws != nil {
		t.Errorf("end before start: %v", ws)
	}
}

func TestPaths(t *testing.T) {
	for _, r := range lever.ListResources {
		if lever.ListPath(r) != "/"+string(r) {
			t.Errorf("ListPath(%s) = %q", r, lever.ListPath(r))
		}
	}
	for _, r := range lever.DetailResources {
		if lever.ListPath(r) != "" {
			t.Errorf("ListPath(%s) = %q, want none", r, lever.ListPath(r))
		}
		if got, want := lever.OpportunityDetailPath("abc", r), "/opportunities/abc/"+string(r); got != want {
			t.Errorf("OpportunityDetailPath = %q, want %q", got, want)
		}
	}
	if lever.OpportunityDetailPath("abc", lever.Users) != "" || lever.OpportunityDetailPath("a/b", lever.Notes) != "/opportunities/a%2Fb/notes" {
		t.Error("OpportunityDetailPath does not refuse or escape")
	}
	if lever.DeletedPath(lever.Opportunities) != "/opportunities/deleted" || lever.DeletedPath(lever.Postings) != "/postings/deleted" || lever.DeletedPath(lever.Users) != "" {
		t.Error("DeletedPath")
	}
}
