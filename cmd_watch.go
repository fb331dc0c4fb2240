package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/store"
	"github.com/leversync/leversync/ui"
	"github.com/spf13/cobra"
)

// watchFlags are the flags of `leversync watch`.
type watchFlags struct {
	db   string
	json bool
}

func (a *cli) watchCommand() *cobra.Command {
	var f watchFlags
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Follow the sync running on the data file, from any terminal",
		Long: `Watch shows the progress of the sync running on the data file, whichever
process runs it: a headless 'leversync sync' (from cron or CI), the wizard's,
or the demo's. It only reads: leaving it does not disturb the sync. A watch
that joins mid-sync starts from the sync's totals so far.

In a terminal it shows the live dashboard of the sync (q or ctrl+c leaves at
once; tab shows the Jobs page once the sync has freed the data file);
otherwise it prints a line per change, or with --json the events.

With no sync running, watch says so, shows how the last one went, and exits 0.

Exit codes: 0 the watched sync finished (done, or done with warnings), none
was running, or you left the dashboard before its end; 1 the watched sync
failed, was interrupted, or went away before its end; 2 usage; 6 the data file
could not be read; 130 (SIGINT) or 143 (SIGTERM) the watch was stopped, and
the sync goes on.`,
		Example: `  leversync watch
  leversync watch --db ./leversync-demo.db
  leversync watch --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runWatch(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&f.db, "db", "", "data file whose sync to watch (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&f.json, "json", false, "write a snapshot event, then one JSON event per line, on stdout")
	return cmd
}

// errSyncGone: the watched sync's process went away without finishing.
var errSyncGone = errors.New("the watched sync went away before its end (it was killed, or its machine stopped): 'leversync status' shows what was stored, and the next 'leversync sync' resumes it")

// runWatch follows the sync of the data file, or shows the last one when
// none runs.
func (a *cli) runWatch(ctx context.Context, f watchFlags) error {
	path, err := a.dbPath(f.db)
	if err != nil {
		return err
	}
	w, err := app.Attach(ctx, path)
	if errors.Is(err, app.ErrNoSyncRunning) {
		w, err = a.showLastRun(ctx, path, f.json)
		if w == nil && err == nil {
			return nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return a.stoppedWatching()
		}
		return err
	}
	defer w.Close()
	switch {
	case f.json:
		return a.followWatch(ctx, w, newJSONPrinter(a.stdout))
	case isTerminal(a.stdin) && isTerminal(a.stdout):
		return a.watchDashboard(ctx, path, w)
	}
	return a.followWatch(ctx, w, newHumanPrinter(a.stdout, isTerminal(a.stdout)))
}

// watchDashboard shows the watched sync on the live dashboard, which reads
// the data file (read-only pages) once the sync has freed it.
func (a *cli) watchDashboard(ctx context.Context, path string, w *app.Watch) error {
	svc := app.NewServices(app.ServicesConfig{DBPath: path})
	end, err := ui.RunWatch(ctx, ui.Config{Services: svc, In: a.stdin, Out: a.stdout}, app.WatchedSync{Watch: w})
	switch {
	case err != nil && ctx.Err() != nil, err == nil && !end.Ended:
		return a.stoppedWatching()
	case err != nil:
		return err
	case end.Err != nil:
		if errors.Is(end.Err, app.ErrSyncGone) {
			return errSyncGone
		}
		return end.Err
	}
	return watchedResult(end.Run)
}

// watchPrinter prints a watched sync, starting from its snapshot.
type watchPrinter interface {
	progressPrinter
	seed(progress.Snapshot)
}

// followWatch prints a watched sync from its snapshot to its end, and
// returns how it ended.
func (a *cli) followWatch(ctx context.Context, w *app.Watch, p watchPrinter) error {
	p.seed(w.Initial())
	run, finished := w.Initial().Run, w.Initial().Finished
	for ev := range w.Events() {
		p.event(ev)
		if ev.Type == syncer.EventSyncDone {
			finished = true
			if ev.Run != nil {
				run = *ev.Run
			}
		}
	}
	if !finished {
		if ctx.Err() != nil {
			return a.stoppedWatching()
		}
		p.finish(syncer.RunState{}, errSyncGone)
		return errSyncGone
	}
	p.finish(syncer.RunState{}, nil)
	return watchedResult(run)
}

// watchedResult is the exit of a watch whose sync ended as run did.
func watchedResult(run syncer.RunState) error {
	switch run.Result {
	case syncer.ResultOK, syncer.ResultWarnings:
		return nil
	case syncer.ResultInterrupted:
		return errors.New("the watched sync was interrupted: the next 'leversync sync' resumes where it stopped")
	default:
		return fmt.Errorf("the watched sync failed: %s", run.Error)
	}
}

// stoppedWatching reports a watch stopped by a signal; the exit code comes
// from the signal.
func (a *cli) stoppedWatching() error {
	fmt.Fprintln(a.stderr, "Stopped watching; the sync goes on.")
	return nil
}

// showLastRun says that no sync is running on path and shows how the last
// one went, reading the file without taking it from anyone. When the file
// turns out to be held, a sync has just started (it publishes right after
// taking the file), and the watch of it is returned instead.
func (a *cli) showLastRun(ctx context.Context, path string, asJSON bool) (*app.Watch, error) {
	rep, err := readStatus(path, false)
	if errors.Is(err, store.ErrInUse) {
		if w, aerr := app.Attach(ctx, path); aerr == nil {
			return w, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("no sync is publishing its progress for %s, and the last run cannot be read: %w", path, err)
	}
	out := a.stdout
	if asJSON {
		// stdout carries events only; 'status --json' has the last run.
		out = a.stderr
	}
	printLastRun(out, rep)
	return nil, nil
}

func printLastRun(w io.Writer, rep statusReport) {
	fmt.Fprintf(w, "No sync is running on %s.\n", rep.Path)
	if !rep.Exists {
		fmt.Fprintln(w, "There is no data file there yet: run 'leversync' to set up a Lever connection, or 'leversync sync'.")
		if rep.Schedule != nil {
			printSchedule(w, *rep.Schedule)
		}
		return
	}
	if r := rep.LastRun; r != nil {
		took := time.Duration(max(r.FinishedAt-r.StartedAt, 0)) * time.Millisecond
		fmt.Fprintf(w, "Last sync: %s, finished %s after %s: %s\n", resultWord(r.Result), formatMillis(r.FinishedAt),
			took.Round(time.Second), summary(progress.Snapshot{Run: *r, Finished: true}, true))
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
	}
	if r := rep.Unfinished; r != nil {
		fmt.Fprintf(w, "Unfinished sync: started %s", formatMillis(r.StartedAt))
		if r.Error != "" {
			fmt.Fprintf(w, ", stopped: %s", r.Error)
		}
		fmt.Fprintln(w, "\n  'leversync sync' resumes it where it stopped.")
	}
	if rep.LastRun == nil && rep.Unfinished == nil {
		fmt.Fprintln(w, "No sync has run yet: run 'leversync sync'.")
	}
	if rep.Schedule != nil {
		printSchedule(w, *rep.Schedule)
	}
}

// seed starts the JSON stream with the snapshot event, as the socket does.
func (p *jsonPrinter) seed(s progress.Snapshot) { _ = p.enc.Encode(app.SnapshotEvent(s)) }

// seed starts from a watched sync's progress so far.
func (p *humanPrinter) seed(s progress.Snapshot) {
	p.model = progress.Restore(s)
	p.shown = s
	if !s.Started {
		p.line("watching a sync that is starting")
		return
	}
	p.line(fmt.Sprintf("watching a %s, started %s", syncKind(s), formatMillis(s.Run.StartedAt)))
	p.status(s, true)
}
