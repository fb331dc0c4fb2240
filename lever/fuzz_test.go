package lever

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"a"},{"id":"b"}],"hasNext":true,"next":"%5B1%2C1750233409740%2C%2248dd4e94%22%5D"}`))
	f.Add([]byte(`{"data":[],"hasNext":false}`))
	f.Add([]byte(`{"data":[{"text":"LinkedIn","count":3}],"hasNext":false,"next":"ignored"}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"data":[{"id":"a"}],"hasNext":true,"next":12}`))
	f.Add([]byte(`{"data":[{"id":"a"},`))
	f.Add([]byte(`<html>502 Bad Gateway</html>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(body)
		if err != nil {
			if !json.Valid(body) && !isSyntaxError(err) {
				t.Fatalf("invalid JSON gave a non-retryable error %v", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatal("accepted invalid JSON")
		}
		if !p.HasNext && p.Next != "" {
			t.Errorf("Next %q without hasNext", p.Next)
		}
		for _, raw := range p.Data {
			if !json.Valid(raw) {
				t.Errorf("invalid element %q", raw)
			}
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	for _, s := range []string{"0", "1", "120", " 30 ", "-1", "1.5", "99999999999999999999999",
		"Sat, 28 Nov 2026 01:00:30 GMT", "Fri, 27 Nov 2026 23:00:00 GMT", "Saturday, 28-Nov-26 01:00:10 GMT",
		"Sat Nov 28 01:00:05 2026", "soon", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		d, ok := parseRetryAfter(h, now)
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, negative", h, d)
		}
		if !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v without ok", h, d)
		}
		if strings.TrimSpace(h) == "" && ok {
			t.Fatalf("parseRetryAfter(%q) ok for an empty header", h)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"0":                             0,
		"7":                             7 * time.Second,
		"Sat, 28 Nov 2026 01:00:30 GMT": 30 * time.Second,
		"Fri, 27 Nov 2026 23:00:00 GMT": 0,
	}
	for h, want := range cases {
		if d, ok := parseRetryAfter(h, now); !ok || d != want {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v", h, d, ok, want)
		}
	}
	for _, h := range []string{"", "soon", "-3", "1.5"} {
		if _, ok := parseRetryAfter(h, now); ok {
			t.Errorf("parseRetryAfter(%q) accepted", h)
		}
	}
	if d, ok := parseRetryAfter("99999999999999999999999", now); !ok || d != maxDuration {
		t.Errorf("huge Retry-After = %v, %v", d, ok)
	}
}

// roundTripFunc answers requests in process, without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzOffsetToken: whatever token Lever sends as next, the client sends it
// back so that Lever reads exactly the same string from the query.
func FuzzOffsetToken(f *testing.F) {
	for _, s := range []string{
		"%5B1%2C1750233409740%2C%2248dd4e94-27e5-4a0e-a6e0-2a3f1d4b6c2e%22%5D",
		"0.1414895548650.a6070140-0c5a-4e2b-8b3e-0f2c6b5c9d11",
		"[1,2,\"x\"]", "a&b=c", "a+b c", "%", "%zz", "x;y", "é/?#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if token == "" || !utf8.ValidString(token) {
			t.Skip("Lever's JSON carries only non-empty UTF-8 tokens")
		}
		var sent string
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				t.Fatalf("query %q does not parse: %v", r.URL.RawQuery, err)
			}
			sent = q.Get("offset")
			next, _ := json.Marshal(token)
			body := `{"data":[{"id":"x"}],"hasNext":true,"next":` + string(next) + `}`
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})
		c, err := NewClient(Options{BaseURL: "https://api.lever.co/v1", Key: NewAPIKey("k"), Rate: -1, HTTPClient: &http.Client{Transport: rt}})
		if err != nil {
			t.Fatal(err)
		}
		page, err := c.ListPage(context.Background(), "/opportunities", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if page.Next != token {
			t.Fatalf("decoded next %q, sent %q", page.Next, token)
		}
		if _, err := c.ListPage(context.Background(), "/opportunities", nil, page.Next); err != nil {
			t.Fatal(err)
		}
		if sent != token {
			t.Fatalf("server read offset %q, want %q", sent, token)
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	c, err := NewClient(Options{BaseURL: "https://api.lever.co/v1", Key: NewAPIKey("k"), BaseBackoff: 100 * time.Millisecond, MaxRetryAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 12; attempt++ {
		ceiling := min(100*time.Millisecond<<(attempt-1), time.Second)
		var maxSeen time.Duration
		for range 200 {
			d := c.backoffFor(attempt)
			if d < 0 || d >= ceiling {
				t.Fatalf("attempt %d: backoff %v outside [0, %v)", attempt, d, ceiling)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < ceiling/2 {
			t.Errorf("attempt %d: 200 draws all below %v: no jitter up to the ceiling %v", attempt, ceiling/2, ceiling)
		}
	}
}

func TestFinalErrorMatches(t *testing.T) {
	if err := finalError(errors.New("boom"), 3); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("finalError = %v", err)
	}
}

// FuzzAPIKey: a key is trimmed once and for all, and no way of printing it
// shows the secret.
func FuzzAPIKey(f *testing.F) {
	for _, s := range []string{"fakeleverFullAccess7Qm2Xv9Bn4Tt6Rp1Sw8Yz3Cd5Hk", " key\n", "\t\r\n", "", "a b", "key\x00", "ключ", "[redacted key]x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NewAPIKey(s)
		if k.Reveal() != strings.TrimSpace(s) {
			t.Fatalf("NewAPIKey(%q).Reveal() = %q", s, k.Reveal())
		}
		if again := NewAPIKey(k.Reveal()); again.Reveal() != k.Reveal() {
			t.Fatalf("NewAPIKey is not idempotent on %q", s)
		}
		if k.IsZero() != (k.Reveal() == "") {
			t.Fatalf("IsZero = %v for %q", k.IsZero(), k.Reveal())
		}
		if k.IsZero() || strings.Contains(k.GoString(), k.Reveal()) {
			return // the mask itself contains such a short secret
		}
		for _, out := range []string{k.String(), k.GoString(), fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x %X", k, k, k, k, k, k, k), fmt.Sprint(&k)} {
			if strings.Contains(out, k.Reveal()) {
				t.Fatalf("the secret %q printed as %q", k.Reveal(), out)
			}
		}
		if b, err := json.Marshal(struct{ K APIKey }{k}); err != nil || string(b) != `{"K":"`+keyMask+`"}` {
			t.Fatalf("JSON of the key = %s, %v", b, err)
		}
	})
}

// FuzzNormalizeBaseURL: a root that is accepted normalizes to itself, never
// keeps a user name, password, query or fragment, uses plain http only on
// loopback, and an error never repeats what was given (it may be a pasted
// key).
func FuzzNormalizeBaseURL(f *testing.F) {
	for _, s := range []string{"https://api.lever.co/v1", "https://API.Lever.co:443/v1/", "http://127.0.0.1:8080/v1", "http://[::1]/sandbox/v1",
		"http://localhost:80/v1", "http://api.lever.co/v1", "https://user:secretpass@api.lever.co/v1", "https://api.lever.co", "https://api.lever.co/v1?x", "ftp://x/v1",
		"fakeleverFullAccess7Qm2Xv9Bn4Tt6Rp1Sw8Yz3Cd5Hk", "https://api.lever.co/%zz", "https://api.lever.co:/v1",
		"https://fakeleverFullAccess7Qm2Xv9Bn4Tt6Rp1Sw8Yz3Cd5Hk", "http://fakeleverFullAccess7Qm2Xv9Bn4Tt6Rp1Sw8Yz3Cd5Hk/v1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeBaseURL(raw)
		if err != nil {
			// Only a host is ever named (plain http to it); a key pasted
			// in the wrong place has none.
			msg := strings.ReplaceAll(err.Error(), Production.BaseURL(), "")
			if s := strings.TrimSpace(raw); len(s) >= 8 && !strings.Contains(s, "://") && strings.Contains(msg, s) {
				t.Fatalf("the error repeats the input %q: %v", raw, err)
			}
			// Nor a host that is no host name: a key pasted after https://
			// (long, so that it is no word of the message itself).
			if u, perr := url.Parse(strings.TrimSpace(raw)); perr == nil {
				if h := u.Hostname(); len(h) >= 16 && !strings.ContainsAny(h, ".:[") && !isLoopback(h) && strings.Contains(msg, h) {
					t.Fatalf("the error repeats the host %q of %q: %v", h, raw, err)
				}
			}
			return
		}
		again, err := NormalizeBaseURL(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeBaseURL(%q) = %q, but that normalizes to %q, %v", raw, got, again, err)
		}
		u, err := url.Parse(got)
		if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host != strings.ToLower(u.Host) {
			t.Fatalf("NormalizeBaseURL(%q) = %q", raw, got)
		}
		if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			t.Fatalf("plain http to %q accepted", u.Hostname())
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("scheme %q accepted", u.Scheme)
		}
	})
}

// FuzzScanMatchesEncodingJSON holds the one-pass scanner to encoding/json:
// it accepts exactly what json.Valid accepts, and when its fast paths read a
// page or a record they read what encoding/json reads.
func FuzzScanMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"id":"a","createdAt":1700000000000,"updatedAt":null,"applications":[{"posting":"p1"},{"posting":{"id":"p2"}},"app-id"]}],"hasNext":true,"next":"t1"}`,
		`{"data":[],"hasNext":false}`,
		`{"id":"\u0061","text":"Go","createdAt":-1.5e3,"updatedAt":"x"}`,
		`{"id":"o","name":"Ada Lovelace","emails":["ada@example.com","a@b.c"],"applications":[]}`,
		`{"id":"o","name":null,"emails":[null,"x@y.z"],"Name":"n"}`,
		`{"text":"LinkedIn","count":3}`,
		`{"data":[{"id":"a"}],"hasNext":true,"next":null}`,
		`[1, 2.50, -0, 1e+9, true, false, null, "\"\\\/\b\f\n\r\t"]`,
		`{"id":"o","applications":[{"posting":"p","posting":"q"},{"Posting":"x"},{"posting":{"id":"a\u0062"}}]}`,
		`{"id":null,"text":"LinkedIn"}`, `{"id":"x","applications":{}}`, `{"id":"x","text":5}`,
		`{"a":01}`, `{"a":1.}`, `{"a":"\x"}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, ` {} `, `{}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := scanner{b: b}
		if got, want := s.value() && s.end(), json.Valid(b); got != want {
			t.Fatalf("scanner says valid=%v, json.Valid says %v", got, want)
		}
		if p, ok := scanPage(b); ok {
			var env pageEnvelope
			if err := json.Unmarshal(b, &env); err != nil || env.Data == nil {
				t.Fatalf("scanPage read a page encoding/json refuses: %v", err)
			}
			if len(p.Data) != len(*env.Data) || p.HasNext != env.HasNext || (p.HasNext && p.Next != env.Next) {
				t.Fatalf("scanPage %d elements hasNext %v next %q; encoding/json %d %v %q", len(p.Data), p.HasNext, p.Next, len(*env.Data), env.HasNext, env.Next)
			}
			for i := range p.Data {
				if string(p.Data[i]) != string((*env.Data)[i]) {
					t.Fatalf("element %d: %q, encoding/json %q", i, p.Data[i], (*env.Data)[i])
				}
			}
		}
		// The keys read in one pass, alone or with a page around them, are
		// the keys encoding/json reads, or the record is left to it.
		s = scanner{b: b}
		k, ok := s.keys()
		ok = ok && s.end()
		var inPage *recordKeyTokens
		if p, pok := scanPage([]byte(`{"data":[` + string(b) + `]}`)); pok && len(p.keys) == 1 {
			inPage = p.keys[0]
		}
		for _, r := range []Resource{Opportunities, Tags, Notes} {
			slow, err := decodeRecordSlow(r, b)
			for _, keys := range []*recordKeyTokens{k, inPage} {
				if keys == nil || (keys == k && !ok) {
					continue
				}
				fast, fok := keys.record(r, b, "")
				if !fok {
					continue
				}
				if err != nil {
					t.Fatalf("%s: the one-pass read took a record encoding/json refuses: %v", r, err)
				}
				if fast.ID != slow.ID || fast.CreatedAt != slow.CreatedAt || fast.UpdatedAt != slow.UpdatedAt || !slices.Equal(fast.PostingIDs, slow.PostingIDs) ||
					(r == Opportunities && (fast.Name != slow.Name || !slices.Equal(fast.Emails, slow.Emails))) {
					t.Fatalf("%s: one pass %+v, encoding/json %+v", r, fast, slow)
				}
			}
		}
	})
}
