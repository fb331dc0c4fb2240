package fakelever

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// envelope is a list response as Lever sends it.
type envelope struct {
	Data    []json.RawMessage `json:"data"`
	HasNext bool              `json:"hasNext"`
	Next    *string           `json:"next"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// start serves cfg on loopback and closes it (and the client's idle
// connections) when the test ends.
func start(t testing.TB, cfg Config) (*Server, *http.Client) {
	t.Helper()
	s, err := Start(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, c
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// get requests root+path?rawQuery with key as the Basic username.
func get(t testing.TB, c *http.Client, root, key, path, rawQuery string) reply {
	t.Helper()
	return do(t, c, "GET", root, key, path, rawQuery, "")
}

func do(t testing.TB, c *http.Client, method, root, key, path, rawQuery, body string) reply {
	t.Helper()
	u := root + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (r reply) envelope(t testing.TB) envelope {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	var e envelope
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("envelope: %v: %s", err, r.body)
	}
	if e.HasNext != (e.Next != nil) {
		t.Fatalf("hasNext %v but next present=%v: %s", e.HasNext, e.Next != nil, r.body)
	}
	return e
}

func (r reply) apiError(t testing.TB, status int, code string) apiError {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body: %v: %s", err, r.body)
	}
	if e.Code != code || e.Message == "" {
		t.Fatalf("error %+v, want code %q and a message", e, code)
	}
	return e
}

// pageAll follows next until hasNext is false and returns id -> raw record.
// It fails on a repeated id.
func pageAll(t testing.TB, c *http.Client, root, key, path string, q url.Values) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	offset := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatal("too many pages")
		}
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		if offset != "" {
			qq.Set("offset", offset)
		}
		e := get(t, c, root, key, path, qq.Encode()).envelope(t)
		for _, raw := range e.Data {
			k := recordKey(t, raw)
			if _, dup := out[k]; dup {
				t.Fatalf("%s: record %s served twice", path, k)
			}
			out[k] = raw
		}
		if !e.HasNext {
			return out
		}
		if *e.Next == "" || *e.Next == offset {
			t.Fatalf("%s: bad next %q after %q", path, *e.Next, offset)
		}
		offset = *e.Next
	}
}

func recordKey(t testing.TB, raw json.RawMessage) string {
	var r struct{ ID, Text string }
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("record: %v", err)
	}
	if r.ID != "" {
		return r.ID
	}
	return r.Text
}

// sameRecords compares two id -> raw maps byte for byte.
func sameRecords(t testing.TB, what string, got, want map[string]json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d records, want %d", what, len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: missing %s", what, id)
		case string(g) != string(w):
			t.Errorf("%s: %s differs:\n got %s\nwant %s", what, id, g, w)
		default:
			continue
		}
		if bad++; bad > 5 {
			t.Fatalf("%s: too many differences", what)
		}
	}
}

// fixedClock is a settable Config.Now.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }
