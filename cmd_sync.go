package main

import (
	"context"
	"time"

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

func (a *app) syncCommand() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync jobs, candidates and reference data without the wizard",
		Long: `Sync reads postings, opportunities, users, stages, archive reasons, sources,
tags, requisitions and deletions from Lever into the local data file.

The first sync reads everything; later syncs read only what changed since the
last one (plus a full re-read of the small lists and of postings). An
interrupted sync resumes at its last stored page. The key comes from
--key-stdin, else LEVER_API_KEY, else the key saved by the wizard.

Exit codes: 0 done (warnings allowed), 2 usage, 3 no key or key rejected,
4 permission missing, 5 Lever or network unavailable, 6 data file problem,
130 interrupted (SIGINT), 143 terminated (SIGTERM).`,
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
			key, err := a.resolveKey(f.conn, t.env)
			if err != nil {
				return err
			}
			path, err := a.dbPath(f.db)
			if err != nil {
				return err
			}
			return a.runSync(cmd.Context(), syncJob{target: t, key: key, dbPath: path, flags: f})
		},
	}
	f.conn.register(cmd, true)
	cmd.Flags().StringVar(&f.db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&f.full, "full", false, "re-read everything instead of only what changed")
	cmd.Flags().BoolVar(&f.details, "details", false, "also fetch each candidate's notes, interviews and offers (one request each)")
	cmd.Flags().BoolVar(&f.json, "json", false, "write one JSON event per line on stdout")
	cmd.Flags().Float64Var(&f.rate, "rate", 10, "requests per second (Lever's limit is 10)")
	cmd.Flags().IntVar(&f.burst, "burst", 20, "request burst (Lever allows up to 20)")
	cmd.Flags().IntVar(&f.retries, "retries", 8, "retries of a failed request before giving up")
	cmd.Flags().DurationVar(&f.backoff, "backoff", 500*time.Millisecond, "first retry wait (doubles each retry, with jitter)")
	cmd.Flags().IntVar(&f.maxDBBytes, "max-db-size", 0, "stop with a disk-full error when the data file would grow past this many bytes")
	for _, name := range []string{"rate", "burst", "retries", "backoff", "max-db-size"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	return cmd
}

// syncJob is one resolved sync: where from, with which key, into which file.
type syncJob struct {
	target target
	key    lever.APIKey
	dbPath string
	flags  syncFlags
}

// runSync runs one sync to the end and reports it on stderr (or stdout as
// JSON events).
func (a *app) runSync(ctx context.Context, job syncJob) error {
	st, err := store.Open(job.dbPath, store.Options{Timeout: 2 * time.Second, MaxSize: job.flags.maxDBBytes})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Bind(job.target.env, job.target.baseURL); err != nil {
		return err
	}

	var engine *syncer.Engine
	client, err := lever.NewClient(lever.Options{
		BaseURL:     job.target.baseURL,
		Key:         job.key,
		Rate:        job.flags.rate,
		Burst:       job.flags.burst,
		MaxRetries:  job.flags.retries,
		BaseBackoff: job.flags.backoff,
		OnRetry: func(r lever.RetryInfo) {
			if engine != nil {
				engine.OnRetry(r)
			}
		},
	})
	if err != nil {
		return usageError{err}
	}
	engine = syncer.NewEngine(client, st, syncer.Options{Full: job.flags.full, Details: job.flags.details})

	events := make(chan syncer.Event, 512)
	var printer progressPrinter
	if job.flags.json {
		printer = newJSONPrinter(a.stdout)
	} else {
		printer = newHumanPrinter(a.stderr, isTerminal(a.stderr))
	}
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for ev := range events {
			printer.event(ev)
		}
	}()
	state, runErr := engine.Run(ctx, events)
	close(events)
	<-printed
	printer.finish(state, runErr)

	return runErr
}
