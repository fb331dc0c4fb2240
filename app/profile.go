package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/store"
)

// DefaultProfile is the profile used when none is named. It keeps the paths
// and keyring service of every earlier leversync, so an existing install
// upgrades without a new login or a re-sync.
const DefaultProfile = "default"

// maxProfileName caps a profile's name: it names folders and a keyring
// service.
const maxProfileName = 32

// ErrProfileName: a profile name that is not safe as a file and keyring
// name.
var ErrProfileName = errors.New("a profile name is 1 to 32 letters, digits, '-' or '_', starting with a letter or digit")

// Profile is one Lever account's own files: its settings (environment and
// API root), its saved keys and its data file, with the data file's watch
// socket and schedule beside it. Nothing is shared between profiles.
type Profile struct {
	// Name is the profile's name, in lower case.
	Name string
	// ConfigDir holds settings.json and credentials.json; "" when no config
	// folder can be found (neither XDG_CONFIG_HOME nor HOME is set).
	ConfigDir string
	// DataFile is the profile's data file; "" when no data folder can be
	// found (neither XDG_DATA_HOME nor HOME is set).
	DataFile string
	// KeyringService is the system keyring's service holding the
	// profile's keys.
	KeyringService string
}

// ParseProfileName checks name and returns it in lower case; names are
// case-insensitive, so two profiles never share a folder on a file system
// that ignores case.
func ParseProfileName(name string) (string, error) {
	n := strings.ToLower(name)
	if n == "" || len(n) > maxProfileName || !isNameStart(n[0]) {
		return "", fmt.Errorf("profile %q: %w", name, ErrProfileName)
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !isNameStart(c) && c != '-' && c != '_' {
			return "", fmt.Errorf("profile %q: %w", name, ErrProfileName)
		}
	}
	if reservedOnWindows(n) {
		return "", fmt.Errorf("profile %q: %w, and not a name Windows reserves for a device (con, nul, com1...)", name, ErrProfileName)
	}
	return n, nil
}

func isNameStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// reservedOnWindows reports a device name that Windows refuses as a file or
// folder name.
func reservedOnWindows(n string) bool {
	switch n {
	case "con", "prn", "aux", "nul":
		return true
	}
	return len(n) == 4 && (strings.HasPrefix(n, "com") || strings.HasPrefix(n, "lpt")) && n[3] >= '1' && n[3] <= '9'
}

// LookupProfile resolves the files of the profile called name, reading the
// XDG folders through getenv. The default profile uses
// $XDG_CONFIG_HOME/leversync, $XDG_DATA_HOME/leversync/leversync.db and the
// keyring service "leversync"; profile NAME uses a folder called NAME under
// profiles/ in each, and the service "leversync-NAME".
func LookupProfile(name string, getenv func(string) string) (Profile, error) {
	n, err := ParseProfileName(name)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Name: n, KeyringService: keyringService(n)}
	if dir, err := configRoot(getenv); err == nil {
		p.ConfigDir = profileDir(dir, n)
	}
	if dir, err := dataRoot(getenv); err == nil {
		p.DataFile = filepath.Join(profileDir(dir, n), "leversync.db")
	}
	return p, nil
}

func keyringService(name string) string {
	if name == DefaultProfile {
		return "leversync"
	}
	return "leversync-" + name
}

// profileDir is where a profile's files live under root.
func profileDir(root, name string) string {
	if name == DefaultProfile {
		return root
	}
	return filepath.Join(root, "profiles", name)
}

// configRoot is $XDG_CONFIG_HOME/leversync, or ~/.config/leversync.
func configRoot(getenv func(string) string) (string, error) {
	return xdgDir(getenv, "XDG_CONFIG_HOME", ".config")
}

// dataRoot is $XDG_DATA_HOME/leversync, or ~/.local/share/leversync.
func dataRoot(getenv func(string) string) (string, error) {
	return xdgDir(getenv, "XDG_DATA_HOME", filepath.Join(".local", "share"))
}

// xdgDir is the leversync folder under the XDG variable, or under its
// default in the home folder; a relative XDG path is ignored, as the XDG
// specification says.
func xdgDir(getenv func(string) string, variable, underHome string) (string, error) {
	dir := getenv(variable)
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("%w; set %s or HOME", err, variable)
			}
		}
		dir = filepath.Join(home, underHome)
	}
	return filepath.Join(dir, "leversync"), nil
}

// Config is where the profile's keys and settings are kept.
func (p Profile) Config() Config {
	return Config{
		Credentials: &config.Credentials{ConfigDir: p.ConfigDir, UseKeyring: true, Timeout: config.DefaultKeyringTimeout, KeyringService: p.KeyringService},
		SettingsDir: p.ConfigDir,
	}
}

// ListProfiles returns the default profile and every other profile that
// has a folder, sorted by name after the default.
func ListProfiles(getenv func(string) string) ([]Profile, error) {
	names := map[string]bool{}
	for _, root := range []func(func(string) string) (string, error){configRoot, dataRoot} {
		dir, err := root(getenv)
		if err != nil {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dir, "profiles"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("list the profiles: %w", err)
		}
		for _, e := range entries {
			// Anything else in the folder is not a profile leversync made.
			if n, err := ParseProfileName(e.Name()); err == nil && n == e.Name() && e.IsDir() && n != DefaultProfile {
				names[n] = true
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	out := make([]Profile, 0, len(sorted)+1)
	for _, n := range append([]string{DefaultProfile}, sorted...) {
		p, err := LookupProfile(n, getenv)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Remove deletes the profile: its data file (only a file leversync
// recognizes as its own, sound or damaged, and only when no sync holds it
// and no schedule runs on it), then its saved keys and settings, then its
// folders once empty. The default profile is not removed this way: its
// folders hold the other profiles'.
func (p Profile) Remove() error {
	if p.Name == DefaultProfile {
		return fmt.Errorf("the default profile cannot be removed: 'leversync logout' removes its keys and 'leversync reset' its data file")
	}
	if p.DataFile != "" {
		if s, ok := ReadSchedule(p.DataFile); ok {
			return fmt.Errorf("nothing was removed: %w (pid %d): stop it first", ErrScheduled, s.PID)
		}
		if err := removeDataFile(p.DataFile); err != nil {
			return err
		}
	}
	if p.ConfigDir != "" {
		if _, err := p.Config().Credentials.DeleteAll(); err != nil {
			return fmt.Errorf("remove the profile's saved keys: %w", err)
		}
		if err := config.RemoveSettings(p.ConfigDir); err != nil {
			return err
		}
	}
	for _, dir := range []string{p.ConfigDir, filepath.Dir(p.DataFile)} {
		if dir == "" || dir == "." {
			continue
		}
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the profile's files are removed, but its folder %s holds other files, left as they are: %w", dir, err)
		}
	}
	return nil
}

// removeDataFile deletes path if it is a leversync data file that no sync
// holds; no file is fine.
func removeDataFile(path string) error {
	switch err := store.Recognize(path); {
	case errors.Is(err, store.ErrNoStore):
		return nil
	case err != nil:
		return fmt.Errorf("nothing was removed: %w", err)
	}
	if err := store.Remove(path); err != nil {
		if _, serr := os.Stat(path); serr == nil {
			return fmt.Errorf("nothing was removed: %w", err)
		}
		return err
	}
	// What a killed sync or schedule left beside it: no process uses them
	// now that the file could be opened.
	for _, side := range []string{".sock", scheduleSuffix} {
		if err := os.Remove(path + side); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path+side, err)
		}
	}
	return nil
}
