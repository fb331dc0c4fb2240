// Command leversync takes a Lever administrator from "I have a Lever account"
// to "my jobs and candidates are synced and I can watch them arrive", then
// keeps that local copy current. This file holds only the command line: it
// parses flags, picks the wizard or headless mode and maps errors to exit
// codes; package app builds the sync, and the work lives in lever,
// lever/syncer, store, config, steps and ui.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"charm.land/fang/v2"
	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// cli is what every command shares: its streams, environment, the profile
// (where its saved key, settings and data file live), and the signal that
// stopped it, if any.
type cli struct {
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	getenv  func(string) string
	profile app.Profile
	config  app.Config
	// stopSignal is the first SIGINT or SIGTERM received.
	stopSignal atomic.Value
	// resumes: the command runs a sync or the wizard, which the next run
	// resumes where a signal stopped it.
	resumes bool
}

// run executes the command line and returns the process exit code.
func run(parent context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	ctx, stop := a.notifyContext(parent)
	defer stop()

	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	// Cobra and fang write help, the version and completion scripts here;
	// fang pads help lines with spaces, which only a terminal hides.
	root.SetOut(&trailingSpaceTrimmer{w: stdout})
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if cmd != root && strings.Contains(err.Error(), "unknown flag: --demo") {
			// Only the wizard runs the demo; its data file is an ordinary one.
			err = fmt.Errorf("%w; the demo's data file is %s: pass --db %s", err, demoDBPath(), demoDBPath())
		}
		return usageError{err}
	})

	// fang asks the terminal for its background colour before it hands an
	// error on, to style it; printError styles nothing, and after a prompt
	// was left waiting (a signal) the terminal's answer goes to that
	// prompt's read, so fang would wait out its timeout. So a command's
	// own error is printed here, and fang sees only cobra's (flags, args).
	var failed error
	captureErrors(root, &failed)
	opts := []fang.Option{fang.WithErrorHandler(a.printError)}
	if version != "" {
		opts = append(opts, fang.WithVersion(version))
	}
	err := fang.Execute(ctx, root, opts...)
	if err == nil && failed != nil {
		err = failed
		a.printError(a.stderr, fang.Styles{}, err)
	}
	return a.exitCode(err)
}

// captureErrors makes every command of the tree under c keep its error in
// *failed and return none.
func captureErrors(c *cobra.Command, failed *error) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*failed = run(cmd, args)
			return nil
		}
	}
	for _, sub := range c.Commands() {
		captureErrors(sub, failed)
	}
}

// notifyContext cancels ctx on the first SIGINT or SIGTERM, so work stops at
// a page boundary; a second signal exits at once.
func (a *cli) notifyContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigc:
			a.stopSignal.Store(sig)
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigc:
			os.Exit(signalExitCode(sig))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigc)
		close(done)
		cancel()
	}
}

func (a *cli) rootCommand() *cobra.Command {
	var flags rootFlags
	var profile string
	root := &cobra.Command{
		Use:   "leversync",
		Short: "Sync your Lever jobs and candidates into a local file, and watch them arrive",
		Long: `leversync walks a Lever administrator through connecting an API key
(every step of Lever's documented set-up), then syncs jobs, candidates and
their reference data into a local bbolt file, resumable and incremental.

Run it with no arguments in a terminal for the set-up wizard, or try
everything against a built-in fake Lever with --demo.`,
		Example: `  # the whole product against a built-in fake Lever
  leversync --demo
  # the set-up wizard
  leversync
  # a headless sync, one JSON event per line
  leversync sync --json
  # follow a running sync from another terminal
  leversync watch
  leversync status`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean 'leversync %s'?", s[0])
			}
			return usageError{errors.New(msg)}
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			// An empty value would quietly mean the default one.
			for _, name := range []string{"profile", "db", "base-url"} {
				if f := cmd.Flags().Lookup(name); f != nil && f.Changed && strings.TrimSpace(f.Value.String()) == "" {
					return usagef("--%s was given an empty value: give one, or leave the flag out for the default", name)
				}
			}
			return a.useProfile(profile)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runRoot(cmd.Context(), flags)
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.PersistentFlags().StringVar(&profile, "profile", "", "the profile: one Lever account's own environment, saved key, settings and data file (default \"default\", or LEVERSYNC_PROFILE)")
	root.Flags().BoolVar(&flags.demo, "demo", false, "run against a built-in fake Lever with a demo key (no Lever account needed)")
	root.Flags().StringVar(&flags.db, "db", "", "data file (default: ./leversync-demo.db with --demo, else under $XDG_DATA_HOME/leversync)")
	root.Flags().BoolVar(&flags.accessible, "accessible", false, "plain line-by-line prompts for screen readers (also ACCESSIBLE=1)")
	root.Flags().StringVar(&flags.baseURL, "base-url", "", "the API root, including /v1, that the wizard uses for any environment (a proxy, or leversync fake-lever)")
	root.AddCommand(
		a.syncCommand(),
		a.statusCommand(),
		a.exportCommand(),
		a.jobsCommand(),
		a.resetCommand(),
		a.fakeLeverCommand(),
		a.loginCommand(),
		a.logoutCommand(),
		a.setupCommand(),
		a.doctorCommand(),
		a.watchCommand(),
		a.profilesCommand(),
	)
	return root
}

// useProfile resolves the profile named by --profile, else LEVERSYNC_PROFILE,
// else the default one: every path and key the command uses is that
// profile's.
func (a *cli) useProfile(flag string) error {
	name := flag
	if name == "" {
		name = a.getenv("LEVERSYNC_PROFILE")
	}
	if name == "" {
		name = app.DefaultProfile
	}
	p, err := app.LookupProfile(name, a.getenv)
	if err != nil {
		return usageError{err}
	}
	a.profile, a.config = p, p.Config()
	return nil
}

// suggest is the command line that runs sub ("": the wizard) on the same
// data file as this command: with its --profile unless that is the default
// or comes from LEVERSYNC_PROFILE, and with --db when db was given.
func (a *cli) suggest(sub, db string) string {
	line := "leversync"
	if p := a.profile.Name; p != "" && p != app.DefaultProfile && a.getenv("LEVERSYNC_PROFILE") != p {
		line += " --profile " + p
	}
	if sub != "" {
		line += " " + sub
	}
	if db != "" {
		if strings.ContainsAny(db, " \t'\"\\$`&;|<>()*?") {
			db = "'" + strings.ReplaceAll(db, "'", `'\''`) + "'"
		}
		line += " --db " + db
	}
	return line
}

// printError prints a command's error once, plainly, on stderr.
func (a *cli) printError(w io.Writer, _ fang.Styles, err error) {
	if errors.Is(err, errSilent) {
		return
	}
	// Error text can carry what Lever or a file sent: no escapes reach the
	// terminal.
	msg := lever.PlainText(err.Error())
	if errors.Is(err, context.Canceled) {
		msg = "stopped"
		if a.resumes {
			msg = "stopped: everything stored so far is kept, and the next run resumes where this one stopped"
		}
	}
	if errors.Is(err, lever.ErrNotLeverAPI) {
		msg += "\nCheck --base-url, or run 'leversync setup' to choose the Lever environment again."
	}
	if codeFor(err) == exitUnavailable && !strings.Contains(msg, "leversync doctor") {
		msg += "\nRun 'leversync doctor' to see what stands between this machine and Lever."
	}
	if _, ok := errors.AsType[usageError](err); ok && !strings.Contains(msg, "--help") {
		msg += "\nRun 'leversync --help' for usage."
	}
	if p := a.profile.Name; p != "" && p != app.DefaultProfile && a.getenv("LEVERSYNC_PROFILE") != p && strings.Contains(msg, "'leversync ") {
		// The commands named above act on the default profile unless told.
		msg += fmt.Sprintf("\nThis is profile %s: add --profile %s to the commands named above.", p, p)
	}
	fmt.Fprintf(w, "leversync: %s\n", msg)
}

// trailingSpaceTrimmer drops the spaces at the end of each line it passes
// on.
type trailingSpaceTrimmer struct {
	w      io.Writer
	spaces int // held back until something other than a line end follows
}

func (t *trailingSpaceTrimmer) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+t.spaces)
	for _, c := range p {
		switch c {
		case ' ':
			t.spaces++
			continue
		case '\n':
			t.spaces = 0
		default:
			for ; t.spaces > 0; t.spaces-- {
				out = append(out, ' ')
			}
		}
		out = append(out, c)
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
