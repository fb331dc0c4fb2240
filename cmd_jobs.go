package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
)

func (a *cli) jobsCommand() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "jobs [JOB_ID]",
		Short: "List the synced jobs, or the candidates of one job",
		Long: `jobs lists the postings in the data file with their team, location, state
and number of candidates. Given a job's id, it lists that job's candidates
with their stage and archive reason by name.`,
		Example: `  leversync jobs
  leversync jobs 2b6cd6f0-4a1c-4c2e-9e4a-0f3b7d1c8e21 --json`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.dbPath(db)
			if err != nil {
				return err
			}
			st, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			jobs, err := st.Postings()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				if asJSON {
					return writeJSON(a.stdout, jobs)
				}
				printJobs(a.stdout, jobs, a.suggest("sync", db))
				return nil
			}
			if !hasJob(jobs, args[0]) {
				return usagef("no job with id %q in %s: run '%s' to list them", args[0], path, a.suggest("jobs", db))
			}
			candidates, err := st.OpportunitiesOfPosting(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, candidates)
			}
			printCandidates(a.stdout, candidates)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func hasJob(jobs []store.PostingSummary, id string) bool {
	for _, j := range jobs {
		if j.ID == id {
			return true
		}
	}
	return false
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printJobs lists jobs; sync is the command line that fills the file.
func printJobs(w io.Writer, jobs []store.PostingSummary, sync string) {
	if len(jobs) == 0 {
		fmt.Fprintf(w, "No jobs stored yet: run '%s'.\n", sync)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tTEAM\tLOCATION\tSTATE\tCANDIDATES\tUPDATED\tID")
	// Every text comes from Lever's records: a title could carry escapes.
	clean := lever.PlainText
	for _, j := range jobs {
		title := clean(j.Text)
		if j.Confidential {
			title += " (confidential)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", title, clean(j.Team), clean(j.Location), clean(j.State), thousands(j.Candidates), formatDay(j.UpdatedAt), clean(j.ID))
	}
	tw.Flush()
}

func printCandidates(w io.Writer, cs []store.CandidateSummary) {
	if len(cs) == 0 {
		fmt.Fprintln(w, "No candidates stored for this job.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CANDIDATE\tSTAGE\tORIGIN\tARCHIVED\tUPDATED\tID")
	clean := lever.PlainText
	for _, c := range cs {
		archived := "-"
		if c.Archived {
			archived = clean(c.ArchiveReason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", clean(c.Name), clean(c.StageText), clean(c.Origin), archived, formatDay(c.UpdatedAt), clean(c.ID))
	}
	tw.Flush()
}

// formatDay is a record's date in local time; "-" when Lever gave none.
func formatDay(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02")
}
