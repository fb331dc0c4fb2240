package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/leversync/leversync/lever"
)

// ErrNoCredential: no key is saved for the environment.
var ErrNoCredential = errors.New("no saved API key: run leversync setup, or leversync login --key-stdin")

const (
	keyringService  = "leversync"
	credentialsFile = "credentials.json"
	// DefaultKeyringTimeout bounds every keyring call: a locked keyring can
	// wait forever for a password prompt nobody sees.
	DefaultKeyringTimeout = 3 * time.Second
	// InKeyring is where Save and Load say a key is when it is in the
	// OS keyring.
	InKeyring = "the system keyring"
)

var errKeyringTimeout = errors.New("the system keyring did not answer in time")

// The keyring calls, replaceable in tests (which also use keyring.MockInit).
var (
	keyringSet    = keyring.Set
	keyringGet    = keyring.Get
	keyringDelete = keyring.Delete
)

// Credentials saves one API key per environment: in the OS keyring when one
// works, else in ConfigDir/credentials.json (mode 0600, written atomically).
// Never in the store file.
type Credentials struct {
	// ConfigDir holds credentials.json; DefaultConfigDir by default.
	ConfigDir string
	// UseKeyring tries the OS keyring first.
	UseKeyring bool
	// Timeout bounds every keyring call; 0 means DefaultKeyringTimeout.
	Timeout time.Duration
}

// DefaultCredentials uses the keyring and the default config folder.
func DefaultCredentials() *Credentials {
	dir, _ := DefaultConfigDir() // "" makes the file fallback say what is missing
	return &Credentials{ConfigDir: dir, UseKeyring: true, Timeout: DefaultKeyringTimeout}
}

// credentialsJSON is the fallback file: environment -> key.
type credentialsJSON struct {
	Keys map[lever.Environment]string `json:"keys"`
}

func (c *Credentials) filePath() string { return filepath.Join(c.ConfigDir, credentialsFile) }

// Save stores key for env and says where it went: InKeyring, or the path of
// the file.
func (c *Credentials) Save(env lever.Environment, key lever.APIKey) (where string, err error) {
	if err := checkEnv(env); err != nil {
		return "", err
	}
	if key.IsZero() {
		return "", errors.New("save the API key: the key is empty")
	}
	if c.UseKeyring {
		set := keyringSet // read here: a call that times out keeps running
		if c.callKeyring(func() error { return set(keyringService, string(env), key.Reveal()) }) == nil {
			// An older key in the file must not outlive this one.
			_, _ = c.removeFromFile(env)
			return InKeyring, nil
		}
	}
	f, err := c.readFile()
	if err != nil {
		return "", err
	}
	f.Keys[env] = key.Reveal()
	if err := c.writeFile(f); err != nil {
		return "", err
	}
	return c.filePath(), nil
}

// Load returns the key saved for env and where it was found, or an error
// matching ErrNoCredential.
func (c *Credentials) Load(env lever.Environment) (lever.APIKey, string, error) {
	if err := checkEnv(env); err != nil {
		return lever.APIKey{}, "", err
	}
	if c.UseKeyring {
		var secret string
		get := keyringGet
		err := c.callKeyring(func() error {
			var err error
			secret, err = get(keyringService, string(env))
			return err
		})
		if err == nil && secret != "" {
			return lever.NewAPIKey(secret), InKeyring, nil
		}
	}
	f, err := c.readFile()
	if err != nil {
		return lever.APIKey{}, "", err
	}
	if s := f.Keys[env]; s != "" {
		return lever.NewAPIKey(s), c.filePath(), nil
	}
	return lever.APIKey{}, "", fmt.Errorf("%w (environment %s)", ErrNoCredential, env)
}

// Delete removes the key of env from the keyring and the file. It returns an
// error matching ErrNoCredential when neither held one.
func (c *Credentials) Delete(env lever.Environment) error {
	if err := checkEnv(env); err != nil {
		return err
	}
	removed := false
	if c.UseKeyring {
		del := keyringDelete
		if c.callKeyring(func() error { return del(keyringService, string(env)) }) == nil {
			removed = true
		}
	}
	inFile, err := c.removeFromFile(env)
	if err != nil {
		return err
	}
	if !removed && !inFile {
		return fmt.Errorf("%w (environment %s)", ErrNoCredential, env)
	}
	return nil
}

// checkEnv refuses the demo: it never reads or writes the user's key.
func checkEnv(env lever.Environment) error {
	switch env {
	case "":
		return errors.New("saved key: no environment given")
	case lever.Demo:
		return errors.New("saved key: the demo never reads or writes a saved key")
	}
	return nil
}

// callKeyring runs fn under the timeout. A call that times out is left to
// finish in the background.
func (c *Credentials) callKeyring(fn func() error) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return errKeyringTimeout
	}
}

func (c *Credentials) readFile() (credentialsJSON, error) {
	f := credentialsJSON{Keys: map[lever.Environment]string{}}
	if c.ConfigDir == "" {
		return f, nil
	}
	b, err := os.ReadFile(c.filePath())
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read the saved keys: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		// The error would quote the file; say only where it is.
		return f, fmt.Errorf("read the saved keys: %s is not valid JSON; delete it and run leversync login again", c.filePath())
	}
	if f.Keys == nil {
		f.Keys = map[lever.Environment]string{}
	}
	return f, nil
}

func (c *Credentials) writeFile(f credentialsJSON) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivateFile(c.ConfigDir, credentialsFile, append(b, '\n')); err != nil {
		return fmt.Errorf("save the API key in %s: %w", c.filePath(), err)
	}
	return nil
}

// removeFromFile drops env from the file, deleting the file when it empties.
func (c *Credentials) removeFromFile(env lever.Environment) (bool, error) {
	f, err := c.readFile()
	if err != nil {
		return false, err
	}
	if _, ok := f.Keys[env]; !ok {
		return false, nil
	}
	delete(f.Keys, env)
	if len(f.Keys) == 0 {
		if err := os.Remove(c.filePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("remove the saved key: %w", err)
		}
		return true, nil
	}
	return true, c.writeFile(f)
}
