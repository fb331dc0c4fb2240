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
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
)

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
		{"create an opportunity note", "POST /opportunities/real-1/notes", 403, lever.Missing, false},
		{"update an opportunity's stage", "PUT /opportunities/real-1/stage", 404, lever.Unknown, true},
		{"apply to a posting", "POST /postings/real-1/apply", 0, lever.Unknown, false},
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
