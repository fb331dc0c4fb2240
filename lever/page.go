package lever

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// Page is one page of a list endpoint: {"data": [...], "hasNext", "next"}.
type Page struct {
	Data    []json.RawMessage
	HasNext bool
	// Next is the opaque token for the following page; empty when HasNext is
	// false.
	Next string
	// ServerTime is Lever's Date header for this response (zero if absent).
	ServerTime time.Time
	// keys are the keys of the records in Data, read with the page (nil
	// where they were not).
	keys []*recordKeyTokens
}

// Lister reads one page of a list endpoint. *Client implements it; the sync
// engine depends on this interface only, so it can be tested alone.
type Lister interface {
	// ListPage GETs path (relative to the API root, e.g. "/opportunities")
	// with query plus limit and offset; offset "" asks for the first page.
	// It rate-limits and retries, returns typed errors, and leaves query
	// as it was: Pages passes the same query for every page.
	ListPage(ctx context.Context, path string, query url.Values, offset string) (Page, error)
	// Requests counts the HTTP requests made so far (retries included).
	Requests() int64
	// Capacity is how many requests are worth having in flight now (at
	// least 1): what the rate limiter admits within one round trip.
	Capacity() int
}

// RetryInfo tells an observer that a request is about to be retried.
type RetryInfo struct {
	Path    string
	Status  int // 0 for a network error or an unreadable body
	Attempt int // the attempt that failed, from 1
	Wait    time.Duration
	Err     error
}
