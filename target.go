package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/spf13/cobra"
)

// connFlags are the flags that say which Lever to talk to and with what key.
type connFlags struct {
	env      string
	baseURL  string
	keyStdin bool
}

func (f *connFlags) register(cmd *cobra.Command, withKey bool) {
	cmd.Flags().StringVar(&f.env, "env", "", "Lever environment: production, sandbox or eu (default: the one saved by the wizard, else production)")
	cmd.Flags().StringVar(&f.baseURL, "base-url", "", "the API root, including /v1, for a proxy or a fake Lever (plain http only on loopback)")
	if withKey {
		cmd.Flags().BoolVar(&f.keyStdin, "key-stdin", false, "read the API key from standard input (else LEVER_API_KEY, else the saved key)")
	}
}

// resolveTarget applies the flags, then the wizard's saved settings, then
// production.
func (a *cli) resolveTarget(f connFlags) (app.Target, error) {
	t, err := a.config.ResolveTarget(f.env, f.baseURL)
	if err != nil {
		return t, usageError{err}
	}
	return t, nil
}

// resolveKey reads --key-stdin, else LEVER_API_KEY, else the key saved for
// t's API root, and then says on stderr where the saved key came from.
func (a *cli) resolveKey(f connFlags, t app.Target) (lever.APIKey, error) {
	if f.keyStdin {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 64<<10))
		if err != nil {
			return lever.APIKey{}, fmt.Errorf("read the key from standard input: %w", err)
		}
		key := lever.NewAPIKey(string(b))
		if key.IsZero() {
			return key, fmt.Errorf("standard input was empty: %w", app.ErrNoKey)
		}
		return key, nil
	}
	if v := a.getenv("LEVER_API_KEY"); strings.TrimSpace(v) != "" {
		return lever.NewAPIKey(v), nil
	}
	key, place, err := a.config.SavedKey(t)
	if err != nil {
		return key, err
	}
	fmt.Fprintf(a.stderr, "Using the API key saved in %s for %s.\n", place, t.Root())
	return key, nil
}

// dbPath is --db, else the profile's data file.
func (a *cli) dbPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if a.profile.DataFile == "" {
		return "", errors.New("find the data folder: neither XDG_DATA_HOME nor HOME is set; set one, or pass --db")
	}
	return a.profile.DataFile, nil
}

// isTerminal reports whether r or w is an interactive terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(file.Fd())
}

// demoDBPath is the demo's data file, in the working folder.
func demoDBPath() string { return filepath.Join(".", "leversync-demo.db") }
