package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// ServicesConfig wires the wizard to Lever, the credential store and the
// data file.
type ServicesConfig struct {
	// Demo runs against the built-in fake Lever: BaseURLs must name its
	// URLs, the store is bound to lever.Demo, and no key is ever read from
	// or written to the credential store.
	Demo bool
	// DemoKey is the key a demo sync uses when none is held in memory.
	DemoKey lever.APIKey
	// BaseURLs overrides the API root of an environment (the demo's fake
	// Lever, a test server). Hosted environments not listed use
	// Environment.BaseURL(); in the demo they fall back to Production's.
	BaseURLs map[lever.Environment]string
	// DBPath is the data file; "" keeps progress in memory only.
	DBPath string
	// Credentials saves and loads keys; nil saves none.
	Credentials *config.Credentials
	// SettingsDir receives settings.json (the environment) once a key is
	// saved, for leversync sync; "" writes none.
	SettingsDir string
	// Client is the template of every client: rate, retries, HTTP client.
	// BaseURL, Key and OnRetry are set per use.
	Client lever.Options
	// Sync tunes the sync the wizard starts.
	Sync syncer.Options
	// StoreTimeout is how long opening the data file waits for a lock.
	StoreTimeout time.Duration
}

// NewServices returns the Services the wizard uses in a real run.
func NewServices(cfg ServicesConfig) Services {
	return &services{cfg: cfg}
}

type services struct {
	cfg ServicesConfig

	mu sync.Mutex
	// open is the store a running sync holds; progress is saved through it
	// meanwhile, since the file cannot be opened twice.
	open *store.Store
	// memory holds progress when there is no data file.
	memory []byte
}

// BaseURL is the API root the wizard uses for env.
func (sv *services) baseURL(env lever.Environment) (string, error) {
	if u, ok := sv.cfg.BaseURLs[env]; ok && u != "" {
		return u, nil
	}
	if sv.cfg.Demo {
		if u := sv.cfg.BaseURLs[lever.Production]; u != "" {
			return u, nil
		}
		return "", errors.New("the demo has no fake Lever address")
	}
	if u := env.BaseURL(); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("no API root known for environment %q", env)
}

func (sv *services) client(env lever.Environment, key lever.APIKey, onRetry func(lever.RetryInfo)) (*lever.Client, error) {
	base, err := sv.baseURL(env)
	if err != nil {
		return nil, err
	}
	o := sv.cfg.Client
	o.BaseURL, o.Key, o.OnRetry = base, key, onRetry
	return lever.NewClient(o)
}

// withStore runs fn on the data file: the one a running sync holds, or one
// opened for just this call.
func (sv *services) withStore(fn func(*store.Store) error) error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.open != nil {
		return fn(sv.open)
	}
	st, err := store.Open(sv.cfg.DBPath, store.Options{Timeout: sv.cfg.StoreTimeout})
	if err != nil {
		return err
	}
	err = fn(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

func (sv *services) LoadProgress(ctx context.Context) (State, bool, error) {
	var b []byte
	if sv.cfg.DBPath == "" {
		sv.mu.Lock()
		b = sv.memory
		sv.mu.Unlock()
	} else {
		if _, err := os.Stat(sv.cfg.DBPath); errors.Is(err, fs.ErrNotExist) {
			return State{}, false, nil
		}
		err := sv.withStore(func(st *store.Store) error {
			var err error
			b, err = st.LoadWizard()
			return err
		})
		if err != nil {
			return State{}, false, fmt.Errorf("read the setup progress: %w", err)
		}
	}
	if len(b) == 0 {
		return State{}, false, nil
	}
	s, err := DecodeState(b)
	if err != nil {
		// Unreadable progress starts the wizard over; nothing to act on.
		return State{}, false, nil
	}
	return s, true, nil
}

func (sv *services) SaveProgress(ctx context.Context, s State) error {
	b, err := s.Encode()
	if err != nil {
		return err
	}
	if sv.cfg.DBPath == "" {
		sv.mu.Lock()
		sv.memory = b
		sv.mu.Unlock()
		return nil
	}
	if err := sv.withStore(func(st *store.Store) error { return st.SaveWizard(b) }); err != nil {
		return fmt.Errorf("save the setup progress: %w", err)
	}
	return nil
}

func (sv *services) Connect(ctx context.Context, s State, key lever.APIKey, checks chan<- Check) ConnectReport {
	start := time.Now()
	r := ConnectReport{Environment: s.Environment}
	defer func() { r.Elapsed = time.Since(start) }()
	send := func(c Check) {
		select {
		case checks <- c:
		case <-ctx.Done():
		}
	}

	c, err := sv.client(s.Environment, key, nil)
	if err != nil {
		r.Err = err
		return r
	}
	if err := c.VerifyKey(ctx); err != nil {
		r.Err = err
		if errors.Is(err, lever.ErrUnauthorized) {
			r.BelongsTo = sv.belongsTo(ctx, s.Environment, key)
		}
		return r
	}

	perms := RequiredPermissions(s)
	results := make(chan lever.ProbeResult)
	go c.ProbeAll(ctx, perms, results)
	got := map[string]Check{}
	for res := range results {
		ch := toCheck(res, false)
		got[ch.Name] = ch
		send(ch)
	}
	for _, p := range perms {
		if ch, ok := got[p.Name]; ok {
			r.Checks = append(r.Checks, ch)
		}
	}
	if s.Confidential && ctx.Err() == nil {
		ch := toCheck(c.ProbeConfidential(ctx), true)
		send(ch)
		r.Checks = append(r.Checks, ch)
	}
	if err := ctx.Err(); err != nil {
		r.Err = err
	}
	return r
}

// belongsTo tries a rejected key on the other hosted environment, to tell
// "this key belongs to Sandbox". It returns "" when that does not help.
func (sv *services) belongsTo(ctx context.Context, env lever.Environment, key lever.APIKey) lever.Environment {
	other := lever.Sandbox
	if env == lever.Sandbox {
		other = lever.Production
	}
	if sv.cfg.Demo {
		if _, ok := sv.cfg.BaseURLs[other]; !ok {
			return ""
		}
	}
	c, err := sv.client(other, key, nil)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if c.VerifyKey(ctx) == nil {
		return other
	}
	return ""
}

func toCheck(r lever.ProbeResult, confidential bool) Check {
	c := Check{Name: r.Permission.Name, Write: r.Permission.Write, Confidential: confidential, Detail: r.Detail}
	if confidential {
		c.Name, c.Write = ConfidentialName, false
	}
	switch r.Status {
	case lever.Granted:
		c.Status = Granted
	case lever.Missing:
		c.Status = Missing
	default:
		c.Status = Unknown
	}
	return c
}

func (sv *services) SaveKey(ctx context.Context, env lever.Environment, key lever.APIKey) (string, error) {
	if sv.cfg.Demo {
		return "not saved: the demo never saves a key", nil
	}
	if sv.cfg.Credentials == nil {
		return "not saved: no credential store is set up", nil
	}
	where, err := sv.cfg.Credentials.Save(env, key)
	if err != nil {
		return "", fmt.Errorf("save the key: %w", err)
	}
	if sv.cfg.SettingsDir != "" {
		settings := config.Settings{Environment: env}
		// An overridden API root (a proxy, --base-url) is saved too, so
		// leversync sync reaches the same Lever.
		if base, err := sv.baseURL(env); err == nil && base != env.BaseURL() {
			settings.BaseURL = base
		}
		if err := config.SaveSettings(sv.cfg.SettingsDir, settings); err != nil {
			return "", err
		}
	}
	if where == config.InKeyring {
		return "saved in the system keyring (leversync sync finds it there)", nil
	}
	return "saved in " + where + ", readable only by you (no system keyring here)", nil
}

func (sv *services) StartSync(ctx context.Context, s State, key lever.APIKey) (SyncRun, error) {
	env := s.Environment
	if key.IsZero() {
		switch {
		case sv.cfg.Demo:
			key = sv.cfg.DemoKey
		case sv.cfg.Credentials != nil:
			k, _, err := sv.cfg.Credentials.Load(env)
			if err != nil {
				return nil, fmt.Errorf("load the saved key for %s: %w", env.Title(), err)
			}
			key = k
		default:
			return nil, errors.New("no API key: run leversync setup")
		}
	}
	base, err := sv.baseURL(env)
	if err != nil {
		return nil, err
	}
	var eng atomic.Pointer[syncer.Engine]
	c, err := sv.client(env, key, func(ri lever.RetryInfo) {
		if e := eng.Load(); e != nil {
			e.OnRetry(ri)
		}
	})
	if err != nil {
		return nil, err
	}
	if sv.cfg.DBPath == "" {
		return nil, errors.New("no data file to sync into: pass --db")
	}

	sv.mu.Lock()
	if sv.open != nil {
		sv.mu.Unlock()
		return nil, errors.New("a sync is already running")
	}
	st, err := store.Open(sv.cfg.DBPath, store.Options{Timeout: sv.cfg.StoreTimeout})
	if err != nil {
		sv.mu.Unlock()
		return nil, err
	}
	bind := env
	if sv.cfg.Demo {
		bind = lever.Demo
	}
	if err := st.Bind(bind, base); err != nil {
		_ = st.Close()
		sv.mu.Unlock()
		return nil, err
	}
	sv.open = st
	sv.mu.Unlock()

	e := syncer.NewEngine(c, st, sv.cfg.Sync)
	eng.Store(e)
	run := &syncRun{events: make(chan syncer.Event, 256), done: make(chan struct{})}
	raw := make(chan syncer.Event, 64)
	go run.forward(ctx, raw)
	go func() {
		state, err := e.Run(ctx, raw)
		sv.mu.Lock()
		cerr := st.Close()
		sv.open = nil
		sv.mu.Unlock()
		if err == nil && cerr != nil {
			err = fmt.Errorf("close the data file: %w", cerr)
		}
		run.state, run.err = state, err
		close(run.done)
	}()
	return run, nil
}

// syncRun is a running engine: its events, forwarded until it ends, and
// its outcome.
type syncRun struct {
	events chan syncer.Event
	done   chan struct{}
	state  syncer.RunState
	err    error
}

func (r *syncRun) Events() <-chan syncer.Event { return r.events }

func (r *syncRun) Wait() (syncer.RunState, error) {
	<-r.done
	return r.state, r.err
}

// forward copies engine events to the consumer until the run ends, then
// the last buffered ones, then closes. It gives up when ctx ends and the
// consumer no longer reads.
func (r *syncRun) forward(ctx context.Context, raw <-chan syncer.Event) {
	defer close(r.events)
	deliver := func(ev syncer.Event) bool {
		select {
		case r.events <- ev:
			return true
		case <-ctx.Done():
			// The consumer may have gone; do not wait for it.
			select {
			case r.events <- ev:
				return true
			case <-time.After(100 * time.Millisecond):
				return false
			}
		}
	}
	for {
		select {
		case ev := <-raw:
			if !deliver(ev) {
				return
			}
		case <-r.done:
			for {
				select {
				case ev := <-raw:
					if !deliver(ev) {
						return
					}
				default:
					return
				}
			}
		}
	}
}
