package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/leversync/leversync/lever"
)

// ErrNoCredential: no key is saved for the API root.
var ErrNoCredential = errors.New("no saved API key: run leversync setup, or leversync login --key-stdin")

const (
	// DefaultKeyringService is the keyring service every earlier leversync
	// saved its keys under.
	DefaultKeyringService = "leversync"
	credentialsFile       = "credentials.json"
	// DefaultKeyringTimeout bounds every keyring call: a locked keyring can
	// wait forever for a password prompt nobody sees.
	DefaultKeyringTimeout = 3 * time.Second
	// InKeyring is how a Place in the OS keyring prints.
	InKeyring = "the system keyring"
	// legacyCustomSlot is where leversync once kept the key of every API
	// root other than the hosted ones.
	legacyCustomSlot = string(lever.Custom)
)

var errKeyringTimeout = errors.New("the system keyring did not answer in time")

// The keyring calls, replaceable in tests (which also use keyring.MockInit).
var (
	keyringSet       = keyring.Set
	keyringGet       = keyring.Get
	keyringDelete    = keyring.Delete
	keyringDeleteAll = keyring.DeleteAll
)

// Credentials saves one API key per API root: in the OS keyring when one
// works, else in ConfigDir/credentials.json (mode 0600, written atomically).
// Never in the store file. A key is found only under the root it was saved
// for, so it is never sent anywhere else.
type Credentials struct {
	// ConfigDir holds credentials.json; "" keeps no file.
	ConfigDir string
	// KeyringService names the keys in the OS keyring, one service per
	// profile; "" means DefaultKeyringService.
	KeyringService string
	// UseKeyring tries the OS keyring first.
	UseKeyring bool
	// Timeout bounds every keyring call; 0 means DefaultKeyringTimeout.
	Timeout time.Duration
}

// Place says where a saved key is kept.
type Place struct {
	// File is the credentials file holding the key; "" for the keyring.
	File string
	// KeyringProblem says why a save did not use the keyring it tried,
	// e.g. "no system keyring here"; "" otherwise.
	KeyringProblem string
}

// String is InKeyring or the file's path.
func (p Place) String() string {
	if p.File == "" {
		return InKeyring
	}
	return p.File
}

// credentialsJSON is the fallback file: slot -> key.
type credentialsJSON struct {
	Keys map[string]string `json:"keys"`
}

func (c *Credentials) filePath() string { return filepath.Join(c.ConfigDir, credentialsFile) }

// slotFor is the name the key of an API root is saved under: the
// environment's name for the hosted roots (as leversync has always saved
// them, so their keys survive upgrades), else the normalized root itself.
// Two roots share a slot only when they normalize to the same root.
func slotFor(root string) (string, error) {
	u, err := lever.NormalizeBaseURL(root)
	if err != nil {
		return "", fmt.Errorf("saved key: %w", err)
	}
	for _, env := range lever.Environments {
		if u == env.BaseURL() {
			return string(env), nil
		}
	}
	return u, nil
}

// slotName is a slot as a user knows it.
func slotName(slot string) string {
	for _, env := range lever.Environments {
		if slot == string(env) {
			return env.Title()
		}
	}
	return slot
}

// Save stores key for the API root and says where it went. Whichever place
// it goes, an older copy in the other place is removed, so it cannot win a
// later Load.
func (c *Credentials) Save(root string, key lever.APIKey) (Place, error) {
	slot, err := slotFor(root)
	if err != nil {
		return Place{}, err
	}
	if key.IsZero() {
		return Place{}, errors.New("save the API key: the key is empty")
	}
	var keyringErr error
	if c.UseKeyring {
		set := keyringSet // read here: a call that times out keeps running
		keyringErr = c.callKeyring(func() error { return set(c.service(), slot, key.Reveal()) })
		if keyringErr == nil {
			// Load reads the file first: an older key there must go.
			if _, err := c.removeFromFile(slot); err != nil {
				return Place{}, fmt.Errorf("the key was saved in the system keyring, but an older one in %s could not be removed (%w); delete that file", c.filePath(), err)
			}
			return Place{}, nil
		}
	}
	f, err := c.readFile()
	if err != nil {
		return Place{}, err
	}
	f.Keys[slot] = key.Reveal()
	if err := c.writeFile(f); err != nil {
		return Place{}, err
	}
	place := Place{File: c.filePath()}
	if c.UseKeyring {
		place.KeyringProblem = "no system keyring here"
		if errors.Is(keyringErr, errKeyringTimeout) {
			place.KeyringProblem = fmt.Sprintf("the system keyring did not answer within %v", c.timeout())
		} else {
			// An older key in a keyring that answers is removed. One that
			// did not answer is not waited on again: Load reads the file
			// first, so this key wins over anything left there.
			del := keyringDelete
			_ = c.callKeyring(func() error { return del(c.service(), slot) })
		}
	}
	return place, nil
}

// Load returns the key saved for the API root and where it was found, or
// an error matching ErrNoCredential. The file is read first: Save writes it
// only when the keyring failed, and that keyring may still hold an older
// key.
func (c *Credentials) Load(root string) (lever.APIKey, Place, error) {
	slot, err := slotFor(root)
	if err != nil {
		return lever.APIKey{}, Place{}, err
	}
	key, place, err := c.lookup(slot)
	if errors.Is(err, ErrNoCredential) && c.legacyCustom(slot) {
		key, place, err = c.lookup(legacyCustomSlot)
	}
	if errors.Is(err, ErrNoCredential) {
		err = fmt.Errorf("%w (for %s)", ErrNoCredential, slotName(slot))
	}
	return key, place, err
}

// lookup finds slot in the file, then in the keyring.
func (c *Credentials) lookup(slot string) (lever.APIKey, Place, error) {
	f, fileErr := c.readFile()
	if s := f.Keys[slot]; fileErr == nil && s != "" {
		return lever.NewAPIKey(s), Place{File: c.filePath()}, nil
	}
	if c.UseKeyring {
		var secret string
		get := keyringGet
		err := c.callKeyring(func() error {
			var err error
			secret, err = get(c.service(), slot)
			return err
		})
		if err == nil && secret != "" {
			return lever.NewAPIKey(secret), Place{}, nil
		}
	}
	if fileErr != nil {
		return lever.APIKey{}, Place{}, fileErr
	}
	return lever.APIKey{}, Place{}, ErrNoCredential
}

// legacyCustom reports whether the key leversync once kept in the one
// "custom" slot was saved for this root: the settings saved with it name
// the root.
func (c *Credentials) legacyCustom(slot string) bool {
	if slot == "" || c.ConfigDir == "" {
		return false
	}
	s, err := LoadSettings(c.ConfigDir)
	if err != nil || s.Environment != lever.Custom {
		return false
	}
	saved, err := lever.NormalizeBaseURL(s.BaseURL)
	return err == nil && saved == slot
}

// Delete removes the key of the API root from the keyring and the file. It
// returns an error matching ErrNoCredential when neither held one.
func (c *Credentials) Delete(root string) error {
	slot, err := slotFor(root)
	if err != nil {
		return err
	}
	slots := []string{slot}
	if c.legacyCustom(slot) {
		slots = append(slots, legacyCustomSlot)
	}
	removed := false
	for _, s := range slots {
		ok, err := c.deleteSlot(s)
		if err != nil {
			return err
		}
		removed = removed || ok
	}
	if !removed {
		return fmt.Errorf("%w (for %s)", ErrNoCredential, slotName(slot))
	}
	return nil
}

// DeleteAll removes every saved key and names those it knew of: the hosted
// environments', and every root in the file. Keys of other roots that only
// the keyring held are removed too, unnamed.
func (c *Credentials) DeleteAll() (removed []string, err error) {
	f, err := c.readFile()
	if err != nil {
		return nil, err
	}
	slots := []string{legacyCustomSlot}
	for _, env := range lever.Environments {
		slots = append(slots, string(env))
	}
	for s := range f.Keys {
		if !slices.Contains(slots, s) {
			slots = append(slots, s)
		}
	}
	for _, s := range slots {
		ok, err := c.deleteSlot(s)
		if err != nil {
			return removed, err
		}
		if ok && s != legacyCustomSlot {
			removed = append(removed, slotName(s))
		} else if ok {
			removed = append(removed, "a custom API root")
		}
	}
	if c.UseKeyring {
		del := keyringDeleteAll
		_ = c.callKeyring(func() error { return del(c.service()) })
	}
	return removed, nil
}

// deleteSlot removes slot from the keyring and the file, reporting whether
// either held it.
func (c *Credentials) deleteSlot(slot string) (bool, error) {
	removed := false
	if c.UseKeyring {
		del := keyringDelete
		if c.callKeyring(func() error { return del(c.service(), slot) }) == nil {
			removed = true
		}
	}
	inFile, err := c.removeFromFile(slot)
	if err != nil {
		return removed, err
	}
	return removed || inFile, nil
}

func (c *Credentials) service() string {
	if c.KeyringService == "" {
		return DefaultKeyringService
	}
	return c.KeyringService
}

func (c *Credentials) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultKeyringTimeout
	}
	return c.Timeout
}

// callKeyring runs fn under the timeout. A call that times out is left to
// finish in the background.
func (c *Credentials) callKeyring(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(c.timeout())
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return errKeyringTimeout
	}
}

func (c *Credentials) readFile() (credentialsJSON, error) {
	f := credentialsJSON{Keys: map[string]string{}}
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
		return credentialsJSON{Keys: map[string]string{}}, fmt.Errorf("read the saved keys: %s is not valid JSON; delete it and run leversync login again", c.filePath())
	}
	if f.Keys == nil {
		f.Keys = map[string]string{}
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

// removeFromFile drops slot from the file, deleting the file when it empties.
func (c *Credentials) removeFromFile(slot string) (bool, error) {
	f, err := c.readFile()
	if err != nil {
		return false, err
	}
	if _, ok := f.Keys[slot]; !ok {
		return false, nil
	}
	delete(f.Keys, slot)
	if len(f.Keys) == 0 {
		if err := os.Remove(c.filePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("remove the saved key: %w", err)
		}
		return true, nil
	}
	return true, c.writeFile(f)
}
