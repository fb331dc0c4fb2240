package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
)

// The doctor's own pace. It stays well under Lever's 10 requests/s per key,
// so a 429 it meets says that something else spends the key's budget, and
// it gives up sooner than a sync: a diagnosis should not hang.
const (
	DoctorRate        = 4
	doctorRetries     = 3
	doctorBackoff     = 500 * time.Millisecond
	doctorTimeout     = 20 * time.Second
	otherHostsTimeout = 15 * time.Second
)

// DoctorConfig is what one diagnosis checks.
type DoctorConfig struct {
	Target Target
	// Key is the key found by precedence (--key-stdin, LEVER_API_KEY, the
	// saved key), KeySource where it came from, and KeyErr why there is
	// none (ErrNoKey, or a source that could not be read).
	Key       lever.APIKey
	KeySource steps.KeySource
	KeyErr    error
	// EnvKey is LEVER_API_KEY's key, zero when unset; it is compared with
	// the key used, never printed.
	EnvKey lever.APIKey
	DBPath string
	// Config finds the saved key, to say what else is saved.
	Config Config
	// Hosts, when set, are the API roots standing for Lever's hosted
	// environments (the demo's fake Lever, tests); nil means Lever's own.
	// A key is tried on another of these only when the target is one.
	Hosts map[lever.Environment]string
	// Client tunes the client; zero values are the doctor's pace above.
	// Its HTTPClient, when set, carries every request (proxy, dialer and
	// certificate settings).
	Client lever.Options
	// Store tunes opening the data file (lock timeout; MaxSize is the
	// size limit the disk check measures against).
	Store store.Options
	// Getenv reads the proxy and certificate settings; nil reads none.
	Getenv func(string) string

	// running is a sync of this process holding the data file open.
	running *Sync
}

// Doctor implements steps.Examiner for real: Lever through lever.Client,
// the data file through store, the saved key through Config.
type Doctor struct {
	cfg DoctorConfig
	hc  *http.Client

	once      sync.Once
	client    *lever.Client
	clientErr error
	rate      float64

	mu          sync.Mutex
	tooMany     int
	unavailable int
	gaveUp      bool

	// stats are what the data file held, for the support bundle.
	stats storeStats
}

// storeStats is what the support bundle reports of the data file.
type storeStats struct {
	read    bool
	size    int64
	counts  map[lever.Resource]int
	deleted map[lever.Resource]int
	current *syncer.RunState
	last    *syncer.RunState
}

var _ steps.Examiner = (*Doctor)(nil)

// NewDoctor prepares a diagnosis; it makes no request until Run.
func NewDoctor(cfg DoctorConfig) *Doctor {
	hc := cfg.Client.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		hc = &http.Client{Transport: t}
	}
	return &Doctor{cfg: cfg, hc: hc}
}

// Run runs every check (steps.Diagnose), sending each on progress as it
// starts and ends.
func (d *Doctor) Run(ctx context.Context, progress chan<- steps.Finding) steps.Diagnosis {
	return steps.Diagnose(ctx, d, time.Now, progress)
}

// hostRoot is the API root of a hosted environment.
func (d *Doctor) hostRoot(env lever.Environment) string {
	if d.cfg.Hosts != nil {
		return d.cfg.Hosts[env]
	}
	return env.BaseURL()
}

func (d *Doctor) Target() steps.TargetFacts {
	t := d.cfg.Target
	root := d.hostRoot(t.Env)
	return steps.TargetFacts{Env: t.Env, BaseURL: t.BaseURL, LeverHost: root != "" && root == t.BaseURL}
}

// options are the client options for baseURL at the doctor's pace.
func (d *Doctor) options(baseURL string) lever.Options {
	o := d.cfg.Client
	if o.Rate == 0 {
		o.Rate = DoctorRate
	}
	if o.Burst == 0 {
		o.Burst = max(int(o.Rate), 1)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = doctorRetries
	}
	if o.BaseBackoff == 0 {
		o.BaseBackoff = doctorBackoff
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = doctorTimeout
	}
	o.BaseURL, o.Key, o.HTTPClient = baseURL, d.cfg.Key, d.hc
	return o
}

// lever is the client for the target, counting what its requests meet.
func (d *Doctor) lever() (*lever.Client, error) {
	d.once.Do(func() {
		o := d.options(d.cfg.Target.BaseURL)
		d.rate = max(o.Rate, 0)
		o.OnRetry = func(ri lever.RetryInfo) {
			d.mu.Lock()
			defer d.mu.Unlock()
			switch ri.Status {
			case http.StatusTooManyRequests:
				d.tooMany++
			case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				d.unavailable++
			}
		}
		d.client, d.clientErr = lever.NewClient(o)
	})
	return d.client, d.clientErr
}

// saw records an error that ended a request.
func (d *Doctor) saw(err error) {
	if errors.Is(err, lever.ErrRateLimited) {
		d.mu.Lock()
		d.gaveUp = true
		d.mu.Unlock()
	}
}

func (d *Doctor) Key(ctx context.Context) steps.KeyFacts {
	cfg := d.cfg
	k := steps.KeyFacts{Source: cfg.KeySource, Key: cfg.Key}
	if cfg.KeyErr != nil && !errors.Is(cfg.KeyErr, ErrNoKey) {
		k.LoadErr = cfg.KeyErr
	}
	if !k.Key.IsZero() {
		// Checked for shape here, never printed.
		if _, err := steps.ValidateKey(k.Key.Reveal()); err != nil {
			k.Malformed = err
		}
	}
	same := func(other lever.APIKey) bool { return other.Reveal() == cfg.Key.Reveal() }
	if cfg.KeySource == steps.KeyFromStdin && !cfg.EnvKey.IsZero() {
		k.Others = append(k.Others, steps.OtherKey{Source: steps.KeyFromEnv, Same: same(cfg.EnvKey)})
	}
	if creds := cfg.Config.Credentials; creds != nil && cfg.KeySource != steps.KeyDemo {
		saved, where, err := creds.Load(cfg.Target.BaseURL)
		switch {
		case err != nil && !errors.Is(err, config.ErrNoCredential) && k.LoadErr == nil && cfg.KeySource == steps.KeySaved:
			k.LoadErr = err
		case err != nil:
		case cfg.KeySource == steps.KeySaved:
			k.SavedWhere = where.String()
		default:
			k.Others = append(k.Others, steps.OtherKey{Source: steps.KeySaved, Same: same(saved)})
		}
	}
	return k
}

// proxyVars are the settings Go's HTTP client reads for proxies.
var proxyVars = []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}

func (d *Doctor) getenv(name string) string {
	if d.cfg.Getenv == nil {
		return ""
	}
	return d.cfg.Getenv(name)
}

func (d *Doctor) Reach(ctx context.Context) steps.ReachFacts {
	var r steps.ReachFacts
	for _, name := range proxyVars {
		if v := d.getenv(name); v != "" {
			r.ProxyEnv = append(r.ProxyEnv, name+"="+withoutUser(v))
		}
	}
	r.CertFile = d.getenv("SSL_CERT_FILE")
	base := d.cfg.Target.BaseURL
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		r.Failure, r.Err = steps.ReachOther, fmt.Errorf("no valid API root to reach (%q)", base)
		return r
	}
	r.Scheme, r.Host = u.Scheme, u.Host
	r.Loopback = isLoopback(u.Hostname())

	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stages?limit=1", nil)
	if err != nil {
		r.Failure, r.Err = steps.ReachOther, err
		return r
	}
	req.Header.Set("User-Agent", lever.DefaultUserAgent)
	if t, ok := d.hc.Transport.(*http.Transport); ok && t.Proxy != nil {
		if p, err := t.Proxy(req); err == nil && p != nil {
			r.Proxy = withoutUser(p.String())
		}
	}
	if net.ParseIP(u.Hostname()) == nil && r.Proxy == "" {
		addrs, err := net.DefaultResolver.LookupHost(ctx, u.Hostname())
		if err != nil {
			r.Failure, r.Err = reachFailure(err, false), err
			return r
		}
		r.Addrs = addrs[:min(len(addrs), 4)]
	}
	// Without the key, and never following a redirect.
	hc := *d.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	start := time.Now()
	resp, err := hc.Do(req)
	r.Elapsed = time.Since(start)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		r.Failure, r.Err = reachFailure(err, r.Proxy != ""), err
		return r
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	r.Status = resp.StatusCode
	return r
}

// reachFailure says which step of a request failed.
func reachFailure(err error, viaProxy bool) steps.ReachFailure {
	var (
		op       *net.OpError
		dns      *net.DNSError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		ne       net.Error
	)
	switch {
	case errors.As(err, &op) && op.Op == "proxyconnect":
		return steps.ReachProxy
	case errors.As(err, &dns):
		return steps.ReachDNS
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &record):
		return steps.ReachTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return steps.ReachTimeout
	case viaProxy:
		// A proxy that refuses CONNECT answers with its own status.
		return steps.ReachProxy
	case errors.As(err, &op) && op.Op == "dial":
		return steps.ReachConnect
	}
	return steps.ReachOther
}

// withoutUser drops the user name and password of a proxy setting, read
// as Go reads it; text that is not a URL is returned as is, unless it may
// hold a password.
func withoutUser(s string) string {
	u, err := url.Parse(s)
	if err == nil && u.Scheme != "" && u.Host != "" {
		u.User = nil
		return u.String()
	}
	// Go's proxy settings read a setting without a scheme, such as
	// user:password@host:port, as http://.
	if u, err := url.Parse("http://" + s); err == nil {
		u.User = nil
		return strings.TrimPrefix(u.String(), "http://")
	}
	if strings.Contains(s, "@") {
		return "(not shown: it is not a URL, and may hold a password)"
	}
	return s
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *Doctor) VerifyKey(ctx context.Context) error {
	c, err := d.lever()
	if err != nil {
		return err
	}
	err = c.VerifyKey(ctx)
	d.saw(err)
	return err
}

func (d *Doctor) OtherHosts(ctx context.Context) []steps.HostAnswer {
	var out []steps.HostAnswer
	for _, env := range lever.Environments {
		root := d.hostRoot(env)
		if env == d.cfg.Target.Env || root == "" || root == d.cfg.Target.BaseURL {
			continue
		}
		o := d.options(root)
		o.MaxRetries = -1
		c, err := lever.NewClient(o)
		if err != nil {
			out = append(out, steps.HostAnswer{Env: env, Err: err})
			continue
		}
		hctx, cancel := context.WithTimeout(ctx, otherHostsTimeout)
		err = c.VerifyKey(hctx)
		cancel()
		out = append(out, steps.HostAnswer{Env: env, Accepted: err == nil, Err: err})
	}
	return out
}

func (d *Doctor) ProbeAll(ctx context.Context, perms []permission.Permission, results chan<- lever.ProbeResult) {
	c, err := d.lever()
	if err != nil {
		close(results)
		return
	}
	inner := make(chan lever.ProbeResult)
	go c.ProbeAll(ctx, perms, inner)
	for r := range inner {
		d.saw(r.Err)
		results <- r
	}
	close(results)
}

func (d *Doctor) ProbeConfidential(ctx context.Context) lever.ProbeResult {
	c, err := d.lever()
	if err != nil {
		return lever.ProbeResult{Permission: lever.ConfidentialAccess, Detail: "could not tell: " + err.Error(), Err: err}
	}
	r := c.ProbeConfidential(ctx)
	d.saw(r.Err)
	return r
}

// Account reads the fingerprint a sync binds the data file with, from the
// target only (the key goes nowhere else).
func (d *Doctor) Account(ctx context.Context) ([]string, error) {
	c, err := d.lever()
	if err != nil {
		return nil, err
	}
	ids, err := accountFingerprint(ctx, c)
	d.saw(err)
	return ids, err
}

func (d *Doctor) Traffic() steps.TrafficFacts {
	t := steps.TrafficFacts{Rate: d.rate}
	if d.client != nil {
		t.Requests = d.client.Requests()
	}
	d.mu.Lock()
	t.TooMany, t.Unavailable, t.GaveUp = d.tooMany, d.unavailable, d.gaveUp
	d.mu.Unlock()
	return t
}

func (d *Doctor) DataFile(ctx context.Context) steps.DataFileFacts {
	f := steps.DataFileFacts{Path: d.cfg.DBPath, Known: store.SchemaVersion()}
	if d.cfg.DBPath == "" {
		f.Problem, f.Err = steps.StoreUnreadable, errors.New("no data file is set: pass --db")
		return f
	}
	if s, ok := ReadSchedule(d.cfg.DBPath); ok {
		f.Schedule = &steps.ScheduleFacts{PID: s.PID, Every: s.Every(), Running: s.Running, NextRun: time.UnixMilli(s.NextRunAt), Failures: s.Failures, LastError: s.LastError}
	}
	if r := d.cfg.running; r != nil {
		// The consistency check would hold that sync's commits while it
		// reads the whole file: the file is checked only when no sync runs.
		ran, err := r.WithStore(func(st *store.Store) error { return d.readStore(st, &f, false) })
		if ran {
			f.Exists, f.Running = true, true
			if err != nil {
				f.Problem, f.Err = steps.StoreUnreadable, err
			}
			return f
		}
	}
	st, err := store.Open(d.cfg.DBPath, store.Options{ReadOnly: true, Timeout: d.cfg.Store.Timeout})
	var inUse *store.InUseError
	var schema *store.SchemaError
	switch {
	case errors.Is(err, store.ErrNoStore):
		return f
	case errors.As(err, &inUse):
		f.Exists, f.Problem, f.Err, f.HolderPID = true, steps.StoreInUse, err, inUse.PID
		return f
	case errors.As(err, &schema):
		f.Exists, f.Problem, f.Err, f.Schema = true, steps.StoreSchema, err, schema.Have
		return f
	case errors.Is(err, store.ErrCorrupt):
		f.Exists, f.Problem, f.Err = true, steps.StoreCorrupt, err
		return f
	case err != nil:
		f.Exists, f.Problem, f.Err = fileExists(d.cfg.DBPath), steps.StoreUnreadable, err
		return f
	}
	defer st.Close()
	f.Exists = true
	if err := d.readStore(st, &f, true); err != nil {
		f.Problem, f.Err = steps.StoreUnreadable, err
	}
	return f
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// readStore reads what the checks and the support bundle need, then, with
// check, runs the store's consistency check.
func (d *Doctor) readStore(st *store.Store, f *steps.DataFileFacts, check bool) error {
	var err error
	f.Schema = store.SchemaVersion() // an open store has this binary's schema
	if info, serr := os.Stat(d.cfg.DBPath); serr == nil {
		f.Size = info.Size()
	}
	bound, err := st.Binding()
	if err != nil {
		return err
	}
	f.BoundEnv, f.BoundURL, f.BoundAccount = bound.Env, bound.BaseURL, bound.Account
	if f.Counts, err = st.Counts(); err != nil {
		return err
	}
	deleted, err := st.DeletedCounts()
	if err != nil {
		return err
	}
	if f.Current, f.Last, err = st.LoadRun(); err != nil {
		return err
	}
	if f.Current != nil && f.Last == nil && f.Current.UpdatedSince == 0 {
		if f.Progress, err = firstSyncProgress(st, *f.Current); err != nil {
			return err
		}
	}
	if check {
		f.IntegrityErr = st.Check()
	}
	d.stats = storeStats{read: true, size: f.Size, counts: f.Counts, deleted: deleted, current: f.Current, last: f.Last}
	return nil
}

// firstSyncProgress reads how far an unfinished first sync has read each
// of its created_at windows; nil when it has not saved them yet.
func firstSyncProgress(st *store.Store, run syncer.RunState) (*steps.InitialProgress, error) {
	read, err := syncer.FullReadWindows(st, run)
	if err != nil || read == nil {
		return nil, err
	}
	ws := make([]steps.Window, len(read))
	ranges := make([][2]int64, len(read))
	for i, w := range read {
		ws[i] = steps.Window{Start: w.Start, End: w.End, Done: w.Done}
		ranges[i] = [2]int64{w.Start, w.End}
	}
	spans, err := st.CreatedSpans(ranges)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		ws[i].Stored, ws[i].Oldest, ws[i].Newest = spans[i].Count, spans[i].Oldest, spans[i].Newest
	}
	return &steps.InitialProgress{Windows: ws, Details: run.Details}, nil
}

func (d *Doctor) Disk(context.Context) steps.DiskFacts {
	k := steps.DiskFacts{Free: -1, Room: -1}
	if d.cfg.DBPath == "" {
		k.Err = errors.New("no data file is set")
		return k
	}
	dir := filepath.Dir(d.cfg.DBPath)
	for {
		if info, err := os.Stat(dir); err == nil && info.IsDir() {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	k.Dir = dir
	k.Free, k.Err = freeSpace(dir)
	if limit := int64(d.cfg.Store.MaxSize); limit > 0 {
		var size int64
		if info, err := os.Stat(d.cfg.DBPath); err == nil {
			size = info.Size()
		}
		k.Room = max(limit-size, 0)
	}
	return k
}

var _ steps.Diagnoser = (*services)(nil)

// Diagnose runs the doctor's checks for the wizard: against the
// environment s chose, with key (else the saved or demo key), on the data
// file the wizard uses, through the sync it is running if any.
func (sv *services) Diagnose(ctx context.Context, s steps.State, key lever.APIKey, progress chan<- steps.Finding) steps.Diagnosis {
	t, err := sv.target(s.Environment)
	if err != nil {
		t = Target{Env: s.Environment}
	}
	cfg := DoctorConfig{
		Target: t, Key: key, KeySource: steps.KeyPasted, DBPath: sv.cfg.DBPath,
		Client: sv.cfg.Client, Store: sv.cfg.Store, Getenv: os.Getenv,
	}
	if len(sv.cfg.BaseURLs) > 0 {
		cfg.Hosts = sv.cfg.BaseURLs
	}
	switch {
	case sv.cfg.Demo:
		cfg.Target.Env = lever.Demo
		if key.IsZero() {
			cfg.Key, cfg.KeySource = sv.cfg.DemoKey, steps.KeyDemo
		}
	default:
		cfg.Config = sv.cfg.Config
		if key.IsZero() {
			cfg.KeySource = steps.KeySaved
			cfg.Key, _, cfg.KeyErr = sv.cfg.Config.SavedKey(t)
		}
	}
	sv.mu.Lock()
	if r := sv.running; r != nil {
		select {
		case <-r.done:
		default:
			cfg.running = r
		}
	}
	sv.mu.Unlock()
	return NewDoctor(cfg).Run(ctx, progress)
}
