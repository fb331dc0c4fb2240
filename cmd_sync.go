package main

import (
	"context"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
)

// syncFlags are the flags of `leversync sync`.
type syncFlags struct {
	conn    connFlags
	db      string
	full    bool
	details bool
	json    bool
	// Hidden knobs for tests and benchmarks.
	rate       float64
	burst      int
	retries    int
	backoff    time.Duration
	maxDBBytes int
}

func (a *cli) syncCommand() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync jobs, candidates and reference data without the wizard",
		Long: `Sync reads postings, opportunities, users, stages, archive reasons, sources,
tags, requisitions and deletions from Lever into the local data file.

The first sync reads everything; later syncs read only what changed since the
last one (plus a full re-read of the small lists and of postings). An
interrupted sync resumes at its last stored page. The key comes from
--key-stdin, else LEVER_API_KEY, else the key saved by the wizard. Another
terminal can follow the sync with 'leversync watch --db PATH'.

Exit codes: 0 done (warnings allowed), 1 unexpected error, 2 usage, 3 no key
or key rejected, 4 permission missing, 5 Lever or network unavailable, 6 local
file problem, 7 the API root is not Lever's, 130 interrupted (SIGINT), 143
terminated (SIGTERM).`,
		Example: `  leversync sync
  leversync sync --env sandbox --json
  echo "$KEY" | leversync sync --key-stdin --details
  leversync sync --base-url http://127.0.0.1:8080/v1`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolveTarget(f.conn)
			if err != nil {
				return err
			}
			key, err := a.resolveKey(f.conn, t)
			if err != nil {
				return err
			}
			path, err := a.dbPath(f.db)
			if err != nil {
				return err
			}
			return a.runSync(cmd.Context(), f.job(t, key, path), f.json)
		},
	}
	f.conn.register(cmd, true)
	cmd.Flags().StringVar(&f.db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&f.full, "full", false, "read everything again instead of only what changed")
	cmd.Flags().BoolVar(&f.details, "details", false, "also fetch each candidate's notes, interviews and offers (one request each)")
	cmd.Flags().BoolVar(&f.json, "json", false, "write one JSON event per line on stdout")
	cmd.Flags().Float64Var(&f.rate, "rate", lever.DefaultRate, "requests per second (Lever's limit is 10)")
	cmd.Flags().IntVar(&f.burst, "burst", lever.DefaultBurst, "request burst (Lever allows up to 20)")
	cmd.Flags().IntVar(&f.retries, "retries", lever.DefaultMaxRetries, "retries of a failed request before giving up")
	cmd.Flags().DurationVar(&f.backoff, "backoff", lever.DefaultBaseBackoff, "first retry wait (doubles each retry, with jitter)")
	cmd.Flags().IntVar(&f.maxDBBytes, "max-db-size", 0, "stop with a disk-full error when the data file would grow past this many bytes")
	for _, name := range []string{"rate", "burst", "retries", "backoff", "max-db-size"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	return cmd
}

// runSync runs one sync to the end and reports it on stderr (or stdout as
// JSON events).
func (a *cli) runSync(ctx context.Context, job app.SyncJob, asJSON bool) error {
	run, err := app.Start(ctx, job)
	if err != nil {
		return err
	}
	var printer progressPrinter
	if asJSON {
		printer = newJSONPrinter(a.stdout)
	} else {
		printer = newHumanPrinter(a.stderr, isTerminal(a.stderr))
	}
	for ev := range run.Events() {
		printer.event(ev)
	}
	state, err := run.Wait()
	printer.finish(state, err)
	return err
}

// job turns the sync flags into what app.Start needs.
func (f syncFlags) job(t app.Target, key lever.APIKey, dbPath string) app.SyncJob {
	return app.SyncJob{
		Target: t,
		Key:    key,
		DBPath: dbPath,
		Client: lever.Options{Rate: f.rate, Burst: f.burst, MaxRetries: f.retries, BaseBackoff: f.backoff},
		Store:  store.Options{MaxSize: f.maxDBBytes},
		Sync:   syncer.Options{Full: f.full, Details: f.details},
	}
}
