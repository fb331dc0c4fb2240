package lever

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/leversync/leversync/lever/permission"
)

// Client defaults, as Lever documents its limits (10 req/s, bursts of 20).
const (
	DefaultRate           = 10
	DefaultBurst          = 20
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 8
	DefaultMaxRetryAfter  = 60 * time.Second
	DefaultBaseBackoff    = 500 * time.Millisecond
	DefaultPageLimit      = 100
	DefaultUserAgent      = "leversync"
)

// maxBody bounds one response: a page of 100 expanded opportunities is well
// under a megabyte.
const maxBody = 64 << 20

// Options configure a Client. Zero values mean the defaults above.
type Options struct {
	// BaseURL is the API root including /v1, e.g. Production.BaseURL().
	BaseURL string
	Key     APIKey
	// Rate is the steady request rate per second; negative means no limit.
	Rate float64
	// Burst is the token bucket's size.
	Burst      int
	HTTPClient *http.Client
	// RequestTimeout bounds one attempt, body included.
	RequestTimeout time.Duration
	// MaxRetries is how many times a request is retried; negative means never.
	MaxRetries int
	// MaxRetryAfter caps both Retry-After and the exponential backoff.
	MaxRetryAfter time.Duration
	// BaseBackoff is the backoff ceiling of the first retry; it doubles each
	// retry up to MaxRetryAfter, and the wait is drawn uniformly below it.
	BaseBackoff time.Duration
	// OnRetry, when set, is called before each wait; it may be called from
	// several goroutines at once.
	OnRetry func(RetryInfo)
	// Hold, when set, is called before every attempt, retries included,
	// and again once the rate limit admits it, and may block: a paused
	// sync holds its requests there, so a retry waiting out a 429 does not
	// reach Lever during the pause either. Its error ends the request.
	Hold      func(context.Context) error
	UserAgent string
}

// Client speaks Lever's Data API with one key. It is safe for concurrent use;
// every request, retries included, draws from the same token bucket.
type Client struct {
	base       string
	key        APIKey
	pace       *pacer
	http       *http.Client
	timeout    time.Duration
	maxRetries int
	maxWait    time.Duration
	backoff    time.Duration
	onRetry    func(RetryInfo)
	hold       func(context.Context) error
	userAgent  string
	requests   atomic.Int64

	probeMu  sync.Mutex
	probeIDs map[string]string // list path -> an id found there, for probes
}

// NewClient checks the options and builds a client. It makes no request.
func NewClient(o Options) (*Client, error) {
	base, err := NormalizeBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.Key.IsZero() {
		return nil, errors.New("no API key: paste the key Lever showed when it was generated")
	}
	c := &Client{
		base:       base,
		key:        o.Key,
		timeout:    orDefault(o.RequestTimeout, DefaultRequestTimeout),
		maxRetries: o.MaxRetries,
		maxWait:    orDefault(o.MaxRetryAfter, DefaultMaxRetryAfter),
		backoff:    orDefault(o.BaseBackoff, DefaultBaseBackoff),
		onRetry:    o.OnRetry,
		hold:       o.Hold,
		userAgent:  o.UserAgent,
		probeIDs:   map[string]string{},
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	limit, burst := rate.Limit(o.Rate), o.Burst
	switch {
	case o.Rate < 0:
		limit = rate.Inf
	case o.Rate == 0:
		limit = DefaultRate
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	c.pace = newPacer(limit, burst)

	hc := http.Client{}
	if o.HTTPClient != nil {
		hc = *o.HTTPClient
	} else {
		// A transport with enough idle connections for parallel streams;
		// a clone, so the change stays with this client.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		hc.Transport = t
	}
	if hc.CheckRedirect == nil {
		// Lever does not redirect API calls; following one could carry the
		// key to another place, so a 3xx is returned as an error instead.
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	c.http = &hc
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// NormalizeBaseURL checks an API root such as https://api.lever.co/v1 and
// returns it without a trailing slash. Plain http is accepted only for a
// loopback host, so a key never crosses a network in clear. Errors never
// repeat the input, which may hold a pasted secret.
func NormalizeBaseURL(raw string) (string, error) {
	const example = "it should look like https://api.lever.co/v1"
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("no API root given: " + example)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.Opaque != "" {
		return "", errors.New("the API root is not a valid URL: " + example)
	}
	if u.User != nil {
		return "", errors.New("the API root must not contain a user name or password: the key is sent in the Authorization header")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errors.New("the API root must not contain a query or a fragment: " + example)
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("refusing plain http:// to %s: the key would cross the network unencrypted; use https:// (http is allowed only for 127.0.0.1, ::1 or localhost)", nameHost(u.Hostname(), u.Hostname(), "that host"))
		}
	default:
		return "", errors.New("the API root must start with https://: " + example)
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path == "" {
		return "", errors.New("the API root has no path: add the version, e.g. " + nameHost(u.Host, scheme+"://"+u.Host, "https://api.lever.co") + "/v1")
	}
	// Host names are case-insensitive and the default port is no port, so
	// one root has one spelling (saved keys are kept per root).
	host := strings.TrimSuffix(strings.ToLower(u.Host), ":")
	if port := u.Port(); (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return scheme + "://" + host + path, nil
}

// nameHost is named, for an error to show, when host looks like a host
// name or an address; otherwise, since host may be a key pasted after
// https://, instead.
func nameHost(host, named, instead string) string {
	if strings.ContainsAny(host, ".:[") || isLoopback(host) {
		return named
	}
	return instead
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Format prints the client as its API root only: fmt would otherwise print
// unexported fields, the key among them.
func (c *Client) Format(f fmt.State, verb rune) {
	if c == nil {
		fmt.Fprint(f, "lever.Client(nil)")
		return
	}
	fmt.Fprintf(f, "lever.Client(%s)", c.base)
}

// Requests counts the HTTP requests made so far, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Capacity is how many requests are worth having in flight now: what the
// rate limiter admits within one round trip at the latency observed so far
// (the tokens in its bucket plus its current rate times the latency), and
// at least the attempts already out, plus the tokens left, plus one to
// wait for the next token, so a full bucket is spent at once before the
// latency is known. An attempt out for over twice the observed round trip
// no longer counts: when Lever hangs, no more are sent in its place. A
// caller that keeps that many requests going uses the whole rate budget at
// any latency; more would only wait in the limiter.
func (c *Client) Capacity() int { return c.pace.capacity() }

// ListPage GETs one page of a list endpoint. query is not modified; limit
// defaults to 100 and offset "" asks for the first page.
func (c *Client) ListPage(ctx context.Context, path string, query url.Values, offset string) (Page, error) {
	q := cloneValues(query)
	if !q.Has("limit") {
		q.Set("limit", fmt.Sprint(DefaultPageLimit))
	}
	q.Del("offset")
	if offset != "" {
		q.Set("offset", offset)
	}
	var page Page
	err := c.do(ctx, http.MethodGet, path, q, nil, func(r *response) error {
		p, err := decodePage(r.body)
		if err != nil {
			return err
		}
		p.ServerTime = r.date
		page = p
		return nil
	})
	return page, err
}

// pageEnvelope is Lever's list envelope.
type pageEnvelope struct {
	Data    *[]json.RawMessage `json:"data"`
	HasNext bool               `json:"hasNext"`
	Next    string             `json:"next"`
}

// decodePage reads a list envelope. A body that is not JSON (truncated, an
// HTML error page) fails with a *json.SyntaxError, which the caller retries.
// The elements of Data alias body.
func decodePage(body []byte) (Page, error) {
	if p, ok := scanPage(body); ok {
		return p, nil
	}
	var env pageEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		if _, wrongType := errors.AsType[*json.UnmarshalTypeError](err); wrongType {
			return Page{}, errors.New("the answer is JSON, but not Lever's list (data, hasNext, next)")
		}
		return Page{}, err
	}
	if env.Data == nil {
		return Page{}, errors.New("the answer is JSON, but has no data list")
	}
	p := Page{Data: *env.Data, HasNext: env.HasNext, Next: env.Next}
	if !p.HasNext {
		p.Next = ""
	}
	return p, nil
}

// scanPage reads the usual envelope in one pass; ok is false for anything
// else (null data or next, escapes, invalid JSON), which decodePage leaves
// to encoding/json.
func scanPage(body []byte) (p Page, ok bool) {
	s := scanner{b: body}
	sawData := false
	ok = s.object(func(key string) bool {
		switch key {
		case "data":
			if s.peek() != '[' {
				return false
			}
			sawData = true
			p.Data = make([]json.RawMessage, 0, DefaultPageLimit)
			p.keys = make([]*recordKeyTokens, 0, DefaultPageLimit)
			return s.array(func() bool {
				// Each record is read once: its keys with the page.
				s.space()
				start := s.i
				var k *recordKeyTokens
				if s.peek() == '{' {
					var ok bool
					if k, ok = s.keys(); !ok {
						k, s.i = nil, start
					}
				}
				if k == nil && !s.value() {
					return false
				}
				p.Data = append(p.Data, s.b[start:s.i:s.i])
				p.keys = append(p.keys, k)
				return true
			})
		case "hasNext":
			switch s.peek() {
			case 't':
				p.HasNext = true
				return s.literal("true")
			case 'f':
				p.HasNext = false
				return s.literal("false")
			}
			return false
		case "next":
			next, ok := s.plainStr()
			p.Next = next
			return ok
		}
		if foldsTo(key, "data", "hasNext", "next") {
			return false
		}
		return s.value()
	})
	if !ok || !sawData || !s.end() {
		return Page{}, false
	}
	if !p.HasNext {
		p.Next = ""
	}
	return p, true
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// holdAttempt waits at Options.Hold, if set.
func (c *Client) holdAttempt(ctx context.Context) error {
	if c.hold == nil {
		return nil
	}
	return c.hold(ctx)
}

// response is what one attempt brought back.
type response struct {
	status int
	header http.Header
	body   []byte
	date   time.Time
}

// do sends one request with rate limiting and retries; a request other
// than a GET is retried only after a 429. decode reads a 2xx body; a JSON syntax error
// from it (a truncated or non-JSON body) is retried, any other decode error
// means JSON of another shape and matches ErrNotLeverAPI.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, decode func(*response) error) error {
	if strings.ContainsAny(path, "?#") || !strings.HasPrefix(path, "/") {
		return fmt.Errorf("bad API path %q: it must start with / and carry no query", cleanPath(path))
	}
	path = cleanPath(path)
	for attempt := 1; ; attempt++ {
		if err := c.holdAttempt(ctx); err != nil {
			return err
		}
		queued, err := c.pace.wait(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The limiter refuses a wait that would outlast ctx's deadline.
			return fmt.Errorf("waiting for the rate limit before %s %s: %w", method, path, context.DeadlineExceeded)
		}
		// After 429s the bucket's wait can outlast a second: a pause that
		// began meanwhile holds the attempt too.
		if err := c.holdAttempt(ctx); err != nil {
			c.pace.ended(queued)
			return err
		}
		r, err := c.attempt(ctx, queued, method, path, query, body)
		c.pace.ended(queued)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case err != nil: // network, timeout or truncated body: retried
		case r.status >= 200 && r.status < 300:
			derr := decode(r)
			if derr == nil {
				return nil
			}
			if !isSyntaxError(derr) {
				return fmt.Errorf("%w: %s %s: %w; %s", ErrNotLeverAPI, method, path, derr, wrongRootHint)
			}
			err = fmt.Errorf("unreadable answer to %s %s: %w", method, path, derr)
			if what, ok := notJSON(r); ok {
				// Still retried (a proxy's error page passes), but named.
				err = fmt.Errorf("%w: %s %s answered %s instead of JSON; %s", ErrNotLeverAPI, method, path, what, wrongRootHint)
			}
		case retryableStatus(r.status):
			err = apiError(method, path, r)
		default:
			return apiError(method, path, r)
		}
		if method != http.MethodGet && !errors.Is(err, ErrRateLimited) {
			// A write is retried only after a 429, which Lever sends
			// instead of doing it: any other failure may follow a write
			// that was applied, with its answer lost.
			return err
		}
		if attempt > c.maxRetries {
			return finalError(err, attempt)
		}
		status := 0
		wait := c.backoffFor(attempt)
		if r != nil && r.status >= 300 {
			status = r.status
			if ra, ok := parseRetryAfter(r.header.Get("Retry-After"), time.Now()); ok {
				wait = min(ra, c.maxWait)
			}
		}
		if c.onRetry != nil {
			c.onRetry(RetryInfo{Path: path, Status: status, Attempt: attempt, Wait: wait, Err: err})
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// attempt makes one HTTP request. A nil response with an error means the
// network or the per-attempt timeout failed.
func (c *Client) attempt(ctx context.Context, queued time.Time, method, path string, query url.Values, body []byte) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, path, stripURL(err))
	}
	req.SetBasicAuth(c.key.Reveal(), "")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.requests.Add(1)
	sent := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.attemptError(ctx, actx, "", method, path, err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp)
	if err != nil {
		return nil, c.attemptError(ctx, actx, "reading the answer to ", method, path, err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("the answer to %s %s is larger than %d bytes", method, path, maxBody)
	}
	c.pace.answered(queued, time.Since(sent), resp.StatusCode)
	r := &response{status: resp.StatusCode, header: resp.Header, body: data}
	if d := resp.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			r.date = t
		}
	}
	return r, nil
}

// readBody reads at most maxBody+1 bytes of the answer, into one buffer of
// the announced size when there is one.
func readBody(resp *http.Response) ([]byte, error) {
	body := io.LimitReader(resp.Body, maxBody+1)
	n := resp.ContentLength
	if n < 0 || n > maxBody {
		return io.ReadAll(body)
	}
	data := make([]byte, n, n+1)
	if _, err := io.ReadFull(body, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	// net/http never gives more than it announced, but a transport may.
	rest, err := io.ReadAll(body)
	return append(data, rest...), err
}

// attemptError words a failed attempt. A per-attempt timeout is reported as
// such rather than as context.DeadlineExceeded, which callers would take
// for the end of their own deadline.
func (c *Client) attemptError(ctx, actx context.Context, what, method, path string, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s%s %s: no answer within %v", what, method, path, c.timeout)
	}
	err = stripURL(err)
	// A TLS certificate's names, for one, come from the server.
	return fmt.Errorf("%s%s %s: %w", what, method, path, plainError{PlainText(err.Error()), err})
}

// plainError shows cleaned text but still matches what it wraps.
type plainError struct {
	text string
	err  error
}

func (e plainError) Error() string { return e.text }
func (e plainError) Unwrap() error { return e.err }

// stripURL drops the *url.Error wrapper, whose text repeats the full URL
// with its query (page tokens).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func cleanPath(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		return path[:i]
	}
	return path
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// finalError makes sure an error that survived every retry matches
// ErrRateLimited or ErrUnavailable, and says so.
func finalError(err error, attempts int) error {
	if errors.Is(err, ErrNotLeverAPI) {
		return fmt.Errorf("%w (the same after %d attempts)", err, attempts)
	}
	if !errors.Is(err, ErrRateLimited) && !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("%w (gave up after %d attempts; try again later)", err, attempts)
}

// apiError turns a non-2xx answer into the typed error a caller acts on.
func apiError(method, path string, r *response) error {
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(r.body, &body) != nil {
		body.Message = http.StatusText(r.status)
	}
	body.Message = truncate(PlainText(body.Message), 300)
	body.Code = truncate(PlainText(body.Code), 100)
	switch {
	case r.status == http.StatusForbidden:
		pe := &PermissionError{Method: method, Path: path, Message: body.Message, Write: method != http.MethodGet}
		if p, ok := permission.ForRequest(method, path); ok {
			pe.Permission, pe.Write = p.Name, p.Write
		}
		return pe
	case r.status == http.StatusBadRequest && strings.Contains(body.Message, "Invalid offset token"):
		return fmt.Errorf("%w: %w", ErrInvalidOffset, &APIError{Status: r.status, Code: body.Code, Message: body.Message, Method: method, Path: path})
	}
	ae := &APIError{Status: r.status, Code: body.Code, Message: body.Message, Method: method, Path: path}
	if r.status >= 300 && r.status < 400 {
		ae.Location = redirectTarget(r.header.Get("Location"))
	}
	return ae
}

// redirectTarget is where a redirect points, without its query (which may
// carry tokens) and cleaned for a terminal.
func redirectTarget(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || loc == "" {
		return ""
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return truncate(PlainText(u.String()), 200)
}

// notJSON says what a body is when it does not even start like JSON (a web
// page, plain text): an API root that is not Lever's, rather than a body
// cut short.
func notJSON(r *response) (string, bool) {
	b := bytes.TrimLeft(r.body, " \t\r\n")
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return "", false
	}
	if len(b) == 0 {
		return "", false
	}
	if b[0] == '<' || strings.Contains(r.header.Get("Content-Type"), "html") {
		return "a web page (HTML)", true
	}
	return "text that is not JSON", true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
