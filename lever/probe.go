package lever

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/leversync/leversync/lever/permission"
)

// ProbeStatus is what a permission probe concluded.
type ProbeStatus int

const (
	// Unknown: the probe could not tell (network, 401, an unexpected answer).
	Unknown ProbeStatus = iota
	Granted
	Missing
)

func (s ProbeStatus) String() string {
	switch s {
	case Granted:
		return "granted"
	case Missing:
		return "missing"
	}
	return "could not tell"
}

// ProbeResult is the outcome of probing one permission.
type ProbeResult struct {
	Permission permission.Permission
	Status     ProbeStatus
	// Detail says what the answer was, e.g. "looks granted (400 on an
	// invalid body)".
	Detail string
	// Err is set when Status is Unknown because of an error.
	Err error
}

// ConfidentialAccess stands for the key's "Allow access to confidential
// data" toggle in a ProbeResult; it is not an endpoint permission.
var ConfidentialAccess = permission.Permission{Name: "Allow access to confidential data", Method: http.MethodGet, Path: "/opportunities"}

// ProbeConcurrency bounds how many probes ProbeAll runs at once; the rate
// limiter applies on top.
const ProbeConcurrency = 4

// unknownID is a well-formed UUID that names no record: Lever's ids are
// random (version 4) UUIDs, and this one is all zeros. Write probes always
// use it; read probes use it when the matching list gives no real id.
const unknownID = "00000000-0000-4000-8000-000000000000"

// probeBody is deliberately not JSON, so Lever cannot parse a write probe
// into anything to create or change.
var probeBody = []byte(`{"leversyncPermissionProbe":`)

// VerifyKey checks that Lever accepts the key. It returns nil when the key is
// valid (a 403 still proves that), an error matching ErrUnauthorized when it
// is rejected, and otherwise the network or Lever error.
func (c *Client) VerifyKey(ctx context.Context) error {
	_, err := c.ListPage(ctx, "/stages", url.Values{"limit": {"1"}}, "")
	if errors.Is(err, ErrForbidden) {
		return nil
	}
	return err
}

// Probe tells whether the key has permission p without changing anything in
// Lever. Reads GET the endpoint with limit=1 (a 404 on an id means the
// endpoint itself was allowed). Writes can change nothing by construction:
// every id in the path is one that cannot exist, the body is not JSON, and
// the request is sent once, never retried. 403 means missing, 400 (or 404
// on the id) means it looks granted, anything else is Unknown.
func (c *Client) Probe(ctx context.Context, p permission.Permission) ProbeResult {
	res := ProbeResult{Permission: p}
	if p.Write {
		path := strings.ReplaceAll(p.Path, ":id", unknownID)
		err := c.do(ctx, p.Method, path, nil, probeBody, func(*response) error { return nil })
		var ae *APIError
		switch {
		case errors.Is(err, ErrForbidden):
			res.Status, res.Detail = Missing, "missing (403)"
		case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
			res.Status, res.Detail = Granted, "looks granted (400 on an invalid body)"
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound && strings.Contains(p.Path, ":id"):
			res.Status, res.Detail = Granted, "looks granted (404 on an id that cannot exist, so the endpoint itself is allowed)"
		case err == nil:
			res.Detail = "could not tell: Lever accepted an invalid body"
		default:
			res.Detail, res.Err = "could not tell: "+err.Error(), err
		}
		return res
	}
	path := c.probePath(ctx, p.Path)
	var q url.Values
	if !strings.HasSuffix(p.Path, ":id") {
		q = url.Values{"limit": {"1"}}
	}
	err := c.do(ctx, p.Method, path, q, nil, func(r *response) error {
		var v json.RawMessage
		return json.Unmarshal(r.body, &v)
	})
	var ae *APIError
	switch {
	case err == nil:
		res.Status, res.Detail = Granted, "granted (200)"
	case errors.Is(err, ErrForbidden):
		res.Status, res.Detail = Missing, "missing (403)"
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound && strings.Contains(p.Path, ":id"):
		res.Status, res.Detail = Granted, "granted (404 on a record id, so the endpoint itself is allowed)"
	default:
		res.Detail, res.Err = "could not tell: "+err.Error(), err
	}
	return res
}

// ProbeConfidential tells whether the key may read confidential records.
// Lever answers 403 to a key without that access; if the plain list is
// forbidden too, the answer says nothing and the result is Unknown.
func (c *Client) ProbeConfidential(ctx context.Context) ProbeResult {
	res := ProbeResult{Permission: ConfidentialAccess}
	q := url.Values{"confidentiality": {"confidential"}, "limit": {"1"}}
	_, err := c.ListPage(ctx, "/opportunities", q, "")
	if err == nil {
		res.Status, res.Detail = Granted, "granted (200 on confidential opportunities)"
		return res
	}
	if !errors.Is(err, ErrForbidden) {
		res.Detail, res.Err = "could not tell: "+err.Error(), err
		return res
	}
	_, err = c.ListPage(ctx, "/opportunities", url.Values{"limit": {"1"}}, "")
	switch {
	case err == nil:
		res.Status, res.Detail = Missing, "missing (403 on confidential opportunities, 200 on the others)"
	case errors.Is(err, ErrForbidden):
		res.Detail, res.Err = `could not tell: the key also lacks "find all opportunities"`, err
	default:
		res.Detail, res.Err = "could not tell: "+err.Error(), err
	}
	return res
}

// ProbeAll probes perms with at most ProbeConcurrency at a time, sends each
// result on results as it arrives, and closes results when done. It returns
// once every probe has finished or ctx is done; run it in a goroutine and
// range over results.
func (c *Client) ProbeAll(ctx context.Context, perms []permission.Permission, results chan<- ProbeResult) {
	defer close(results)
	jobs := make(chan permission.Permission)
	var wg sync.WaitGroup
	for range min(ProbeConcurrency, len(perms)) {
		wg.Go(func() {
			for p := range jobs {
				r := c.Probe(ctx, p)
				select {
				case results <- r:
				case <-ctx.Done():
				}
			}
		})
	}
feed:
	for _, p := range perms {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
}

// probePath fills each :id of pattern with the id of a record from the list
// before it (so the probe reads something real), or unknownID.
func (c *Client) probePath(ctx context.Context, pattern string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if s == ":id" {
			segs[i] = url.PathEscape(c.sampleID(ctx, strings.Join(segs[:i], "/")))
		}
	}
	return strings.Join(segs, "/")
}

// sampleSources says where to find a real id for a list that Lever does not
// have: contacts are found through the opportunities that name them.
var sampleSources = map[string]struct{ list, field string }{
	"/contacts": {"/opportunities", "contact"},
}

// sampleID returns the id of the first record of a list, remembered per
// list; unknownID when the list cannot be read or is empty.
func (c *Client) sampleID(ctx context.Context, list string) string {
	c.probeMu.Lock()
	id, ok := c.probeIDs[list]
	c.probeMu.Unlock()
	if ok {
		return id
	}
	src, field := list, "id"
	if s, ok := sampleSources[list]; ok {
		src, field = s.list, s.field
	}
	id = unknownID
	page, err := c.ListPage(ctx, src, url.Values{"limit": {"1"}}, "")
	if err == nil && len(page.Data) > 0 {
		var rec map[string]json.RawMessage
		var v string
		if json.Unmarshal(page.Data[0], &rec) == nil && json.Unmarshal(rec[field], &v) == nil && v != "" {
			id = v
		}
	}
	if ctx.Err() == nil {
		c.probeMu.Lock()
		c.probeIDs[list] = id
		c.probeMu.Unlock()
	}
	return id
}
