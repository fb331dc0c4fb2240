package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/store"
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
	cmd.Flags().StringVar(&f.baseURL, "base-url", "", "API root including /v1, for a proxy or a fake Lever (plain http only on loopback)")
	if withKey {
		cmd.Flags().BoolVar(&f.keyStdin, "key-stdin", false, "read the API key from standard input (else LEVER_API_KEY, else the saved key)")
	}
}

// target is the Lever a command talks to.
type target struct {
	env     lever.Environment
	baseURL string
}

// resolveTarget applies the flags, then the wizard's saved settings, then
// production.
func (a *app) resolveTarget(f connFlags) (target, error) {
	var t target
	if f.env != "" {
		env, err := lever.ParseEnvironment(f.env)
		if err != nil {
			return t, usageError{err}
		}
		t.env = env
	}
	saved, err := config.LoadSettings(a.configDir())
	if err != nil {
		saved = config.Settings{}
	}
	if f.baseURL != "" {
		u, err := lever.NormalizeBaseURL(f.baseURL)
		if err != nil {
			return t, usageError{err}
		}
		t.baseURL = u
		if t.env == "" {
			// The API root the wizard was pointed at keeps its environment,
			// so the key saved for it is found.
			t.env = lever.Custom
			if saved.Environment != "" && saved.BaseURL == u {
				t.env = saved.Environment
			}
		}
	}
	if t.env == "" {
		if saved.Environment != "" {
			t.env, t.baseURL = saved.Environment, saved.BaseURL
		} else {
			t.env = lever.Production
		}
	}
	if t.baseURL == "" {
		t.baseURL = t.env.BaseURL()
	}
	if t.baseURL == "" {
		return t, usagef("no API root known for environment %q: pass --base-url", t.env)
	}
	return t, nil
}

// resolveKey reads --key-stdin, else LEVER_API_KEY, else the saved key.
func (a *app) resolveKey(f connFlags, env lever.Environment) (lever.APIKey, error) {
	if f.keyStdin {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 64<<10))
		if err != nil {
			return lever.APIKey{}, fmt.Errorf("read the key from standard input: %w", err)
		}
		key := lever.NewAPIKey(string(b))
		if key.IsZero() {
			return key, fmt.Errorf("standard input was empty: %w", errNoKey)
		}
		return key, nil
	}
	if v := a.getenv("LEVER_API_KEY"); strings.TrimSpace(v) != "" {
		return lever.NewAPIKey(v), nil
	}
	key, _, err := a.credentials().Load(env)
	if errors.Is(err, config.ErrNoCredential) {
		return key, errNoKey
	}
	if err != nil {
		return key, fmt.Errorf("load the saved key: %w", err)
	}
	return key, nil
}

// dbPath is --db, else the default data file.
func (a *app) dbPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	p, err := store.DefaultPath()
	if err != nil {
		return "", fmt.Errorf("find the data folder (set XDG_DATA_HOME or HOME, or pass --db): %w", err)
	}
	return p, nil
}

func (a *app) credentials() *config.Credentials { return config.DefaultCredentials() }

func (a *app) configDir() string { return config.DefaultCredentials().ConfigDir }

// isTerminal reports whether r or w is an interactive terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(file.Fd())
}

// demoDBPath is the demo's data file, in the working folder.
func demoDBPath() string { return filepath.Join(".", "leversync-demo.db") }
