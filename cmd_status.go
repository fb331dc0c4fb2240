package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
)

// statusReport is the schema of `leversync status --json` (see README).
type statusReport struct {
	Path        string                 `json:"path"`
	Exists      bool                   `json:"exists"`
	Environment lever.Environment      `json:"environment,omitempty"`
	BaseURL     string                 `json:"baseUrl,omitempty"`
	Counts      map[lever.Resource]int `json:"counts,omitempty"`
	Deleted     map[lever.Resource]int `json:"deleted,omitempty"`
	LastRun     *syncer.RunState       `json:"lastRun,omitempty"`
	// Unfinished is a run that stopped before its end; the next sync
	// resumes it.
	Unfinished *syncer.RunState `json:"unfinished,omitempty"`
	// LastSyncFinished is true when the most recent sync ran to its end.
	LastSyncFinished bool `json:"lastSyncFinished"`
	// Checked is true when --check verified the file and found it sound.
	Checked bool `json:"checked,omitempty"`
	// Profile is the profile whose data file this is ("" with --db).
	Profile string `json:"profile,omitempty"`
	// Schedule is the scheduled sync running on the file, between or
	// during its runs.
	Schedule *app.ScheduleState `json:"schedule,omitempty"`
}

func (a *cli) statusCommand() *cobra.Command {
	var db string
	var asJSON, check bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what is stored locally and how the last sync went",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := a.dbPath(db)
			if err != nil {
				return err
			}
			rep, err := readStatus(path, check)
			if err != nil {
				return err
			}
			if db == "" {
				rep.Profile = a.profile.Name
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printStatus(a.stdout, rep, func(sub string) string { return a.suggest(sub, db) })
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	cmd.Flags().BoolVar(&check, "check", false, "also verify the data file's integrity (reads all of it; exit 6 if it is damaged)")
	return cmd
}

// readStatus reads the store briefly, read-only; with check it also verifies
// every page and leversync's own counts and index.
func readStatus(path string, check bool) (statusReport, error) {
	return readStatusWithin(path, check, 0)
}

// readStatusWithin is readStatus waiting at most timeout for a sync that
// holds the file (0: the store's default).
func readStatusWithin(path string, check bool, timeout time.Duration) (statusReport, error) {
	rep := statusReport{Path: path}
	if s, ok := app.ReadSchedule(path); ok {
		rep.Schedule = &s
	}
	st, err := store.Open(path, store.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, store.ErrNoStore) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer st.Close()
	rep.Exists = true
	bound, err := st.Binding()
	if err != nil {
		return rep, err
	}
	rep.Environment, rep.BaseURL = bound.Env, bound.BaseURL
	if rep.Counts, err = st.Counts(); err != nil {
		return rep, err
	}
	if rep.Deleted, err = st.DeletedCounts(); err != nil {
		return rep, err
	}
	if rep.Unfinished, rep.LastRun, err = st.LoadRun(); err != nil {
		return rep, err
	}
	rep.LastSyncFinished = rep.Unfinished == nil && rep.LastRun != nil
	if check {
		if err := st.Check(); err != nil {
			return rep, err
		}
		rep.Checked = true
	}
	return rep, nil
}

// printStatus prints rep; suggest(sub) is the command line that runs sub
// on the same file.
func printStatus(w io.Writer, rep statusReport, suggest func(sub string) string) {
	if !rep.Exists {
		fmt.Fprintf(w, "No local data yet at %s.\nRun '%s' to set up a Lever connection, or 'leversync --demo' to try it.\n", rep.Path, suggest(""))
		if rep.Schedule != nil {
			printSchedule(w, *rep.Schedule)
		}
		return
	}
	if rep.Profile != "" && rep.Profile != app.DefaultProfile {
		fmt.Fprintf(w, "Profile:   %s\n", rep.Profile)
	}
	fmt.Fprintf(w, "Data file: %s\n", rep.Path)
	if rep.Checked {
		fmt.Fprintln(w, "Integrity: checked, sound")
	}
	if rep.Environment != "" {
		fmt.Fprintf(w, "Lever:     %s (%s)\n", lever.PlainText(rep.Environment.Title()), lever.PlainText(rep.BaseURL))
	}
	fmt.Fprintln(w, "\nStored records:")
	for _, r := range lever.AllResources {
		n, d := rep.Counts[r], rep.Deleted[r]
		if n == 0 && d == 0 && !slices.Contains(lever.ListResources, r) {
			continue
		}
		line := fmt.Sprintf("  %-16s %10s", r, thousands(n))
		if d > 0 {
			line += fmt.Sprintf("   (%s deleted in Lever)", thousands(d))
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	if rep.LastRun != nil {
		fmt.Fprintf(w, "Last finished sync: started %s, finished %s, %s\n",
			formatMillis(rep.LastRun.StartedAt), formatMillis(rep.LastRun.FinishedAt), resultWord(rep.LastRun.Result))
		// Saved text may hold what Lever sent, from before it was cleaned
		// at the source.
		for _, warn := range rep.LastRun.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", lever.PlainText(warn))
		}
		if sk := skippedText(rep.LastRun.Skipped); sk != "" {
			fmt.Fprintf(w, "  skipped (could not be read): %s\n", sk)
		}
		if rep.LastRun.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", lever.PlainText(rep.LastRun.Error))
		}
	}
	if rep.Unfinished != nil {
		fmt.Fprintf(w, "Unfinished sync: started %s", formatMillis(rep.Unfinished.StartedAt))
		if rep.Unfinished.Error != "" {
			fmt.Fprintf(w, ", stopped: %s", lever.PlainText(rep.Unfinished.Error))
		}
		fmt.Fprintf(w, "\n  '%s' resumes it where it stopped.\n", suggest("sync"))
	}
	if rep.LastRun == nil && rep.Unfinished == nil {
		fmt.Fprintf(w, "No sync has run yet: run '%s'.\n", suggest("sync"))
	}
	if rep.Schedule != nil {
		printSchedule(w, *rep.Schedule)
	}
}

// printSchedule says what the scheduled sync on the file is doing.
func printSchedule(w io.Writer, s app.ScheduleState) {
	fmt.Fprintf(w, "Scheduled: a sync every %s ('leversync sync --every', pid %d)", progress.Interval(s.Every()), s.PID)
	if s.Running {
		fmt.Fprintln(w, "; a run is under way: 'leversync watch' follows it")
	} else {
		fmt.Fprintf(w, "; next run %s\n", whenNext(s.NextRunAt))
	}
	if s.Failures > 0 {
		fmt.Fprintf(w, "  %s: %s\n  the schedule keeps retrying, waiting longer each time (up to an hour, or the interval if longer)\n",
			failedRuns(s.Failures), lever.PlainText(s.LastError))
	}
}

// failedRuns is "the last run failed" or "the last 3 runs failed".
func failedRuns(n int) string {
	if n == 1 {
		return "the last run failed"
	}
	return fmt.Sprintf("the last %d runs failed", n)
}

// whenNext is "at 2026-12-02 15:04:05 (in 59m58s)".
func whenNext(ms int64) string {
	in := max(time.Until(time.UnixMilli(ms)), 0).Round(time.Second)
	return fmt.Sprintf("at %s (in %s)", formatMillis(ms), progress.Interval(in))
}

func formatMillis(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02 15:04:05")
}

// skippedText lists the records a run left out because they could not be
// decoded, per resource: "tags 1, users 2".
func skippedText(m map[lever.Resource]int) string {
	var parts []string
	for _, r := range lever.AllResources {
		if m[r] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, m[r]))
		}
	}
	return strings.Join(parts, ", ")
}
