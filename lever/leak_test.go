package lever_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
)

// secretForms are the ways a key could show up in text.
func secretForms(key string) []string {
	return []string{
		key,
		base64.StdEncoding.EncodeToString([]byte(key + ":")),
		base64.StdEncoding.EncodeToString([]byte(key)),
		strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(key+":")), "="),
	}
}

// assertNoSecret fails if s holds the test key in any form, without
// printing it.
func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	assertNoKey(t, s, testKey)
}

// assertNoKey fails if s holds one of keys in any form, without printing it.
func assertNoKey(t *testing.T, s string, keys ...string) {
	t.Helper()
	for _, key := range keys {
		for _, form := range secretForms(key) {
			if strings.Contains(s, form) {
				t.Errorf("text leaks a key: %q", strings.ReplaceAll(s, form, "<KEY>"))
			}
		}
	}
}

// TestNoKeyLeak drives every failure path and every way of printing the
// client, and searches all of it for the key.
func TestNoKeyLeak(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/v1") {
		case "/401":
			writeJSON(w, 401, map[string]string{"code": "UnauthorizedError", "message": "A valid API key was not provided"})
		case "/opportunities":
			writeJSON(w, 403, map[string]string{"message": "not allowed"})
		case "/400":
			writeJSON(w, 400, map[string]string{"message": "Invalid offset token"})
		case "/503":
			w.WriteHeader(503)
		case "/reset":
			resetConn(t, w)
		case "/truncated":
			truncate(w)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()

	var out bytes.Buffer
	var mu sync.Mutex
	record := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&out, format+"\n", args...)
	}
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	textLogger := slog.New(slog.NewTextHandler(&out, nil))

	opts := lever.Options{
		BaseURL:     srv.URL + "/v1",
		Key:         lever.NewAPIKey(testKey),
		Rate:        -1,
		MaxRetries:  2,
		BaseBackoff: time.Millisecond,
		OnRetry:     func(ri lever.RetryInfo) { record("%v %+v", ri, ri) },
	}
	c, err := lever.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	record("%v %+v %#v %s", opts, opts, opts, opts.Key)
	record("%v %+v %#v %s", c, c, c, c)
	logger.Info("client", "options", opts, "client", c, "key", opts.Key)
	textLogger.Info("client", "options", opts, "client", c, "key", opts.Key)

	ctx := context.Background()
	for _, path := range []string{"/401", "/opportunities", "/400", "/503", "/reset", "/truncated", "/404"} {
		_, err := c.ListPage(ctx, path, url.Values{"q": {"v"}}, "tok")
		if err == nil {
			t.Errorf("%s: no error", path)
			continue
		}
		record("%v %+v %#v", err, err, err)
		logger.Error("list failed", "err", err)
	}
	record("%v", c.VerifyKey(ctx))
	results := make(chan lever.ProbeResult)
	go c.ProbeAll(ctx, permission.All, results)
	for r := range results {
		record("%v %+v", r, r)
	}
	record("%+v", c.ProbeConfidential(ctx))

	// A server that is not there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	opts.BaseURL = "http://" + addr + "/v1"
	down, err := lever.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.ListPage(ctx, "/users", nil, "")
	record("%v", err)
	record("%v", down.VerifyKey(ctx))

	for _, raw := range []string{"https://" + testKey + ":@api.lever.co/v1", "http://" + testKey + "@api.lever.co/v1", testKey} {
		_, err := lever.NormalizeBaseURL(raw)
		record("%v", err)
		opts.BaseURL = raw
		_, err = lever.NewClient(opts)
		record("%v", err)
	}

	if out.Len() < 1000 {
		t.Fatalf("only %d bytes of output collected; the test is not exercising the paths", out.Len())
	}
	assertNoSecret(t, out.String())
	if !strings.Contains(out.String(), "[redacted key]") {
		t.Error("the key's mask never appeared: printing the options did not reach the key")
	}
}
