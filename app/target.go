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

// DefaultConfig uses the OS keyring and the user's config folder.
func DefaultConfig() Config {
	c := config.DefaultCredentials()
	return Config{Credentials: c, SettingsDir: c.ConfigDir}
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

// SavedKey is the key saved for env; ErrNoKey when there is none.
func (c Config) SavedKey(env lever.Environment) (lever.APIKey, error) {
	if c.Credentials == nil {
		return lever.APIKey{}, ErrNoKey
	}
	key, _, err := c.Credentials.Load(env)
	if errors.Is(err, config.ErrNoCredential) {
		return key, ErrNoKey
	}
	if err != nil {
		return key, fmt.Errorf("load the saved key for %s: %w", env.Title(), err)
	}
	return key, nil
}

// SaveKey keeps key for t's environment and remembers t, so a later
// `leversync sync` without flags reaches the same Lever: the API root is
// saved only when it is not the environment's own. It says where the key
// went: config.InKeyring or the credentials file's path.
func (c Config) SaveKey(t Target, key lever.APIKey) (where string, err error) {
	if c.Credentials == nil {
		return "", errors.New("no credential store is set up")
	}
	where, err = c.Credentials.Save(t.Env, key)
	if err != nil {
		return "", fmt.Errorf("save the key: %w", err)
	}
	if c.SettingsDir != "" {
		s := config.Settings{Environment: t.Env}
		if t.BaseURL != t.Env.BaseURL() {
			s.BaseURL = t.BaseURL
		}
		if err := config.SaveSettings(c.SettingsDir, s); err != nil {
			return "", fmt.Errorf("save the environment: %w", err)
		}
	}
	return where, nil
}
