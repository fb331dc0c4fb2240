package app

import (
	"errors"
	"fmt"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
)

// Target is the Lever a command talks to: the environment the data file is
// bound to, and the API root requests go to.
type Target struct {
	Env     lever.Environment
	BaseURL string
}

// Config is what leversync remembers between runs outside the data file.
type Config struct {
	// Credentials saves and loads keys; nil saves and finds none.
	Credentials *config.Credentials
	// SettingsDir holds settings.json; "" reads and writes none.
	SettingsDir string
}

// ErrNoKey: no API key was given and none is saved.
var ErrNoKey = errors.New("no Lever API key: pass one with --key-stdin or LEVER_API_KEY, or save one with 'leversync' (the wizard) or 'leversync login --key-stdin'")

// ResolveTarget applies the flags (env and baseURL, either may be ""), then
// the saved settings, then production. Its errors are all mistakes in the
// flags or the settings.
func (c Config) ResolveTarget(env, baseURL string) (Target, error) {
	var t Target
	if env != "" {
		e, err := lever.ParseEnvironment(env)
		if err != nil {
			return t, err
		}
		t.Env = e
	}
	saved := c.settings()
	if baseURL != "" {
		u, err := lever.NormalizeBaseURL(baseURL)
		if err != nil {
			return t, err
		}
		t.BaseURL = u
		if t.Env == "" {
			// The API root the wizard was pointed at keeps its environment,
			// so the key saved for it is found.
			t.Env = lever.Custom
			if saved.Environment != "" && saved.BaseURL == u {
				t.Env = saved.Environment
			}
		}
	}
	if t.Env == "" {
		if saved.Environment != "" {
			t.Env, t.BaseURL = saved.Environment, saved.BaseURL
		} else {
			t.Env = lever.Production
		}
	}
	if t.BaseURL == "" {
		t.BaseURL = t.Env.BaseURL()
	}
	if t.BaseURL == "" {
		return t, fmt.Errorf("no API root known for environment %q: pass --base-url", t.Env)
	}
	return t, nil
}

// settings are the saved settings; unreadable ones count as none, since the
// flags and the defaults still lead somewhere.
func (c Config) settings() config.Settings {
	if c.SettingsDir == "" {
		return config.Settings{}
	}
	s, err := config.LoadSettings(c.SettingsDir)
	if err != nil {
		return config.Settings{}
	}
	return s
}

// SavedKey is the key saved for t's API root and where it was found;
// ErrNoKey when there is none. A key saved for another root is never
// returned, whatever the environment.
func (c Config) SavedKey(t Target) (lever.APIKey, config.Place, error) {
	if c.Credentials == nil {
		return lever.APIKey{}, config.Place{}, ErrNoKey
	}
	key, place, err := c.Credentials.Load(t.BaseURL)
	if errors.Is(err, config.ErrNoCredential) {
		return key, place, fmt.Errorf("%w (none is saved for %s)", ErrNoKey, t.Root())
	}
	if err != nil {
		return key, place, fmt.Errorf("load the saved key for %s: %w", t.Root(), err)
	}
	return key, place, nil
}

// SaveKey keeps key for t's API root and remembers t, so a later
// `leversync sync` without flags reaches the same Lever: the API root is
// saved only when it is not the environment's own. It says where the key
// went.
func (c Config) SaveKey(t Target, key lever.APIKey) (config.Place, error) {
	if c.Credentials == nil {
		return config.Place{}, errors.New("no credential store is set up")
	}
	place, err := c.Credentials.Save(t.BaseURL, key)
	if err != nil {
		return config.Place{}, fmt.Errorf("save the key: %w", err)
	}
	if c.SettingsDir != "" {
		s := config.Settings{Environment: t.Env}
		if t.BaseURL != t.Env.BaseURL() {
			s.BaseURL = t.BaseURL
		}
		if err := config.SaveSettings(c.SettingsDir, s); err != nil {
			return config.Place{}, fmt.Errorf("save the environment: %w", err)
		}
	}
	return place, nil
}

// Root names t's API root as a user knows it: the environment for a hosted
// root, else the root itself.
func (t Target) Root() string {
	if t.BaseURL == t.Env.BaseURL() {
		return t.Env.Title() + " (" + t.BaseURL + ")"
	}
	return t.BaseURL
}
