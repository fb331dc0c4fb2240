package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/store"
	"github.com/leversync/leversync/ui"
	"github.com/spf13/cobra"
)

// profileReport is one line of `leversync profiles --json` (see README).
type profileReport struct {
	Name string `json:"name"`
	// Current is the profile this command runs as (--profile,
	// LEVERSYNC_PROFILE or the default).
	Current bool `json:"current"`
	// Environment and BaseURL are the Lever the profile syncs from: its
	// settings, else what its data file was filled from.
	Environment lever.Environment `json:"environment,omitempty"`
	BaseURL     string            `json:"baseUrl,omitempty"`
	DataFile    string            `json:"dataFile"`
	Exists      bool              `json:"exists"`
	// LastSync is when the last finished sync ended (ms), LastResult how.
	LastSync   int64                  `json:"lastSync,omitempty"`
	LastResult string                 `json:"lastResult,omitempty"`
	Counts     map[lever.Resource]int `json:"counts,omitempty"`
	// Syncing is true when a sync held the data file, so it was not read.
	Syncing  bool               `json:"syncing,omitempty"`
	Schedule *app.ScheduleState `json:"schedule,omitempty"`
	// Error says why the data file or settings could not be read.
	Error string `json:"error,omitempty"`
}

// profileReadTimeout is how long `profiles` waits for a data file that a
// sync holds, before saying it is syncing.
const profileReadTimeout = 300 * time.Millisecond

func (a *cli) profilesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the profiles (one per Lever account) with their environment, last sync and counts",
		Long: `A profile is one Lever account's own environment and API root, saved key,
settings and data file; nothing is shared between profiles. Every command
takes --profile NAME (or LEVERSYNC_PROFILE); without one it uses the profile
called "default", whose files are where leversync has always kept them.
A profile is made by the first command that saves something for it, such as
'leversync --profile NAME' (the wizard) or 'leversync login --profile NAME'.`,
		Example: `  leversync profiles
  leversync --profile agency-client-a
  leversync login --profile sandbox --env sandbox --key-stdin
  LEVERSYNC_PROFILE=sandbox leversync sync
  leversync profiles remove sandbox`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			profiles, err := app.ListProfiles(a.getenv)
			if err != nil {
				return err
			}
			reports := make([]profileReport, 0, len(profiles))
			for _, p := range profiles {
				rep := readProfile(p)
				rep.Current = p.Name == a.profile.Name
				reports = append(reports, rep)
			}
			if asJSON {
				return writeJSON(a.stdout, reports)
			}
			printProfiles(a.stdout, reports)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the profiles as JSON")
	cmd.AddCommand(a.removeProfileCommand())
	return cmd
}

// readProfile reads what a profile holds without waiting on a sync.
func readProfile(p app.Profile) profileReport {
	rep := profileReport{Name: p.Name, DataFile: p.DataFile}
	var problems []string
	if p.ConfigDir != "" {
		s, err := config.LoadSettings(p.ConfigDir)
		if err != nil {
			problems = append(problems, err.Error())
		}
		rep.Environment, rep.BaseURL = s.Environment, s.BaseURL
		if rep.Environment != "" && rep.BaseURL == "" {
			rep.BaseURL = rep.Environment.BaseURL()
		}
	}
	if p.DataFile != "" {
		st, err := readStatusWithin(p.DataFile, false, profileReadTimeout)
		rep.Exists, rep.Schedule = st.Exists, st.Schedule
		switch {
		case errors.Is(err, store.ErrInUse):
			rep.Exists, rep.Syncing = true, true
		case err != nil:
			problems = append(problems, err.Error())
		default:
			if rep.Environment == "" {
				rep.Environment, rep.BaseURL = st.Environment, st.BaseURL
			}
			rep.Counts = st.Counts
			if st.LastRun != nil {
				rep.LastSync, rep.LastResult = st.LastRun.FinishedAt, st.LastRun.Result
			}
		}
	}
	rep.Error = strings.Join(problems, "; ")
	return rep
}

func printProfiles(w io.Writer, reps []profileReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PROFILE\tENVIRONMENT\tLAST SYNC\tCANDIDATES\tJOBS")
	for _, r := range reps {
		mark := " "
		if r.Current {
			mark = "*"
		}
		env := "not set up"
		if r.Environment != "" {
			env = lever.PlainText(r.Environment.Title())
			if r.BaseURL != r.Environment.BaseURL() {
				env += " (" + lever.PlainText(r.BaseURL) + ")"
			}
		}
		last, candidates, jobs := "never", "-", "-"
		if r.LastSync > 0 {
			last = formatMillis(r.LastSync) + ", " + resultWord(r.LastResult)
		}
		if r.Exists && !r.Syncing {
			candidates, jobs = thousands(r.Counts[lever.Opportunities]), thousands(r.Counts[lever.Postings])
		}
		switch {
		case r.Syncing:
			last = "syncing now"
		case r.Error != "":
			last = "unreadable: see 'leversync status --profile " + r.Name + "'"
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", mark, r.Name, env, last, candidates, jobs)
	}
	_ = tw.Flush()
	for _, r := range reps {
		if r.Schedule != nil {
			fmt.Fprintf(w, "%s: ", r.Name)
			printSchedule(w, *r.Schedule)
		}
	}
	fmt.Fprintln(w, "\n* the profile in use ('--profile NAME' or LEVERSYNC_PROFILE picks another)")
}

func (a *cli) removeProfileCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a profile: its saved keys, settings and data file",
		Long: `remove deletes a profile's saved keys (keyring and file), its settings and,
after you confirm (or with --yes), its data file. It refuses while a sync or
a schedule uses the data file, and deletes only a file it recognizes as a
leversync data file. The default profile is kept: 'leversync logout' and
'leversync reset' empty it.`,
		Example: `  leversync profiles remove sandbox
  leversync profiles remove agency-client-a --yes`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.LookupProfile(args[0], a.getenv)
			if err != nil {
				return usageError{err}
			}
			if p.Name == app.DefaultProfile {
				return usagef("the default profile cannot be removed: 'leversync logout' removes its keys and 'leversync reset' its data file")
			}
			if !exists(p.ConfigDir) && !exists(filepath.Dir(p.DataFile)) {
				fmt.Fprintf(a.stdout, "There is no profile %q: 'leversync profiles' lists them.\n", p.Name)
				return nil
			}
			what := "its saved keys and settings"
			if exists(p.DataFile) {
				what += " and its data file " + p.DataFile
			}
			if !yes {
				if !isTerminal(a.stdin) {
					return usagef("removing profile %s deletes %s: pass --yes to confirm without a terminal", p.Name, what)
				}
				yes, err := ui.Confirm(cmd.Context(), a.stdin, a.stdout, fmt.Sprintf("Remove profile %s: %s? Type yes to confirm: ", p.Name, what))
				if err != nil {
					return err
				}
				if !yes {
					fmt.Fprintln(a.stdout, "Nothing removed.")
					return nil
				}
			}
			if err := p.Remove(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed profile %s: %s.\n", p.Name, what)
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

// exists reports whether anything is at path.
func exists(path string) bool {
	if path == "" || path == "." {
		return false
	}
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
