package fakelever

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Config sets the size and behaviour of a fake Lever. The zero value is a
// usable server with 2,000 opportunities and Lever's own rate limit.
type Config struct {
	// Seed makes the data deterministic: same seed, same data.
	Seed int64
	// Opportunities defaults to 2000.
	Opportunities int
	// Postings defaults to about Opportunities/40, at least 12, at most 2000.
	Postings int
	// Users defaults to 25 (some deactivated).
	Users int
	// Requisitions defaults to about Postings/2.
	Requisitions int
	// Latency is added to every response.
	Latency time.Duration
	// Faults is the fraction of requests that fail: a 503, a dropped
	// connection or a truncated body, in roughly equal parts.
	Faults float64
	// Rate is the per-key token bucket in requests/s: 0 means Lever's 10,
	// negative means unlimited.
	Rate float64
	// Burst defaults to 20.
	Burst int
	// TokenMaxAge defaults to 10 minutes; older page tokens are rejected
	// with "Invalid offset token".
	TokenMaxAge time.Duration
	// Now defaults to time.Now; the Date header, token age and mutation
	// times use it.
	Now func() time.Time
	// MalformedTag serves, second in /tags, a tag with empty text: a record
	// no copy can key, which a sync must skip.
	MalformedTag bool
	// Inject, when set, chooses a fault for each request that passed the
	// rate limit, from its path (without the API root) and query; it is
	// called concurrently.
	Inject func(path string, q url.Values) Fault
	// SlowBy is how late FaultSlow answers; default 1 minute.
	SlowBy time.Duration
}

func (c Config) withDefaults() Config {
	if c.Opportunities <= 0 {
		c.Opportunities = 2000
	}
	if c.Postings <= 0 {
		c.Postings = min(max(c.Opportunities/40, 12), 2000)
	}
	if c.Users <= 0 {
		c.Users = 25
	}
	if c.Requisitions <= 0 {
		c.Requisitions = max(c.Postings/2, 1)
	}
	if c.Rate == 0 {
		c.Rate = 10
	}
	if c.Burst <= 0 {
		c.Burst = 20
	}
	if c.TokenMaxAge <= 0 {
		c.TokenMaxAge = 10 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SlowBy <= 0 {
		c.SlowBy = time.Minute
	}
	return c
}

// Server is a Lever look-alike. It is an http.Handler; Start also listens.
type Server struct {
	cfg    Config
	data   *dataset
	keys   map[string]*keyGrant
	secret []byte
	// epoch is signed into page tokens; Restart moves it.
	epoch atomic.Int64

	mu       sync.RWMutex // guards the mutation overlays
	oppMut   map[int]mutation
	oppDel   map[int]int64
	postMut  map[int]mutation
	postDel  map[int]int64
	mutCount int
	removed  removals

	limMu    sync.Mutex
	limiters map[string]*keyLimiter

	statsMu sync.Mutex
	stats   Stats

	reqSeq   atomic.Uint64
	seq429   atomic.Uint64
	closing  chan struct{}
	closeOne sync.Once

	httpSrv *http.Server
	ln      net.Listener
	served  chan struct{}
	conns   sync.WaitGroup
}

// mutation is a record's overlay: updated at updatedAt, version times,
// and for an opportunity, whether it was anonymized.
type mutation struct {
	updatedAt  int64
	version    int
	anonymized bool
}

// Stats counts what the server saw.
type Stats struct {
	Requests int64
	// ByPath is keyed "GET /opportunities/:id": method and path pattern.
	ByPath    map[string]int64
	Served429 int64
	Faults    int64
	// MaxInOneSecond is the most requests accepted (not 429) for one key in
	// any one-second window.
	MaxInOneSecond int
	// MaxArrivedInOneSecond is the most requests that reached the rate
	// limiter for one key in any one-second window, 429s included: what a
	// client sent, before the server's own limiter had its say.
	MaxArrivedInOneSecond int
	// Accepted counts the requests the rate limiter let through, and
	// FirstAccepted and LastAccepted are when it let the first and the last
	// through: with Served429, what a client made of the rate budget.
	Accepted                    int64
	FirstAccepted, LastAccepted time.Time
	// AcceptedByPath is the same per pattern, keyed like ByPath.
	AcceptedByPath map[string]Span
	// Writes records every request that was not a GET, as it arrived, so a
	// test can tell whether it could have changed anything in a real Lever.
	Writes []WriteRequest
}

// WriteRequest is one request other than a GET, as the fake received it.
type WriteRequest struct {
	Method string
	// Path is the URL path, API root included; Query its raw query.
	Path  string
	Query string
	// Body is the request body, up to 1 MiB.
	Body []byte
}

// Span is how many requests the rate limiter let through, and when the
// first and the last.
type Span struct {
	Accepted    int64
	First, Last time.Time
}

// add counts a request accepted at t.
func (s *Span) add(t time.Time) {
	s.Accepted++
	if s.First.IsZero() {
		s.First = t
	}
	s.Last = t
}

// New builds a server; it listens only when started with Start.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		data:     newDataset(cfg.Seed, cfg.Opportunities, cfg.Postings, cfg.Users, cfg.Requisitions),
		keys:     keyTable(),
		secret:   make([]byte, 32),
		oppMut:   map[int]mutation{},
		oppDel:   map[int]int64{},
		postMut:  map[int]mutation{},
		postDel:  map[int]int64{},
		limiters: map[string]*keyLimiter{},
		closing:  make(chan struct{}),
	}
	s.stats.ByPath = map[string]int64{}
	s.stats.AcceptedByPath = map[string]Span{}
	if _, err := rand.Read(s.secret); err != nil {
		panic(fmt.Sprintf("fakelever: random secret: %v", err))
	}
	return s
}

// Start builds a server and serves it on addr ("" = "127.0.0.1:0") in the
// background until Close.
func Start(cfg Config, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake Lever: listen on %s: %w (pick another --addr)", addr, err)
	}
	s := New(cfg)
	s.ln = ln
	s.served = make(chan struct{})
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60*time.Second + s.cfg.Latency,
		IdleTimeout:       60 * time.Second,
		// Silent: the demo runs this server under a full-screen terminal UI.
		ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, st http.ConnState) {
			// Track connection lifetimes so Close can wait for them.
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateHijacked, http.StateClosed:
				s.conns.Done()
			}
		},
	}
	go func() {
		defer close(s.served)
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

// URL is the production API root, "http://127.0.0.1:PORT/v1" ("" unless
// started).
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String() + "/v1"
}

// SandboxURL is the sandbox API root on the same port.
func (s *Server) SandboxURL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String() + "/sandbox/v1"
}

// Close stops the server promptly: waiting handlers are released and every
// connection is closed.
func (s *Server) Close() error {
	s.closeOne.Do(func() { close(s.closing) })
	if s.httpSrv == nil {
		return nil
	}
	err := s.httpSrv.Close()
	<-s.served
	s.conns.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// keyLimiter is one key's token bucket plus the accepted and the arrived
// request times of the last second, for MaxInOneSecond and
// MaxArrivedInOneSecond.
type keyLimiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	recent  []time.Time
	arrived []time.Time
}

func (s *Server) limiter(key string) *keyLimiter {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l, ok := s.limiters[key]
	if !ok {
		r := rate.Limit(s.cfg.Rate)
		if s.cfg.Rate < 0 {
			r = rate.Inf
		}
		l = &keyLimiter{lim: rate.NewLimiter(r, s.cfg.Burst)}
		s.limiters[key] = l
	}
	return l
}

// allow takes a token for key and returns the counts of arrived and of
// accepted requests in the sliding second ending now; ok is false when over
// the limit.
func (s *Server) allow(key string) (arrived, accepted int, ok bool) {
	l := s.limiter(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.arrived = inLastSecond(l.arrived, now)
	if !l.lim.AllowN(now, 1) {
		return len(l.arrived), 0, false
	}
	l.recent = inLastSecond(l.recent, now)
	return len(l.arrived), len(l.recent), true
}

// inLastSecond drops the times a second or more before now and adds now.
func inLastSecond(times []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-time.Second)) {
		cut++
	}
	return append(times[cut:], now)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := s.stats
	out.ByPath = maps.Clone(s.stats.ByPath)
	out.AcceptedByPath = maps.Clone(s.stats.AcceptedByPath)
	out.Writes = slices.Clone(s.stats.Writes)
	return out
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats = Stats{ByPath: map[string]int64{}, AcceptedByPath: map[string]Span{}}
}

func (s *Server) count(f func(*Stats)) {
	s.statsMu.Lock()
	f(&s.stats)
	s.statsMu.Unlock()
}

// pathPattern turns "/opportunities/abc/notes" into "/opportunities/:id/notes".
func pathPattern(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) >= 2 && segs[1] != "deleted" {
		segs[1] = ":id"
	}
	return "/" + strings.Join(segs, "/")
}

// sleep waits d, or less when the request or the server ends.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}
