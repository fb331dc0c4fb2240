package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
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
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printStatus(a.stdout, rep)
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
	rep := statusReport{Path: path}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if errors.Is(err, store.ErrNoStore) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer st.Close()
	rep.Exists = true
	if rep.Environment, rep.BaseURL, err = st.Binding(); err != nil {
		return rep, err
	}
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

func printStatus(w io.Writer, rep statusReport) {
	if !rep.Exists {
		fmt.Fprintf(w, "No local data yet at %s.\nRun 'leversync' to set up a Lever connection, or 'leversync --demo' to try it.\n", rep.Path)
		return
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
		if rep.LastRun.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", lever.PlainText(rep.LastRun.Error))
		}
	}
	if rep.Unfinished != nil {
		fmt.Fprintf(w, "Unfinished sync: started %s", formatMillis(rep.Unfinished.StartedAt))
		if rep.Unfinished.Error != "" {
			fmt.Fprintf(w, ", stopped: %s", lever.PlainText(rep.Unfinished.Error))
		}
		fmt.Fprintln(w, "\n  'leversync sync' resumes it where it stopped.")
	}
	if rep.LastRun == nil && rep.Unfinished == nil {
		fmt.Fprintln(w, "No sync has run yet: run 'leversync sync'.")
	}
}

func formatMillis(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02 15:04:05")
}
