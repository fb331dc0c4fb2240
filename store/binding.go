package store

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// Bind records the Lever environment the store is filled from, on the first
// call; later calls must name the same environment, or get an error matching
// ErrOtherEnvironment. Only the environment is compared (the demo's base URL
// changes every run); baseURL is kept for information.
func (s *Store) Bind(env lever.Environment, baseURL string) error {
	if env == "" {
		return errors.New("bind the store: no environment given")
	}
	return s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if have := meta.Get(keyEnv); have != nil && !bytes.Equal(have, []byte(env)) {
			return fmt.Errorf("%w: %s holds %s data and this sync is for %s; pass another --db for %s, or run leversync reset to empty this one",
				ErrOtherEnvironment, s.path, lever.Environment(have).Title(), env.Title(), env.Title())
		}
		if err := meta.Put(keyEnv, []byte(env)); err != nil {
			return err
		}
		return meta.Put(keyBaseURL, []byte(baseURL))
	})
}

// Binding returns the environment and base URL the store was bound to;
// empty when it never was.
func (s *Store) Binding() (env lever.Environment, baseURL string, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			env = lever.Environment(meta.Get(keyEnv))
			baseURL = string(meta.Get(keyBaseURL))
		}
		return nil
	})
	return env, baseURL, err
}

// SaveWizard stores the wizard's progress, an opaque JSON document that
// must never hold the API key.
func (s *Store) SaveWizard(b []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyWizard, bytes.Clone(b))
	})
}

// LoadWizard returns what SaveWizard stored, nil if nothing.
func (s *Store) LoadWizard() ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			out = bytes.Clone(meta.Get(keyWizard))
		}
		return nil
	})
	return out, err
}
