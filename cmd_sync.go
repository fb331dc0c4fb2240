package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
	"github.com/leversync/leversync/ui"
	"github.com/spf13/cobra"
)

// syncFlags are the flags of `leversync sync`.
type syncFlags struct {
	conn    connFlags
	db      string
	full    bool
	details bool
	json    bool
	// every repeats the sync on a schedule; 0 syncs once.
	every time.Duration
	// Hidden knobs for tests and benchmarks.
	rate       float64
	burst      int
	retries    int
	backoff    time.Duration
	maxDBBytes int
	// minEvery is the shortest --every accepted. It exists for tests only,
	// which schedule runs a fraction of a second apart; people get a
	// minute.
	minEvery time.Duration
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

With --every, sync stays in the foreground and runs an incremental sync at
once and then on that schedule, saying when the next run is due. The data
file is closed between runs, so status, export and doctor work then. A run
that fails because Lever or the network is unavailable (or another sync
holds the file) is retried after a back-off; a rejected key, a missing
permission, a wrong API root or a data file problem end the schedule with
its exit code. ctrl+c or SIGTERM stops it, during a run or between runs.

Exit codes: 0 done (warnings allowed), 1 unexpected error, 2 usage, 3 no key
or key rejected, 4 permission missing, 5 Lever or network unavailable, 6 local
file problem, 7 the API root is not Lever's, 130 interrupted (SIGINT), 143
terminated (SIGTERM).`,
		Example: `  leversync sync
  leversync sync --env sandbox --json
  echo "$KEY" | leversync sync --key-stdin --details
  leversync sync --every 1h
  leversync sync --base-url http://127.0.0.1:8080/v1`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.checkEvery(); err != nil {
				return err
			}
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
			if f.every > 0 {
				return a.runSchedule(cmd.Context(), f.job(t, key, path), f)
			}
			return a.runSync(cmd.Context(), f.job(t, key, path), f.json)
		},
	}
	f.conn.register(cmd, true)
	cmd.Flags().StringVar(&f.db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&f.full, "full", false, "read everything again instead of only what changed")
	cmd.Flags().BoolVar(&f.details, "details", false, "also fetch each candidate's notes, interviews and offers (one request each)")
	cmd.Flags().BoolVar(&f.json, "json", false, "write one JSON event per line on stdout")
	cmd.Flags().DurationVar(&f.every, "every", 0, "keep running, and sync again at this interval (1m or more, e.g. 15m, 1h, 24h)")
	cmd.Flags().DurationVar(&f.minEvery, "min-every", time.Minute, "the shortest --every accepted (for tests)")
	cmd.Flags().Float64Var(&f.rate, "rate", lever.DefaultRate, "requests per second (Lever's limit is 10)")
	cmd.Flags().IntVar(&f.burst, "burst", lever.DefaultBurst, "request burst (Lever allows up to 20)")
	cmd.Flags().IntVar(&f.retries, "retries", lever.DefaultMaxRetries, "retries of a failed request before giving up")
	cmd.Flags().DurationVar(&f.backoff, "backoff", lever.DefaultBaseBackoff, "first retry wait (doubles each retry, with jitter)")
	cmd.Flags().IntVar(&f.maxDBBytes, "max-db-size", 0, "stop with a disk-full error when the data file would grow past this many bytes")
	for _, name := range []string{"rate", "burst", "retries", "backoff", "max-db-size", "min-every"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	return cmd
}

// runSync runs one sync to the end and reports it on stderr (or stdout as
// JSON events).
func (a *cli) runSync(ctx context.Context, job app.SyncJob, asJSON bool) error {
	a.resumes = true
	var printer progressPrinter
	if asJSON {
		printer = newJSONPrinter(a.stdout)
	} else {
		printer = newHumanPrinter(a.stderr, isTerminal(a.stderr))
	}
	// Start connects first, and a Lever that does not answer is retried
	// for up to a minute: say so as it happens. (Start calls this on this
	// goroutine; it returns before the events begin.)
	job.Client.OnRetry = func(ri lever.RetryInfo) { printer.event(syncer.RetryEvent(ri)) }
	run, err := app.Start(ctx, job)
	if err != nil {
		return err
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

// checkEvery refuses a schedule that is too tight, or one that would read
// everything on each run.
func (f syncFlags) checkEvery() error {
	switch {
	case f.every < 0:
		return usagef("--every %s: give a positive interval such as 15m or 1h", f.every)
	case f.every == 0:
		return nil
	case f.every < f.minEvery:
		return usagef("--every %s is too short: syncs can be scheduled every %s or more", f.every, progress.Interval(f.minEvery))
	case f.full:
		return usagef("--full with --every would read everything on every run: run 'leversync sync --full' once, then 'leversync sync --every %s'", progress.Interval(f.every))
	}
	return nil
}

// runSchedule runs job now and then every f.every until a signal stops it,
// or a run fails in a way that waiting cannot fix.
func (a *cli) runSchedule(ctx context.Context, job app.SyncJob, f syncFlags) error {
	if !f.json && isTerminal(a.stdin) && isTerminal(a.stdout) {
		return a.runScheduleDashboard(ctx, job, f)
	}
	if !f.json {
		fmt.Fprintf(a.stderr, "Syncing %s every %s; ctrl+c stops (a run stopped mid-way resumes next time).\n", job.DBPath, progress.Interval(f.every))
	}
	return app.RunSchedule(ctx, app.Schedule{
		DataFile: job.DBPath,
		Every:    f.every,
		Run:      func(ctx context.Context) error { return a.runSync(ctx, job, f.json) },
		Heals:    healsByItself,
		Waiting: func(s app.ScheduleState) {
			if f.json {
				_ = json.NewEncoder(a.stdout).Encode(nextRunEvent{
					Type: eventNextRun, Time: time.Now().UnixMilli(), NextRunAt: s.NextRunAt,
					EveryMs: s.EveryMs, Failures: s.Failures, Message: s.LastError,
				})
				return
			}
			if s.Failures > 0 {
				fmt.Fprintf(a.stderr, "%s: %s\n", failedRuns(s.Failures), lever.PlainText(s.LastError))
				fmt.Fprintf(a.stderr, "retrying %s\n", whenNext(s.NextRunAt))
				return
			}
			fmt.Fprintf(a.stderr, "next sync %s\n", whenNext(s.NextRunAt))
		},
	})
}

// eventNextRun is the type of the line `sync --every --json` prints between
// runs.
const eventNextRun = "next_run"

// nextRunEvent says when the next scheduled run starts (see README).
type nextRunEvent struct {
	Type      string `json:"type"`
	Time      int64  `json:"time"`
	NextRunAt int64  `json:"nextRunAt"`
	EveryMs   int64  `json:"everyMs"`
	Failures  int    `json:"failures,omitempty"`
	Message   string `json:"message,omitempty"`
}

// healsByItself reports a failed run that a later run may get past with
// nothing changed: Lever or the network unavailable, an answer leversync
// did not expect, the data file held by another sync. A rejected key, a
// missing permission, a wrong API root or a data file problem stay until
// someone acts.
func healsByItself(err error) bool {
	if errors.Is(err, store.ErrInUse) {
		return true
	}
	switch codeFor(err) {
	case exitUnavailable, exitFailure:
		return true
	}
	return false
}

// runScheduleDashboard runs the schedule with its runs on the dashboard,
// which says between runs when the next one starts. Leaving the dashboard
// stops the schedule, as ctrl+c does without a terminal.
func (a *cli) runScheduleDashboard(ctx context.Context, job app.SyncJob, f syncFlags) error {
	// The runs start through the wizard's services, so the Jobs page reads
	// the file a run holds through that run.
	svc := app.NewServices(app.ServicesConfig{
		DBPath:   job.DBPath,
		BaseURLs: map[lever.Environment]string{job.Target.Env: job.Target.BaseURL},
		Client:   job.Client,
		Store:    job.Store,
		Sync:     job.Sync,
	})
	state := steps.NewState()
	state.Step, state.Completed, state.Environment = steps.StepSync, true, job.Target.Env
	schedCtx, stop := context.WithCancel(ctx)
	defer stop()
	dash := ui.NewScheduled(ctx, ui.Config{Services: svc, In: a.stdin, Out: a.stdout}, job.Target.Env, stop)
	done := make(chan error, 1)
	go func() {
		err := app.RunSchedule(schedCtx, app.Schedule{
			DataFile: job.DBPath,
			Every:    f.every,
			Run: func(ctx context.Context) error {
				run, err := svc.StartSync(ctx, state, job.Key)
				if err != nil {
					return err
				}
				dash.Show(run)
				_, err = run.Wait()
				return err
			},
			Heals: healsByItself,
			Waiting: func(s app.ScheduleState) {
				dash.Next(ui.NextRun{At: time.UnixMilli(s.NextRunAt), Every: s.Every(), Failures: s.Failures, LastError: s.LastError})
			},
		})
		dash.End()
		done <- err
	}()
	uiErr := dash.Run()
	stop()
	err := <-done
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.Canceled):
		// The user left the dashboard.
		fmt.Fprintf(a.stderr, "Stopped the schedule of %s; a run stopped mid-way resumes next time.\n", job.DBPath)
		return uiErr
	case err != nil:
		return err
	}
	return uiErr
}
