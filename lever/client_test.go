package lever_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
)

const testKey = "tk_9f8e7d6c5b4a39281706fedcba987654"

// newTestClient returns a client for srv with fast retries.
func newTestClient(t *testing.T, srv *httptest.Server, mod func(*lever.Options)) *lever.Client {
	t.Helper()
	o := lever.Options{
		BaseURL:     srv.URL + "/v1",
		Key:         lever.NewAPIKey(testKey),
		Rate:        -1,
		MaxRetries:  4,
		BaseBackoff: time.Millisecond,
	}
	if mod != nil {
		mod(&o)
	}
	c, err := lever.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func okPage(w http.ResponseWriter, ids []string, next string) {
	data := make([]map[string]string, len(ids))
	for i, id := range ids {
		data[i] = map[string]string{"id": id}
	}
	body := map[string]any{"data": data, "hasNext": next != ""}
	if next != "" {
		body["next"] = next
	}
	writeJSON(w, 200, body)
}

// resetConn drops the connection with a TCP reset.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// truncate promises a longer body than it sends.
func truncate(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "200")
	w.WriteHeader(200)
	w.Write([]byte(`{"data":[{"id":"a"},`))
}

func TestNormalizeBaseURL(t *testing.T) {
	good := map[string]string{
		"https://api.lever.co/v1":          "https://api.lever.co/v1",
		" https://api.lever.co/v1/ \n":     "https://api.lever.co/v1",
		"HTTPS://api.eu.lever.co/v1//":     "https://api.eu.lever.co/v1",
		"http://127.0.0.1:8080/v1":         "http://127.0.0.1:8080/v1",
		"http://127.3.2.1/v1/":             "http://127.3.2.1/v1",
		"http://localhost:9/sandbox/v1":    "http://localhost:9/sandbox/v1",
		"http://[::1]:8080/v1":             "http://[::1]:8080/v1",
		"https://proxy.example.com/lever/": "https://proxy.example.com/lever",
	}
	for in, want := range good {
		got, err := lever.NormalizeBaseURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, e := range lever.Environments {
		if got, err := lever.NormalizeBaseURL(e.BaseURL()); err != nil || got != e.BaseURL() {
			t.Errorf("%s: %q, %v", e, got, err)
		}
	}
	bad := map[string]string{
		"http://api.lever.co/v1":              "https://",
		"http://10.0.0.1/v1":                  "https://",
		"http://localhost.example.com/v1":     "https://",
		"ftp://api.lever.co/v1":               "https://",
		"api.lever.co/v1":                     "",
		"":                                    "",
		"https://api.lever.co":                "/v1",
		"https://api.lever.co/v1?x=1":         "query",
		"https://" + testKey + ":@x.co/v1":    "user name",
		"https://u:" + testKey + "@x.co/v1":   "user name",
		"http://" + testKey + "@127.0.0.1/v1": "user name",
	}
	for in, want := range bad {
		got, err := lever.NormalizeBaseURL(in)
		if err == nil {
			t.Errorf("NormalizeBaseURL(%q) = %q, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeBaseURL(%q) error %q does not mention %q", in, err, want)
		}
		assertNoSecret(t, err.Error())
	}
	if _, err := lever.NewClient(lever.Options{BaseURL: "http://api.lever.co/v1", Key: lever.NewAPIKey(testKey)}); err == nil {
		t.Error("NewClient accepted plain http to a remote host")
	}
	if _, err := lever.NewClient(lever.Options{BaseURL: "https://api.lever.co/v1"}); err == nil {
		t.Error("NewClient accepted an empty key")
	}
}

func TestListPageRequest(t *testing.T) {
	date := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Date", date.Format(http.TimeFormat))
		okPage(w, []string{"a", "b"}, "tok2")
	}))
	defer srv.Close()
	c := newTestClient(t, srv, nil)

	query := url.Values{"expand": {"applications", "stage"}, "confidentiality": {"all"}}
	page, err := c.ListPage(context.Background(), "/opportunities", query, "%5B1%2C2%5D")
	if err != nil {
		t.Fatal(err)
	}
	user, pass, ok := got.BasicAuth()
	if !ok || user != testKey || pass != "" {
		t.Errorf("basic auth = %v, %q", ok, pass)
	}
	if got.URL.Path != "/v1/opportunities" {
		t.Errorf("path = %q", got.URL.Path)
	}
	q := got.URL.Query()
	if q.Get("limit") != "100" || q.Get("offset") != "%5B1%2C2%5D" || len(q["expand"]) != 2 || q.Get("confidentiality") != "all" {
		t.Errorf("query = %v", q)
	}
	if strings.Contains(got.URL.String(), testKey) {
		t.Error("key in the URL")
	}
	if len(query) != 2 || query.Has("limit") {
		t.Errorf("caller's query modified: %v", query)
	}
	if len(page.Data) != 2 || !page.HasNext || page.Next != "tok2" || !page.ServerTime.Equal(date) {
		t.Errorf("page = %+v", page)
	}

	if _, err := c.ListPage(context.Background(), "/users", url.Values{"limit": {"7"}}, ""); err != nil {
		t.Fatal(err)
	}
	if q := got.URL.Query(); q.Get("limit") != "7" || q.Has("offset") {
		t.Errorf("query = %v", q)
	}
	if c.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", c.Requests())
	}
}

// TestRetriesRecover: every kind of transient failure, then success; the
// result is the same as a clean run and each failure was reported.
func TestRetriesRecover(t *testing.T) {
	failures := []func(http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, 429, map[string]string{"code": "TooManyRequests", "message": "slow down"})
		},
		func(w http.ResponseWriter) { writeJSON(w, 503, map[string]string{"message": "maintenance"}) },
		func(w http.ResponseWriter) { w.WriteHeader(500) },
		func(w http.ResponseWriter) { w.WriteHeader(502) },
		func(w http.ResponseWriter) { w.WriteHeader(504) },
		func(w http.ResponseWriter) { resetConn(t, w) },
		truncate,
		func(w http.ResponseWriter) { w.WriteHeader(200); w.Write([]byte("<html>proxy error</html>")) },
	}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Fresh connections only: Go's transport silently retries a request
		// whose reused idle connection was reset, which would hide one here.
		w.Header().Set("Connection", "close")
		i := int(n.Add(1)) - 1
		if i < len(failures) {
			failures[i](w)
			return
		}
		okPage(w, []string{"x", "y", "z"}, "")
	}))
	defer srv.Close()
	var mu sync.Mutex
	var retries []lever.RetryInfo
	c := newTestClient(t, srv, func(o *lever.Options) {
		o.MaxRetries = len(failures)
		o.OnRetry = func(ri lever.RetryInfo) { mu.Lock(); retries = append(retries, ri); mu.Unlock() }
	})
	page, err := c.ListPage(context.Background(), "/opportunities", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 3 || page.HasNext {
		t.Errorf("page = %+v", page)
	}
	if got, want := c.Requests(), int64(len(failures)+1); got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
	wantStatus := []int{429, 503, 500, 502, 504, 0, 0, 0}
	if len(retries) != len(wantStatus) {
		t.Fatalf("%d retries reported, want %d", len(retries), len(wantStatus))
	}
	for i, ri := range retries {
		if ri.Status != wantStatus[i] || ri.Attempt != i+1 || ri.Path != "/opportunities" || ri.Err == nil {
			t.Errorf("retry %d = %+v", i, ri)
		}
	}
}

func TestRetryAfterCapped(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			return
		}
		okPage(w, nil, "")
	}))
	defer srv.Close()
	var waits []time.Duration
	c := newTestClient(t, srv, func(o *lever.Options) {
		o.MaxRetryAfter = 20 * time.Millisecond
		o.OnRetry = func(ri lever.RetryInfo) { waits = append(waits, ri.Wait) }
	})
	if _, err := c.ListPage(context.Background(), "/tags", nil, ""); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 20*time.Millisecond {
		t.Errorf("waits = %v, want [20ms]", waits)
	}
}

// TestHoldStopsRetriesToo: Hold runs before every attempt, so a retry
// waiting out a 429 does not reach Lever while Hold blocks (a paused sync),
// and goes once it returns; Hold's error ends the request.
func TestHoldStopsRetriesToo(t *testing.T) {
	var arrived atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == 1 {
			writeJSON(w, 429, map[string]string{"code": "TooManyRequests", "message": "slow down"})
			return
		}
		okPage(w, []string{"x"}, "")
	}))
	defer srv.Close()
	held := make(chan struct{})
	release := make(chan struct{})
	var holds atomic.Int32
	c := newTestClient(t, srv, func(o *lever.Options) {
		o.Hold = func(ctx context.Context) error {
			if holds.Add(1) == 3 { // the retry (Hold runs before and after the bucket's wait)
				close(held)
				<-release
			}
			return nil
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.ListPage(context.Background(), "/tags", nil, "")
		done <- err
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("the request ended (%v) without its retry passing Hold", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the retry never reached Hold")
	}
	time.Sleep(50 * time.Millisecond) // ten times the retry's back-off
	if n := arrived.Load(); n != 1 {
		t.Fatalf("%d requests reached Lever while the retry was held, want 1", n)
	}
	close(release)
	if err := <-done; err != nil || arrived.Load() != 2 {
		t.Fatalf("after the hold: %v, %d requests, want the retry answered", err, arrived.Load())
	}

	stop := errors.New("stopped while paused")
	c = newTestClient(t, srv, func(o *lever.Options) { o.Hold = func(context.Context) error { return stop } })
	if _, err := c.ListPage(context.Background(), "/tags", nil, ""); !errors.Is(err, stop) {
		t.Fatalf("a request whose Hold failed = %v, want its error", err)
	}
}

// TestRetryAfterDelaysOnlyItsRequest: a 429 with Retry-After holds back the
// request it answered, not the others on the same client: they go on (at
// the lower rate the 429 brought) while it waits.
func TestRetryAfterDelaysOnlyItsRequest(t *testing.T) {
	var (
		mu       sync.Mutex
		order    []string
		answered = make(chan struct{})
		once     sync.Once
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		order = append(order, r.URL.Path)
		first := r.URL.Path == "/v1/users" && len(slices.DeleteFunc(slices.Clone(order), func(p string) bool { return p != "/v1/users" })) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "3")
			writeJSON(w, 429, map[string]string{"code": "TooManyRequests", "message": "slow down"})
			once.Do(func() { close(answered) })
			return
		}
		okPage(w, []string{"x"}, "")
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *lever.Options) { o.Rate, o.Burst = 100, 20 })
	done := make(chan error, 1)
	go func() {
		_, err := c.ListPage(context.Background(), "/users", nil, "")
		done <- err
	}()
	<-answered
	const others = 10
	for range others {
		if _, err := c.ListPage(context.Background(), "/stages", nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"/v1/users"}
	for range others {
		want = append(want, "/v1/stages")
	}
	want = append(want, "/v1/users")
	if !slices.Equal(order, want) {
		t.Errorf("requests arrived in the order %v; want every other request before the retry that waits out Retry-After", order)
	}
}

func TestPersistentFailures(t *testing.T) {
	cases := []struct {
		name    string
		handler func(http.ResponseWriter)
		want    error
	}{
		{"429", func(w http.ResponseWriter) { w.WriteHeader(429) }, lever.ErrRateLimited},
		{"503", func(w http.ResponseWriter) { w.WriteHeader(503) }, lever.ErrUnavailable},
		{"reset", func(w http.ResponseWriter) { resetConn(t, w) }, lever.ErrUnavailable},
		{"truncated", truncate, lever.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.handler(w) }))
			defer srv.Close()
			c := newTestClient(t, srv, func(o *lever.Options) { o.MaxRetries = 3 })
			_, err := c.ListPage(context.Background(), "/postings", url.Values{"x": {"secret-token"}}, "tok")
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if c.Requests() != 4 {
				t.Errorf("Requests() = %d, want 4", c.Requests())
			}
			if strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "offset=") {
				t.Errorf("error carries the query: %v", err)
			}
		})
	}
}

func TestTypedErrorsNotRetried(t *testing.T) {
	cases := []struct {
		status int
		body   map[string]string
		method string
		check  func(t *testing.T, err error)
	}{
		{401, map[string]string{"code": "UnauthorizedError", "message": "A valid API key was not provided"}, "GET", func(t *testing.T, err error) {
			var ae *lever.APIError
			if !errors.Is(err, lever.ErrUnauthorized) || !errors.As(err, &ae) || ae.Status != 401 {
				t.Errorf("401: %v", err)
			}
		}},
		{403, map[string]string{"code": "Forbidden", "message": "Your Lever account settings don't authorize you"}, "GET", func(t *testing.T, err error) {
			var pe *lever.PermissionError
			if !errors.Is(err, lever.ErrForbidden) || !errors.As(err, &pe) || pe.Permission != "find all opportunities" || pe.Write {
				t.Fatalf("403: %v", err)
			}
			if !strings.Contains(err.Error(), "find all opportunities") {
				t.Errorf("403 message does not name the permission: %v", err)
			}
		}},
		{400, map[string]string{"code": "BadRequestError", "message": "Invalid offset token: ..."}, "GET", func(t *testing.T, err error) {
			if !errors.Is(err, lever.ErrInvalidOffset) {
				t.Errorf("invalid offset: %v", err)
			}
		}},
		{400, map[string]string{"code": "BadRequestError", "message": "limit must be at most 100"}, "GET", func(t *testing.T, err error) {
			var ae *lever.APIError
			if errors.Is(err, lever.ErrInvalidOffset) || !errors.As(err, &ae) || ae.Message != "limit must be at most 100" {
				t.Errorf("400: %v", err)
			}
		}},
		{404, map[string]string{"code": "ResourceNotFound", "message": "not found"}, "GET", func(t *testing.T, err error) {
			var ae *lever.APIError
			if !errors.As(err, &ae) || ae.Status != 404 || errors.Is(err, lever.ErrUnavailable) {
				t.Errorf("404: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.status, tc.body)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, func(o *lever.Options) {
				o.OnRetry = func(ri lever.RetryInfo) { t.Errorf("retried a %d", tc.status) }
			})
			_, err := c.ListPage(context.Background(), "/opportunities", nil, "tok")
			if err == nil {
				t.Fatal("no error")
			}
			tc.check(t, err)
			if c.Requests() != 1 {
				t.Errorf("Requests() = %d, want 1", c.Requests())
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("offset") {
		case "":
			okPage(w, []string{"1", "2"}, "p2")
		case "p2":
			okPage(w, []string{"3", "4"}, "p3")
		case "p3":
			okPage(w, []string{"5"}, "")
		default:
			writeJSON(w, 400, map[string]string{"message": "Invalid offset token"})
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	var ids []string
	for page, err := range lever.Pages(context.Background(), c, "/users", nil, "") {
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Data {
			rec, err := lever.DecodeRecord(lever.Users, raw, "")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, rec.ID)
		}
	}
	if strings.Join(ids, ",") != "1,2,3,4,5" {
		t.Errorf("ids = %v", ids)
	}
	// Resuming from a saved token reads only the rest.
	ids = nil
	for page, err := range lever.Pages(context.Background(), c, "/users", nil, "p3") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(len(page.Data)))
	}
	if strings.Join(ids, ",") != "1" {
		t.Errorf("resumed pages = %v", ids)
	}
	// An expired token surfaces as ErrInvalidOffset.
	var last error
	for _, err := range lever.Pages(context.Background(), c, "/users", nil, "stale") {
		last = err
	}
	if !errors.Is(last, lever.ErrInvalidOffset) {
		t.Errorf("stale token: %v", last)
	}
}

// endlessLister pages for ever and ignores ctx, as a Lister may.
type endlessLister struct{ n int64 }

func (l *endlessLister) ListPage(context.Context, string, url.Values, string) (lever.Page, error) {
	l.n++
	return lever.Page{HasNext: true, Next: fmt.Sprint("t", l.n)}, nil
}

func (l *endlessLister) Requests() int64 { return l.n }

func (l *endlessLister) Capacity() int { return 1 }

// cyclingLister pages through tokens t1, t2, ... that return to t<back>
// after t<length>: a cycle longer than any short memory of recent tokens.
type cyclingLister struct {
	back, length int
	n            int64
}

func (l *cyclingLister) ListPage(_ context.Context, _ string, _ url.Values, offset string) (lever.Page, error) {
	l.n++
	at := 0
	fmt.Sscanf(offset, "t%d", &at)
	next := at + 1
	if next > l.length {
		next = l.back
	}
	return lever.Page{HasNext: true, Next: fmt.Sprint("t", next)}, nil
}

func (l *cyclingLister) Requests() int64 { return l.n }

func (l *cyclingLister) Capacity() int { return 1 }

// TestPagesFindsLongCycles: a cycle of page tokens of any length ends the
// pass within a few times its length, though Pages keeps only a bounded
// memory of the tokens it saw (a list of a million pages must not grow it).
func TestPagesFindsLongCycles(t *testing.T) {
	for _, c := range []struct{ back, length int }{{1, 2}, {5, 40}, {100, 1100}, {3000, 3001}} {
		l := &cyclingLister{back: c.back, length: c.length}
		var last error
		pages := 0
		for _, err := range lever.Pages(context.Background(), l, "/opportunities", nil, "") {
			if err != nil {
				last = err
				break
			}
			pages++
			if pages > 3*c.length+100 {
				t.Fatalf("cycle %d..%d: still paging after %d pages", c.back, c.length, pages)
			}
		}
		if !errors.Is(last, lever.ErrPaginationLoop) {
			t.Errorf("cycle %d..%d: %v, want ErrPaginationLoop", c.back, c.length, last)
		}
		if pages < c.length {
			t.Errorf("cycle %d..%d: stopped after %d pages, before any token repeated", c.back, c.length, pages)
		}
	}
}

func TestPagesStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &endlessLister{}
	var last error
	for _, err := range lever.Pages(ctx, l, "/users", nil, "") {
		cancel()
		last = err
		if l.n > 10 {
			t.Fatal("still paging after the cancel")
		}
	}
	if !errors.Is(last, context.Canceled) || l.n != 1 {
		t.Errorf("%v after %d requests, want context.Canceled after 1", last, l.n)
	}
}

// TestPaginationLoop: a next token that is empty or was used before in the
// pass ends it with ErrPaginationLoop, and the page that gave it is not
// yielded (its token is not one to save).
func TestPaginationLoop(t *testing.T) {
	cases := map[string]struct {
		start string
		next  map[string]string // offset -> next token
		pages int
	}{
		"repeated next":     {"", map[string]string{"": "same", "same": "same"}, 1},
		"cycle":             {"", map[string]string{"": "a", "a": "b", "b": "a"}, 2},
		"back to the start": {"s", map[string]string{"s": "a", "a": "s"}, 1},
		"empty next":        {"", map[string]string{"": ""}, 0},
		"empty next later":  {"", map[string]string{"": "a", "a": ""}, 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"data": []any{map[string]string{"id": "x"}}, "hasNext": true, "next": tc.next[r.URL.Query().Get("offset")]})
			}))
			defer srv.Close()
			c := newTestClient(t, srv, nil)
			pages, errs := 0, 0
			var last error
			for _, err := range lever.Pages(context.Background(), c, "/opportunities", nil, tc.start) {
				if err != nil {
					errs++
					last = err
					continue
				}
				pages++
				if pages > 10 {
					t.Fatal("pagination did not stop")
				}
			}
			if errs != 1 || !errors.Is(last, lever.ErrPaginationLoop) {
				t.Errorf("%d errors, last %v; want one ErrPaginationLoop", errs, last)
			}
			if pages != tc.pages {
				t.Errorf("%d pages yielded, want %d", pages, tc.pages)
			}
		})
	}
}

// TestCancel: a cancel returns promptly whether the client is waiting out a
// backoff, waiting for a slow answer, or waiting for the rate limiter.
func TestCancel(t *testing.T) {
	t.Parallel() // mostly waiting
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/backoff":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(503)
		case "/v1/slow":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		default:
			okPage(w, nil, "")
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/backoff", "/slow", "/limited"} {
		t.Run(path, func(t *testing.T) {
			c := newTestClient(t, srv, func(o *lever.Options) {
				o.MaxRetryAfter = time.Minute
				o.Rate, o.Burst = 0.001, 1
			})
			if path == "/limited" {
				if _, err := c.ListPage(context.Background(), path, nil, ""); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			done := make(chan error, 1)
			go func() { _, err := c.ListPage(ctx, path, nil, ""); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ListPage did not return within 5s of the cancel")
			}
		})
	}
}

func TestRequestTimeoutRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		okPage(w, []string{"a"}, "")
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *lever.Options) { o.RequestTimeout = 50 * time.Millisecond })
	page, err := c.ListPage(context.Background(), "/stages", nil, "")
	if err != nil || len(page.Data) != 1 || c.Requests() != 2 {
		t.Errorf("page %+v, err %v, %d requests", page, err, c.Requests())
	}
}

func TestPersistentTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *lever.Options) { o.RequestTimeout, o.MaxRetries = 20*time.Millisecond, 1 })
	_, err := c.ListPage(context.Background(), "/stages", nil, "")
	if !errors.Is(err, lever.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("err = %v; want ErrUnavailable worded as a timeout, not the caller's deadline", err)
	}
}

// TestRateLimitDeadline: a wait for the limiter that would outlast the
// caller's deadline ends at once.
func TestRateLimitDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { okPage(w, nil, "") }))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *lever.Options) { o.Rate, o.Burst = 0.001, 1 })
	if _, err := c.ListPage(context.Background(), "/stages", nil, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := c.ListPage(ctx, "/stages", nil, "")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(start))
	}
	if c.Requests() != 1 {
		t.Errorf("%d requests, want 1", c.Requests())
	}
}

func TestNoRedirectFollowed(t *testing.T) {
	var other atomic.Int32
	dst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	defer dst.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, dst.URL+"/v1/stages", http.StatusFound)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	if _, err := c.ListPage(context.Background(), "/stages", nil, ""); err == nil {
		t.Error("a redirect was not an error")
	}
	if other.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

// TestNormalizeBaseURLSuggestsAWholeRoot: a root without a path gets a
// suggestion that works as it is, scheme included.
func TestNormalizeBaseURLSuggestsAWholeRoot(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:18080":         "e.g. http://127.0.0.1:18080/v1",
		"https://api.eu.lever.co":        "e.g. https://api.eu.lever.co/v1",
		"https://fakeleverFullAccess7Qm": "e.g. https://api.lever.co/v1",
	} {
		if _, err := lever.NormalizeBaseURL(in); err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("NormalizeBaseURL(%q) = %v, want an error ending %q", in, err, want)
		}
	}
}
