package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/leversync/leversync/lever"
)

const settingsFile = "settings.json"

// Settings are the wizard's choices that `leversync sync` uses when no flag
// is given. They never hold the key.
type Settings struct {
	Environment lever.Environment `json:"environment"`
	// BaseURL is set for the custom environment only.
	BaseURL string `json:"baseURL,omitempty"`
}

// LoadSettings reads dir/settings.json; the zero Settings when there is none.
func LoadSettings(dir string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(filepath.Join(dir, settingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read the settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("read the settings %s: %w; fix or delete the file, or run leversync setup", filepath.Join(dir, settingsFile), err)
	}
	return s, nil
}

// RemoveSettings deletes dir/settings.json; none is fine.
func RemoveSettings(dir string) error {
	err := os.Remove(filepath.Join(dir, settingsFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the settings: %w", err)
	}
	return nil
}

// SaveSettings writes dir/settings.json atomically with mode 0600. The
// demo's environment is never saved: the demo leaves the user's setup alone.
func SaveSettings(dir string, s Settings) error {
	if s.Environment == lever.Demo {
		return errors.New("save the settings: the demo environment is never saved")
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivateFile(dir, settingsFile, append(b, '\n')); err != nil {
		return fmt.Errorf("save the settings: %w", err)
	}
	return nil
}

// writePrivateFile replaces dir/name atomically (a temporary file renamed
// over it) with mode 0600, creating dir with mode 0700.
func writePrivateFile(dir, name string, data []byte) error {
	if dir == "" {
		return errors.New("no config folder: set XDG_CONFIG_HOME or HOME")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
