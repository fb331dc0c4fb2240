package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
)

// doctorFlags are the flags of `leversync doctor`.
type doctorFlags struct {
	conn   connFlags
	db     string
	json   bool
	report string
	// Hidden knobs for tests.
	rate       float64
	retries    int
	backoff    time.Duration
	maxDBBytes int
}

// doctorReport is the schema of `leversync doctor --json` (see README).
type doctorReport struct {
	Version  string            `json:"version"`
	OS       string            `json:"os"`
	Target   steps.TargetFacts `json:"target"`
	DataFile string            `json:"dataFile"`
	Checks   []steps.Finding   `json:"checks"`
	Failed   bool              `json:"failed"`
	Report   string            `json:"report,omitempty"`
}

func (a *cli) doctorCommand() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the key, the connection to Lever, the data file and the last sync, and say how to fix what is wrong",
		Long: `doctor checks everything a sync needs, in order, and prints each check as it
finishes with what to do about it: the API key (where it comes from, its
shape), the connection to Lever (name, proxy, TLS), Lever's availability,
whether Lever accepts the key (and, for a rejected key, which of Lever's
environments it belongs to), its permissions and confidential access, the
rate limit's headroom, the data file (lock, consistency, environment, disk
space) and the last sync. It changes nothing.

It takes the same --env, --base-url, --db and key sources as sync.
--report FILE also writes a support bundle to send to Lever support, with the
key and candidates' personal data redacted.

Exit codes: 0 nothing failed (notes and warnings allowed), 1 a check failed,
2 usage, 130 interrupted.`,
		Example: `  leversync doctor
  leversync doctor --env sandbox --json
  leversync doctor --report leversync-report.txt`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDoctor(cmd.Context(), f)
		},
	}
	f.conn.register(cmd, true)
	cmd.Flags().StringVar(&f.db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the checks as one JSON document on stdout")
	cmd.Flags().StringVar(&f.report, "report", "", "also write a support bundle to this file (mode 0600; key and personal data redacted)")
	cmd.Flags().Float64Var(&f.rate, "rate", app.DoctorRate, "requests per second (kept low, so a 429 means another user of the key)")
	cmd.Flags().IntVar(&f.retries, "retries", 0, "retries of a failed request (0: the doctor's default)")
	cmd.Flags().DurationVar(&f.backoff, "backoff", 0, "first retry wait (0: the doctor's default)")
	cmd.Flags().IntVar(&f.maxDBBytes, "max-db-size", 0, "the data file's size limit to measure the room against (as sync --max-db-size)")
	for _, name := range []string{"rate", "retries", "backoff", "max-db-size"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	return cmd
}

func (a *cli) runDoctor(ctx context.Context, f doctorFlags) error {
	t, err := a.resolveTarget(f.conn)
	if err != nil {
		return err
	}
	path, err := a.dbPath(f.db)
	if err != nil {
		return err
	}
	if f.report != "" {
		if f.report == path || sameFile(f.report, path) {
			return usagef("--report %s would overwrite the data file: name another file", f.report)
		}
		if err := app.CheckReportPath(f.report); err != nil {
			return err
		}
	}
	key, keyErr := a.resolveKey(f.conn, t)
	// The same precedence resolveKey applies, to say which source won.
	source := steps.KeySaved
	switch {
	case f.conn.keyStdin:
		source = steps.KeyFromStdin
	case strings.TrimSpace(a.getenv("LEVER_API_KEY")) != "":
		source = steps.KeyFromEnv
	}
	d := app.NewDoctor(app.DoctorConfig{
		Target: t, Key: key, KeySource: source, KeyErr: keyErr,
		EnvKey: lever.NewAPIKey(a.getenv("LEVER_API_KEY")),
		DBPath: path, Config: a.config,
		Client: lever.Options{Rate: f.rate, MaxRetries: f.retries, BaseBackoff: f.backoff},
		Store:  store.Options{MaxSize: f.maxDBBytes},
		Getenv: a.getenv,
	})

	progress := make(chan steps.Finding)
	printed := make(chan struct{})
	p := checklist{w: a.stdout, live: isTerminal(a.stdout)}
	go func() {
		defer close(printed)
		for fd := range progress {
			if !f.json {
				p.finding(fd)
			}
		}
	}()
	diag := d.Run(ctx, progress)
	close(progress)
	<-printed
	if err := ctx.Err(); err != nil {
		return err
	}

	if f.report != "" {
		if err := d.WriteReport(f.report, buildVersion(), diag); err != nil {
			return err
		}
		w := a.stdout
		if f.json {
			w = a.stderr
		}
		fmt.Fprintf(w, "\nSupport bundle written to %s (readable only by you).\nIt holds %s.\nRead it before you send it.\n", f.report, app.ReportContents)
	}
	if f.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		rep := doctorReport{Version: buildVersion(), OS: runtime.GOOS + "/" + runtime.GOARCH, Target: diag.Target,
			DataFile: path, Checks: diag.Findings, Failed: diag.Failed(), Report: f.report}
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		p.summary(diag)
	}
	if diag.Failed() {
		return exitCodeError{exitFailure}
	}
	return nil
}

// checklist prints each check as it finishes; in a terminal the check
// being run shows on a line that its result then replaces.
type checklist struct {
	w    io.Writer
	live bool
}

var statusMarks = map[steps.Status]string{
	steps.Pass: "✓", steps.Note: "i", steps.Warn: "!", steps.Fail: "✗", steps.Skip: "-",
}

func (c checklist) finding(f steps.Finding) {
	if f.Status == steps.Running {
		if c.live {
			fmt.Fprintf(c.w, "… %s", f.Title)
		}
		return
	}
	mark := "[" + string(f.Status) + "]"
	if f.Status == steps.Skip {
		mark = "[-]" // its summary says "skipped: why"
	}
	if c.live {
		mark = statusMarks[f.Status]
		fmt.Fprint(c.w, "\r\x1b[K")
	}
	fmt.Fprintf(c.w, "%s %s: %s\n", mark, f.Title, f.Summary)
	if f.Status == steps.Fail || f.Status == steps.Warn {
		for _, e := range f.Evidence {
			fmt.Fprintf(c.w, "    %s\n", e)
		}
	}
	if f.Fix != "" {
		fmt.Fprintf(c.w, "    fix: %s\n", f.Fix)
	}
}

func (c checklist) summary(d steps.Diagnosis) {
	n := map[steps.Status]int{}
	for _, f := range d.Findings {
		n[f.Status]++
	}
	fmt.Fprintf(c.w, "\n%d checks: %d passed, %d %s, %d %s, %d failed, %d skipped.\n",
		len(d.Findings), n[steps.Pass], n[steps.Note], plural(n[steps.Note], "note", "notes"),
		n[steps.Warn], plural(n[steps.Warn], "warning", "warnings"), n[steps.Fail], n[steps.Skip])
	if d.Failed() {
		fmt.Fprintln(c.w, "Fix what failed (see each fix above), then run 'leversync doctor' again.")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// buildVersion is the version set at build time, else the module's.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// sameFile reports whether a and b name one existing file, however spelt.
func sameFile(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}
