package lever_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/leversync/leversync/lever"
)

// TestWrongAPIRootIsNamed: answers that mean the API root is not Lever's
// (a 404, a redirect, JSON of another shape, a web page every time) match
// ErrNotLeverAPI and say that the root looks wrong; none of them reads as
// "unavailable, try again later". A body cut short is still a transient
// failure.
func TestWrongAPIRootIsNamed(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(w http.ResponseWriter, r *http.Request)
		wrong   bool
		mention string
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, true, "API root"},
		{"404 with Lever's body", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 404, map[string]string{"code": "ResourceNotFound", "message": "No route"})
		}, true, "API root"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://www.example.com/login?next=secret", http.StatusMovedPermanently)
		}, true, "redirect"},
		{"JSON without data", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]int{"foo": 1}) }, true, "API root"},
		{"data not a list", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"data": map[string]string{"id": "x"}})
		}, true, "API root"},
		{"a web page with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!doctype html><html><body>Welcome to our site</body></html>"))
		}, true, "web page"},
		{"truncated JSON", func(w http.ResponseWriter, r *http.Request) { truncate(w) }, false, "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Connection", "close")
				tc.answer(w, r)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, func(o *lever.Options) { o.MaxRetries = 2 })
			_, err := c.ListPage(context.Background(), "/stages", nil, "")
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if got := errors.Is(err, lever.ErrNotLeverAPI); got != tc.wrong {
				t.Errorf("errors.Is(ErrNotLeverAPI) = %v, want %v: %v", got, tc.wrong, err)
			}
			if tc.wrong {
				if errors.Is(err, lever.ErrUnavailable) || strings.Contains(err.Error(), "try again later") {
					t.Errorf("a wrong API root reads as unavailable: %v", err)
				}
				if strings.Contains(err.Error(), "next=secret") {
					t.Errorf("the redirect's query was repeated: %v", err)
				}
			} else if !errors.Is(err, lever.ErrUnavailable) {
				t.Errorf("a truncated body is not unavailable: %v", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

// TestNetworkTextReachesNoTerminal: Lever's error text can carry escape
// sequences (a hostile proxy, a compromised account's data); the client's
// errors hold none of them, whatever the status.
func TestNetworkTextReachesNoTerminal(t *testing.T) {
	const hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[Hsee \u009b31mhere\r\nand\u202e there"
	for _, status := range []int{400, 403, 404, 409, 500, 503} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]string{"code": "Code\x1b[31m", "message": hostile})
		}))
		c := newTestClient(t, srv, func(o *lever.Options) { o.MaxRetries = 1 })
		_, err := c.ListPage(context.Background(), "/opportunities", nil, "")
		srv.Close()
		if err == nil {
			t.Fatalf("%d: no error", status)
		}
		msg := err.Error()
		if strings.ContainsFunc(msg, func(r rune) bool { return unicode.IsControl(r) || r == '\u202e' }) {
			t.Errorf("%d: the error keeps control characters: %q", status, msg)
		}
		if status != 403 && !strings.Contains(msg, "see here and there") {
			t.Errorf("%d: Lever's words were lost: %q", status, msg)
		}
	}
}
