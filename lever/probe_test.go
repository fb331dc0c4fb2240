package lever_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/permission"
)

// noSuchID is the id write probes use: a UUID no Lever record has.
const noSuchID = "00000000-0000-4000-8000-000000000000"

// TestProbeAnswers maps each answer Lever may give to a probe onto a status,
// and checks that a write probe never sends a body Lever could act on.
func TestProbeAnswers(t *testing.T) {
	var mu sync.Mutex
	status := map[string]int{}
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		st := status[r.Method+" "+strings.TrimPrefix(r.URL.Path, "/v1")]
		if r.Method != http.MethodGet {
			bodies = append(bodies, string(b))
		}
		mu.Unlock()
		switch {
		case st == 0 && r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") == 2:
			if r.URL.Query().Get("limit") != "1" {
				t.Errorf("probe list without limit=1: %s", r.URL)
			}
			writeJSON(w, 200, map[string]any{"data": []map[string]string{{"id": "real-1", "contact": "c-1"}}, "hasNext": true, "next": "n"})
		case st == 0:
			writeJSON(w, 200, map[string]any{"data": map[string]string{"id": "real-1"}})
		default:
			writeJSON(w, st, map[string]string{"message": "x"})
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *lever.Options) { o.MaxRetries = 1 })
	ctx := context.Background()
	get := func(name string) permission.Permission {
		p, ok := permission.ByName(name)
		if !ok {
			t.Fatalf("no permission %q", name)
		}
		return p
	}
	cases := []struct {
		perm  string
		path  string // as the probe should send it
		code  int
		want  lever.ProbeStatus
		isErr bool
	}{
		{"find all opportunities", "GET /opportunities", 0, lever.Granted, false},
		{"find all postings", "GET /postings", 403, lever.Missing, false},
		{"find a user", "GET /users/real-1", 404, lever.Granted, false},
		{"find a contact", "GET /contacts/c-1", 0, lever.Granted, false},
		{"find all opportunity notes", "GET /opportunities/real-1/notes", 401, lever.Unknown, true},
		{"find all stages", "GET /stages", 500, lever.Unknown, true},
		{"create an opportunity", "POST /opportunities", 400, lever.Granted, false},
		// Writes never name a real record: the id is one that cannot exist.
		{"create an opportunity note", "POST /opportunities/" + noSuchID + "/notes", 403, lever.Missing, false},
		{"update an opportunity's stage", "PUT /opportunities/" + noSuchID + "/stage", 404, lever.Granted, false},
		{"add opportunity tags", "POST /opportunities/" + noSuchID + "/addTags", 500, lever.Unknown, true},
		{"apply to a posting", "POST /postings/" + noSuchID + "/apply", 0, lever.Unknown, false},
	}
	for _, tc := range cases {
		mu.Lock()
		status[tc.path] = tc.code
		mu.Unlock()
		r := c.Probe(ctx, get(tc.perm))
		if r.Status != tc.want || (r.Err != nil) != tc.isErr || r.Detail == "" || r.Permission.Name != tc.perm {
			t.Errorf("%s answered %d: %+v, want %v", tc.perm, tc.code, r, tc.want)
		}
		if tc.code == 400 && !strings.Contains(r.Detail, "looks granted") {
			t.Errorf("a 400 is an inference and should read \"looks granted\": %q", r.Detail)
		}
	}
	if r := c.Probe(ctx, get("find all opportunity notes")); !errors.Is(r.Err, lever.ErrUnauthorized) {
		t.Errorf("401 probe error = %v", r.Err)
	}
	for _, b := range bodies {
		if json.Valid([]byte(b)) {
			t.Errorf("a write probe sent valid JSON %q: Lever might act on it", b)
		}
	}
	if len(bodies) == 0 {
		t.Error("no write probe reached the server")
	}
	for _, s := range []lever.ProbeStatus{lever.Granted, lever.Missing, lever.Unknown} {
		if s.String() == "" {
			t.Error("empty status name")
		}
	}
	if lever.Unknown.String() != "could not tell" || lever.Granted.String() != "granted" || lever.Missing.String() != "missing" {
		t.Error("status names")
	}
}

func TestVerifyKey(t *testing.T) {
	for code, want := range map[int]error{200: nil, 403: nil, 401: lever.ErrUnauthorized, 503: lever.ErrUnavailable} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if code == 200 {
				okPage(w, nil, "")
				return
			}
			w.WriteHeader(code)
		}))
		c := newTestClient(t, srv, func(o *lever.Options) { o.MaxRetries = 1 })
		err := c.VerifyKey(context.Background())
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("%d: VerifyKey = %v, want %v", code, err, want)
		}
		srv.Close()
	}
}

// TestProbesCannotChangeAnything runs every probe against the fake Lever
// with faults, and looks at each request other than a GET that reached it:
// none may name a record that exists, none may carry a body Lever could
// parse, and none may be sent twice (a write whose answer was lost may
// have been applied, so it is never retried).
func TestProbesCannotChangeAnything(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 11, Opportunities: 40, Faults: 0.5, Rate: -1})
	known := map[string]bool{}
	for _, r := range []string{"opportunities", "postings", "users", "requisitions", "stages", "archive_reasons"} {
		for id, raw := range srv.Expected(r) {
			known[id] = true
			var rec struct{ Contact string }
			if json.Unmarshal(raw, &rec) == nil && rec.Contact != "" {
				known[rec.Contact] = true
			}
		}
	}
	unknown := 0
	const rounds = 3
	for range rounds {
		c, err := lever.NewClient(lever.Options{BaseURL: srv.URL(), Key: lever.NewAPIKey(fakelever.KeyFull), Rate: -1, MaxRetries: 4, BaseBackoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		results := make(chan lever.ProbeResult)
		go c.ProbeAll(context.Background(), permission.All, results)
		for r := range results {
			if r.Permission.Write && r.Status == lever.Unknown {
				unknown++
			}
		}
	}
	writes := srv.Stats().Writes
	perPath := map[string]int{}
	for _, w := range writes {
		perPath[w.Method+" "+w.Path]++
		if json.Valid(w.Body) {
			t.Errorf("%s %s carried valid JSON %q: Lever could act on it", w.Method, w.Path, w.Body)
		}
		for _, seg := range strings.Split(w.Path, "/") {
			if known[seg] {
				t.Errorf("%s %s names a record that exists (%s)", w.Method, w.Path, seg)
			}
		}
	}
	for p, n := range perPath {
		if n != rounds {
			t.Errorf("%s was sent %d times in %d rounds of probes: a write was retried", p, n, rounds)
		}
	}
	if len(perPath) != len(permission.Write) {
		t.Errorf("%d distinct write requests, want one per write permission (%d)", len(perPath), len(permission.Write))
	}
	if unknown == 0 {
		t.Fatal("no write probe met a fault: the test shows nothing about retries")
	}
}

// TestWriteProbeRetriedOnlyAfter429: Lever answers 429 instead of doing a
// request, so a write probe that met one is sent again; a 503 may follow a
// write that was applied, so it is not.
func TestWriteProbeRetriedOnlyAfter429(t *testing.T) {
	for _, tc := range []struct {
		first      int
		wantSent   int
		wantStatus lever.ProbeStatus
	}{
		{http.StatusTooManyRequests, 2, lever.Granted},
		{http.StatusServiceUnavailable, 1, lever.Unknown},
	} {
		var sent atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sent.Add(1) == 1 {
				w.WriteHeader(tc.first)
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"BadRequestError","message":"invalid body"}`))
		}))
		c, err := lever.NewClient(lever.Options{BaseURL: srv.URL + "/v1", Key: lever.NewAPIKey("k3y-for-a-local-test-server"), Rate: -1, MaxRetries: 3, BaseBackoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var write permission.Permission
		for _, p := range permission.All {
			if p.Write {
				write = p
				break
			}
		}
		res := c.Probe(context.Background(), write)
		srv.Close()
		if got := int(sent.Load()); got != tc.wantSent || res.Status != tc.wantStatus {
			t.Errorf("first answer %d: sent %d times, status %v; want %d times, %v", tc.first, got, res.Status, tc.wantSent, tc.wantStatus)
		}
	}
}
