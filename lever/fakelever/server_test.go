package fakelever

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPagingServesEveryOpportunityOnceAndMatchesExpected(t *testing.T) {
	t.Parallel()
	s, c := start(t, Config{Seed: 7, Opportunities: 1234, Rate: -1})
	q := url.Values{"confidentiality": {"all"}, "expand": {"applications"}}
	got := pageAll(t, c, s.URL(), KeyFull, "/opportunities", q)
	want := s.Expected("opportunities")
	if len(want) != 1234 {
		t.Fatalf("Expected has %d opportunities, want 1234", len(want))
	}
	sameRecords(t, "opportunities", got, want)

	// The default leaves confidential candidates out.
	def := pageAll(t, c, s.URL(), KeyFull, "/opportunities", url.Values{"expand": {"applications"}})
	conf := 0
	for id, raw := range want {
		var o struct{ Confidentiality string }
		_ = json.Unmarshal(raw, &o)
		_, inDefault := def[id]
		if o.Confidentiality == "confidential" {
			conf++
			if inDefault {
				t.Fatalf("confidential %s in the default list", id)
			}
		} else if !inDefault {
			t.Fatalf("non-confidential %s missing from the default list", id)
		}
	}
	if conf == 0 {
		t.Fatal("no confidential opportunities generated")
	}
}

func TestEnvelopeShape(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 150, Rate: -1})
	r := get(t, c, s.URL(), KeyFull, "/opportunities", "limit=100")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"data", "hasNext", "next"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("first page lacks %q: %s", k, r.body[:200])
		}
	}
	e := r.envelope(t)
	if len(e.Data) != 100 || !e.HasNext {
		t.Fatalf("first page: %d records, hasNext %v", len(e.Data), e.HasNext)
	}
	if !strings.HasPrefix(*e.Next, "%5B") {
		t.Errorf("next %q is not a URL-encoded JSON array", *e.Next)
	}
	if r.header.Get("Date") == "" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("headers: %v", r.header)
	}
	last := get(t, c, s.URL(), KeyFull, "/stages", "")
	if strings.Contains(string(last.body), `"next"`) {
		t.Errorf("last page carries next: %s", last.body)
	}
	one := get(t, c, s.URL(), KeyFull, "/stages/lead-new", "")
	if string(one.body) != `{"data":{"id":"lead-new","text":"New lead"}}` {
		t.Errorf("single stage: %s", one.body)
	}
	get(t, c, s.URL(), KeyFull, "/opportunities/"+uuid(99, kindOpportunity, 3), "").apiError(t, 404, "ResourceNotFound")
	get(t, c, s.URL(), KeyFull, "/postings/not-a-posting", "").apiError(t, 404, "ResourceNotFound")
}

func TestExpectedMatchesEveryList(t *testing.T) {
	s, c := start(t, Config{Seed: 3, Opportunities: 400, Postings: 60, Rate: -1})
	cases := []struct {
		resource, path string
		q              url.Values
	}{
		{"postings", "/postings", url.Values{"confidentiality": {"all"}, "distributionChannel": {"public", "internal"}, "limit": {"7"}}},
		{"users", "/users", url.Values{"includeDeactivated": {"true"}, "limit": {"4"}}},
		{"requisitions", "/requisitions", url.Values{"confidentiality": {"all"}, "limit": {"9"}}},
		{"stages", "/stages", url.Values{"limit": {"2"}}},
		{"archive_reasons", "/archive_reasons", nil},
		{"sources", "/sources", url.Values{"limit": {"5"}}},
		{"tags", "/tags", nil},
	}
	for _, tc := range cases {
		want := s.Expected(tc.resource)
		if len(want) == 0 {
			t.Fatalf("Expected(%s) is empty", tc.resource)
		}
		sameRecords(t, tc.resource, pageAll(t, c, s.URL(), KeyFull, tc.path, tc.q), want)
	}
}

func TestOffsetTokens(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s, c := start(t, Config{Seed: 2, Opportunities: 300, Rate: -1, Now: clock.now, TokenMaxAge: 5 * time.Minute})
	first := get(t, c, s.URL(), KeyFull, "/opportunities", "limit=50").envelope(t)
	next := *first.Next

	// Raw in the URL (the server decodes it once) and double-encoded (a
	// client that escapes the token again) both give the same page.
	raw := get(t, c, s.URL(), KeyFull, "/opportunities", "limit=50&offset="+next).envelope(t)
	double := get(t, c, s.URL(), KeyFull, "/opportunities", "limit=50&offset="+url.QueryEscape(next)).envelope(t)
	if len(raw.Data) != 50 || string(raw.Data[0]) != string(double.Data[0]) || string(raw.Data[0]) == string(first.Data[0]) {
		t.Fatal("raw and double-encoded tokens disagree, or the second page repeats the first")
	}

	decoded, _ := url.QueryUnescape(next)
	forged := []string{
		"abc",
		url.QueryEscape(strings.Replace(decoded, "[1,", "[1,9", 1)),
		url.QueryEscape(`[1,1750233409740,"48dd4e94-0000-4000-8000-000000000000"]`),
		"0.1414895548650.a6070140-0000-4000-8000-000000000000",
	}
	for _, f := range forged {
		e := get(t, c, s.URL(), KeyFull, "/opportunities", "offset="+url.QueryEscape(f)).apiError(t, 400, "BadRequestError")
		if !strings.Contains(e.Message, "Invalid offset token") {
			t.Errorf("forged %q: message %q", f, e.Message)
		}
	}
	// A token from another list is not valid here.
	pt := get(t, c, s.URL(), KeyFull, "/postings", "limit=1").envelope(t)
	get(t, c, s.URL(), KeyFull, "/opportunities", "offset="+url.QueryEscape(*pt.Next)).apiError(t, 400, "BadRequestError")

	clock.t = clock.t.Add(5*time.Minute + time.Second)
	e := get(t, c, s.URL(), KeyFull, "/opportunities", "offset="+url.QueryEscape(next)).apiError(t, 400, "BadRequestError")
	if !strings.Contains(e.Message, "Invalid offset token") {
		t.Errorf("expired token: message %q", e.Message)
	}
}

func TestLimitBounds(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 300, Rate: -1})
	for _, bad := range []string{"0", "101", "-1", "abc", "1.5"} {
		get(t, c, s.URL(), KeyFull, "/opportunities", "limit="+bad).apiError(t, 400, "BadRequestError")
	}
	for lim, want := range map[string]int{"1": 1, "100": 100, "": 100, "37": 37} {
		q := ""
		if lim != "" {
			q = "limit=" + lim
		}
		if n := len(get(t, c, s.URL(), KeyFull, "/opportunities", q).envelope(t).Data); n != want {
			t.Errorf("limit %q: %d records, want %d", lim, n, want)
		}
	}
}

func TestAuthentication(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 20, Rate: -1})
	check := func(root, key string, want int) {
		t.Helper()
		r := get(t, c, root, key, "/stages", "")
		if want == 200 {
			r.envelope(t)
		} else {
			e := r.apiError(t, want, "UnauthorizedError")
			if e.Message != "A valid API key was not provided" {
				t.Errorf("401 message %q", e.Message)
			}
		}
		if r.header.Get("Date") == "" {
			t.Error("no Date header")
		}
		if strings.Contains(string(r.body), key) && key != "" {
			t.Error("response echoes the key")
		}
	}
	check(s.URL(), "", 401)
	check(s.URL(), "not-a-key", 401)
	check(s.URL(), KeyFull+"x", 401)
	check(s.URL(), KeySandbox, 401)
	check(s.SandboxURL(), KeyFull, 401)
	check(s.SandboxURL(), KeyReadOnly, 401)
	check(s.SandboxURL(), KeySandbox, 200)
	for _, k := range Keys() {
		if !k.Sandbox {
			check(s.URL(), k.Key, 200)
		}
	}
	// A password is not part of a Lever key.
	req, _ := http.NewRequest("GET", s.URL()+"/stages", nil)
	req.Header.Set("Authorization", "Bearer "+KeyFull)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("bearer auth: %d, want 401", resp.StatusCode)
	}
}

func TestKeysAreDistinctive(t *testing.T) {
	ks := Keys()
	if len(ks) != 6 {
		t.Fatalf("%d keys", len(ks))
	}
	for _, a := range ks {
		if len(a.Key) < 32 || strings.Trim(a.Key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			t.Errorf("key %s is not 32+ letters and digits", a.Name)
		}
		for _, b := range ks {
			if a.Key != b.Key && strings.Contains(a.Key, b.Key) {
				t.Errorf("key %s contains key %s", a.Name, b.Name)
			}
		}
	}
}

func TestIDsRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for i := range 5000 {
		id := uuid(42, kindOpportunity, i)
		if seen[id] || len(id) != 36 || id[14] != '4' {
			t.Fatalf("id %d = %q (duplicate or not UUIDv4-shaped)", i, id)
		}
		seen[id] = true
		if j, ok := indexOf(42, kindOpportunity, id, 5000); !ok || j != i {
			t.Fatalf("indexOf(%q) = %d, %v; want %d", id, j, ok, i)
		}
		if _, ok := indexOf(42, kindPosting, id, 5000); ok {
			t.Fatalf("opportunity id %q accepted as a posting id", id)
		}
	}
	if _, ok := indexOf(42, kindOpportunity, uuid(42, kindOpportunity, 5000), 5000); ok {
		t.Fatal("index beyond the data set accepted")
	}
}
