package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// Bind binds the store to one Lever account: the environment, the API root
// (normalized) and fingerprint, ids that only that account has (app reads
// them from Lever; see app.Start). The first call records them; later calls
// are refused, before anything is written, for another environment
// (ErrOtherEnvironment), another API root, or a fingerprint that shares no
// id with the stored one (ErrOtherAccount). An id in common is proof enough
// (Lever's ids are UUIDs, never shared between accounts), and the stored
// fingerprint is replaced by each accepted one, so the ids may change from
// sync to sync as long as one survives between two. An empty fingerprint
// (none could be read) proves nothing and replaces nothing.
//
// A file bound by an earlier leversync (environment and API root only)
// adopts the fingerprint when the root matches. The demo's root changes
// every run, so for lever.Demo only the environment and the fingerprint are
// compared.
func (s *Store) Bind(env lever.Environment, baseURL string, fingerprint []string) error {
	if env == "" {
		return errors.New("bind the store: no environment given")
	}
	root := normalRoot(baseURL)
	ids := slices.Compact(slices.Sorted(slices.Values(fingerprint)))
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == "" })
	return s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if have := meta.Get(keyEnv); have != nil && !bytes.Equal(have, []byte(env)) {
			return fmt.Errorf("%w: %s holds %s data and this sync is for %s; pass another --db for %s, or run leversync reset to empty this one",
				ErrOtherEnvironment, s.path, lever.Environment(have).Title(), env.Title(), env.Title())
		}
		if have := normalRoot(string(meta.Get(keyBaseURL))); env != lever.Demo && have != "" && root != "" && have != root {
			return fmt.Errorf("%w: %s holds the data of the Lever account at %s, and this sync is for %s; pass another --db for %s, or run leversync reset to empty this one",
				ErrOtherAccount, s.path, have, root, root)
		}
		if have := splitIDs(meta.Get(keyAccount)); len(have) > 0 && len(ids) > 0 && !shareOne(have, ids) {
			return fmt.Errorf("%w: %s was filled from another Lever account than the one at %s answers for (none of the ids that identify the account match); pass another --db for this account, or run leversync reset to empty this one",
				ErrOtherAccount, s.path, root)
		}
		if err := meta.Put(keyEnv, []byte(env)); err != nil {
			return err
		}
		if len(ids) > 0 {
			if err := meta.Put(keyAccount, []byte(strings.Join(ids, "\n"))); err != nil {
				return err
			}
		}
		if root == "" {
			return nil
		}
		return meta.Put(keyBaseURL, []byte(root))
	})
}

// normalRoot is an API root in its one spelling; a stored root that no
// longer parses is compared as it is.
func normalRoot(u string) string {
	if u == "" {
		return ""
	}
	if n, err := lever.NormalizeBaseURL(u); err == nil {
		return n
	}
	return u
}

func splitIDs(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\n")
}

// shareOne reports whether two sorted lists have an element in common.
func shareOne(a, b []string) bool {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch strings.Compare(a[i], b[j]) {
		case 0:
			return true
		case -1:
			i++
		default:
			j++
		}
	}
	return false
}

// Bound is what Bind recorded: the environment, the API root in the
// spelling Bind compares, and the account's fingerprint ids, sorted. It is
// zero when the store never was bound; Account is empty when no
// fingerprint was read (a file bound by an earlier leversync).
type Bound struct {
	Env     lever.Environment
	BaseURL string
	Account []string
}

// Binding returns what the store is bound to, for a check that tells in
// advance whether Bind would refuse a sync.
func (s *Store) Binding() (Bound, error) {
	var b Bound
	err := s.view(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			b.Env = lever.Environment(meta.Get(keyEnv))
			b.BaseURL = normalRoot(string(meta.Get(keyBaseURL)))
			b.Account = splitIDs(meta.Get(keyAccount)) // string() copies
		}
		return nil
	})
	return b, err
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
