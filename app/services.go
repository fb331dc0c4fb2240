package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
)

// ServicesConfig wires the wizard to Lever, the saved key and the data file.
type ServicesConfig struct {
	// Demo runs against the built-in fake Lever: BaseURLs must name its
	// URLs, the store is bound to lever.Demo, and no key is ever read from
	// or written to the credential store.
	Demo bool
	// DemoKey is the key a demo sync uses when none is held in memory.
	DemoKey lever.APIKey
	// BaseURLs overrides the API root of an environment (the demo's fake
	// Lever, --base-url). Hosted environments not listed use
	// Environment.BaseURL(); in the demo they fall back to Production's.
	BaseURLs map[lever.Environment]string
	// DBPath is the data file; "" keeps progress in memory only.
	DBPath string
	// Config saves and finds keys and settings; ignored in the demo.
	Config Config
	// Client tunes every client (rate, retries, HTTP client); zero values
	// are lever's defaults.
	Client lever.Options
	// Store tunes the data file; zero values are store's defaults.
	Store store.Options
	// Sync tunes the sync the wizard starts.
	Sync syncer.Options
}

// NewServices returns the steps.Services the wizard uses in a real run.
func NewServices(cfg ServicesConfig) steps.Services {
	return &services{cfg: cfg}
}

type services struct {
	cfg ServicesConfig

	mu sync.Mutex
	// running is the sync in progress; progress is saved through its open
	// store meanwhile, since the file cannot be opened twice.
	running *Sync
	// memory holds progress when there is no data file.
	memory []byte
}

// target is where the wizard's environment env is served.
func (sv *services) target(env lever.Environment) (Target, error) {
	t := Target{Env: env}
	switch {
	case sv.cfg.BaseURLs[env] != "":
		t.BaseURL = sv.cfg.BaseURLs[env]
	case sv.cfg.Demo:
		t.BaseURL = sv.cfg.BaseURLs[lever.Production]
		if t.BaseURL == "" {
			return t, errors.New("the demo has no fake Lever address")
		}
	default:
		t.BaseURL = env.BaseURL()
	}
	if t.BaseURL == "" {
		return t, fmt.Errorf("no API root known for environment %q", env)
	}
	return t, nil
}

func (sv *services) client(env lever.Environment, key lever.APIKey) (*lever.Client, error) {
	t, err := sv.target(env)
	if err != nil {
		return nil, err
	}
	o := sv.cfg.Client
	o.BaseURL, o.Key = t.BaseURL, key
	return lever.NewClient(o)
}

// withStore runs fn on the data file: the one a running sync holds, or one
// opened for just this call.
func (sv *services) withStore(fn func(*store.Store) error) error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.running != nil {
		if ran, err := sv.running.WithStore(fn); ran {
			return err
		}
	}
	st, err := store.Open(sv.cfg.DBPath, sv.cfg.Store)
	if err != nil {
		return err
	}
	err = fn(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

func (sv *services) LoadProgress(ctx context.Context) (steps.State, bool, error) {
	var b []byte
	if sv.cfg.DBPath == "" {
		sv.mu.Lock()
		b = sv.memory
		sv.mu.Unlock()
	} else {
		if _, err := os.Stat(sv.cfg.DBPath); errors.Is(err, fs.ErrNotExist) {
			return steps.State{}, false, nil
		}
		err := sv.withStore(func(st *store.Store) error {
			var err error
			b, err = st.LoadWizard()
			return err
		})
		if err != nil {
			return steps.State{}, false, fmt.Errorf("read the setup progress: %w", err)
		}
	}
	if len(b) == 0 {
		return steps.State{}, false, nil
	}
	s, err := steps.DecodeState(b)
	if err != nil {
		// Unreadable progress starts the wizard over; nothing to act on.
		return steps.State{}, false, nil
	}
	return s, true, nil
}

func (sv *services) SaveProgress(ctx context.Context, s steps.State) error {
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

func (sv *services) Connect(ctx context.Context, s steps.State, key lever.APIKey, checks chan<- steps.Check) steps.ConnectReport {
	start := time.Now()
	r := steps.ConnectReport{Environment: s.Environment}
	defer func() { r.Elapsed = time.Since(start) }()
	send := func(c steps.Check) {
		select {
		case checks <- c:
		case <-ctx.Done():
		}
	}

	c, err := sv.client(s.Environment, key)
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

	perms := steps.RequiredPermissions(s)
	results := make(chan lever.ProbeResult)
	go c.ProbeAll(ctx, perms, results)
	got := map[string]steps.Check{}
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
	c, err := sv.client(other, key)
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

func toCheck(r lever.ProbeResult, confidential bool) steps.Check {
	c := steps.Check{Name: r.Permission.Name, Write: r.Permission.Write, Confidential: confidential, Detail: r.Detail}
	if confidential {
		c.Name, c.Write = steps.ConfidentialName, false
	}
	switch r.Status {
	case lever.Granted:
		c.Status = steps.Granted
	case lever.Missing:
		c.Status = steps.Missing
	default:
		c.Status = steps.Unknown
	}
	return c
}

func (sv *services) SaveKey(ctx context.Context, env lever.Environment, key lever.APIKey) (string, error) {
	if sv.cfg.Demo {
		return "not saved: the demo never saves a key", nil
	}
	if sv.cfg.Config.Credentials == nil {
		return "not saved: no credential store is set up", nil
	}
	t, err := sv.target(env)
	if err != nil {
		return "", err
	}
	place, err := sv.cfg.Config.SaveKey(t, key)
	if err != nil {
		return "", err
	}
	return savedWhere(place), nil
}

// savedWhere words where a key was saved, and why not in the keyring when
// it was tried.
func savedWhere(p config.Place) string {
	switch {
	case p.File == "":
		return "saved in the system keyring (leversync sync finds it there)"
	case p.KeyringProblem != "":
		return "saved in " + p.File + ", readable only by you (" + p.KeyringProblem + ")"
	}
	return "saved in " + p.File + ", readable only by you"
}

func (sv *services) StartSync(ctx context.Context, s steps.State, key lever.APIKey) (steps.SyncRun, error) {
	t, err := sv.target(s.Environment)
	if err != nil {
		return nil, err
	}
	if key.IsZero() {
		if sv.cfg.Demo {
			key = sv.cfg.DemoKey
		} else if key, _, err = sv.cfg.Config.SavedKey(t); err != nil {
			return nil, err
		}
	}
	if sv.cfg.Demo {
		t.Env = lever.Demo
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.running != nil {
		select {
		case <-sv.running.done:
		default:
			return nil, errors.New("a sync is already running")
		}
	}
	run, err := Start(ctx, SyncJob{Target: t, Key: key, DBPath: sv.cfg.DBPath, Client: sv.cfg.Client, Store: sv.cfg.Store, Sync: sv.cfg.Sync})
	if err != nil {
		return nil, err
	}
	sv.running = run
	return run, nil
}

// readTimeout bounds how long a page's read waits for another process's
// lock on the data file: the page says the file is busy rather than hang.
const readTimeout = 300 * time.Millisecond

// read runs fn on the data file for a page's read: the file this process
// syncs into, or the file opened briefly. A file that does not exist yet
// reads as empty.
func (sv *services) read(fn func(*store.Store) error) error {
	sv.mu.Lock()
	if sv.running != nil {
		if ran, err := sv.running.WithStore(fn); ran {
			sv.mu.Unlock()
			return err
		}
	}
	sv.mu.Unlock()
	if _, err := os.Stat(sv.cfg.DBPath); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	o := sv.cfg.Store
	o.Timeout = readTimeout
	st, err := store.Open(sv.cfg.DBPath, o)
	if err != nil {
		return err
	}
	err = fn(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

func (sv *services) DataFile(ctx context.Context) (steps.DataFile, error) {
	var df steps.DataFile
	err := sv.read(func(st *store.Store) error {
		var err error
		if df.Counts, err = st.Counts(); err != nil {
			return err
		}
		_, df.LastRun, err = st.LoadRun()
		return err
	})
	return df, err
}

func (sv *services) Jobs(ctx context.Context) ([]steps.Job, error) {
	var jobs []steps.Job
	err := sv.read(func(st *store.Store) error {
		ps, err := st.Postings()
		for _, p := range ps {
			jobs = append(jobs, steps.Job{ID: p.ID, Title: p.Text, Team: p.Team, Location: p.Location, State: p.State,
				Confidential: p.Confidential, Candidates: p.Candidates, UpdatedAt: p.UpdatedAt})
		}
		return err
	})
	return jobs, err
}

func (sv *services) Candidates(ctx context.Context, jobID string) ([]steps.Candidate, error) {
	var out []steps.Candidate
	err := sv.read(func(st *store.Store) error {
		cs, err := st.OpportunitiesOfPosting(jobID)
		out = candidates(cs)
		return err
	})
	return out, err
}

func (sv *services) SearchCandidates(ctx context.Context, query string, limit int) ([]steps.Candidate, bool, error) {
	var out []steps.Candidate
	var more bool
	err := sv.read(func(st *store.Store) error {
		cs, m, err := st.SearchOpportunities(query, limit)
		out, more = candidates(cs), m
		return err
	})
	return out, more, err
}

func candidates(cs []store.CandidateSummary) []steps.Candidate {
	out := make([]steps.Candidate, 0, len(cs))
	for _, c := range cs {
		out = append(out, steps.Candidate{ID: c.ID, Name: c.Name, Email: c.Email, Stage: c.StageText, Origin: c.Origin, Owner: c.Owner,
			Archived: c.Archived, ArchiveReason: c.ArchiveReason, UpdatedAt: c.UpdatedAt, Jobs: c.Jobs})
	}
	return out
}
