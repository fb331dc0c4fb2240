package main

import (
	"context"
	"fmt"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
)

// rootFlags are the flags of the bare `leversync` command (and `setup`).
type rootFlags struct {
	demo       bool
	db         string
	accessible bool
	// baseURL points the wizard's hosted environments at another API root
	// (a proxy, the fake Lever).
	baseURL string
	// restart starts the wizard from its first step.
	restart bool
}

// demoConfig is the built-in fake Lever of --demo: a few thousand realistic
// candidates, Lever's rate limit, and a little latency so progress is
// visible.
var demoConfig = fakelever.Config{Seed: 1, Opportunities: 3000, Latency: 40 * time.Millisecond}

// runRoot opens the wizard on a terminal; without one it runs the headless
// demo sync (--demo) or explains what to run instead.
func (a *cli) runRoot(ctx context.Context, f rootFlags) error {
	a.resumes = true
	accessible := f.accessible || a.getenv("ACCESSIBLE") != ""
	terminal := isTerminal(a.stdin) && isTerminal(a.stdout)
	if f.demo {
		srv, err := fakelever.Start(demoConfig, "")
		if err != nil {
			return fmt.Errorf("start the built-in fake Lever: %w", err)
		}
		defer srv.Close()
		db := f.db
		if db == "" {
			db = demoDBPath()
		}
		if !terminal && !accessible {
			fmt.Fprintf(a.stderr, "No terminal: running the demo sync headless against the built-in fake Lever at %s, into %s.\n", srv.URL(), db)
			return a.runSync(ctx, app.SyncJob{
				Target: app.Target{Env: lever.Demo, BaseURL: srv.URL()},
				Key:    lever.NewAPIKey(fakelever.KeyFull),
				DBPath: db,
			}, false)
		}
		return a.runWizard(ctx, wizardJob{flags: f, accessible: accessible, dbPath: db, demo: srv})
	}
	if !terminal && !accessible {
		return usagef("the set-up wizard needs a terminal. Without one, run 'leversync sync' (with LEVER_API_KEY or --key-stdin), or 'leversync --accessible' for plain line-by-line prompts")
	}
	db, err := a.dbPath(f.db)
	if err != nil {
		return err
	}
	return a.runWizard(ctx, wizardJob{flags: f, accessible: accessible, dbPath: db})
}

// wizardJob is what the wizard needs from the command line.
type wizardJob struct {
	flags      rootFlags
	accessible bool
	dbPath     string
	// demo is the in-process fake Lever of --demo, nil otherwise.
	demo *fakelever.Server
}
