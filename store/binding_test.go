package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func TestBindRefusesAnotherEnvironment(t *testing.T) {
	s := newStore(t)
	if b, err := s.Binding(); err != nil || b.Env != "" || b.BaseURL != "" || b.Account != nil {
		t.Fatalf("new store binding = %+v %v", b, err)
	}
	if err := s.Bind(lever.Sandbox, lever.Sandbox.BaseURL(), []string{"a"}); err != nil {
		t.Fatal(err)
	}
	err := s.Bind(lever.Production, lever.Production.BaseURL(), []string{"a"})
	wantErr(t, err, ErrOtherEnvironment)
	for _, want := range []string{"Sandbox", "Production", "--db", "leversync reset"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if b, _ := s.Binding(); b.Env != lever.Sandbox || b.BaseURL != lever.Sandbox.BaseURL() || !slices.Equal(b.Account, []string{"a"}) {
		t.Fatalf("binding = %+v", b)
	}

	d := newStore(t)
	for range 2 { // the demo's URL changes every run
		if err := d.Bind(lever.Demo, fmt.Sprintf("http://127.0.0.1:%d/v1", 1024+time.Now().UnixNano()%60000), []string{"demo-reason"}); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, d.Bind(lever.Custom, "http://127.0.0.1:9/v1", []string{"demo-reason"}), ErrOtherEnvironment)
	wantErr(t, d.Bind(lever.Demo, "http://127.0.0.1:9/v1", []string{"another-account"}), ErrOtherAccount)
}

// A file is bound to one account: another API root, or the same root
// answering for another account, is refused before anything is written; the
// same account at the same root, spelled otherwise or with its ids changed
// a little between syncs, is accepted.
func TestBindRefusesAnotherAccount(t *testing.T) {
	const rootA, rootB = "http://127.0.0.1:4001/v1", "http://127.0.0.1:4002/v1"
	s := newStore(t)
	mustCommit(t, s, syncer.Batch{Resource: lever.Users, Upserts: []lever.Record{record(lever.Users, "u1", "", `{"id":"u1","name":"Ann"}`)}})
	if err := s.Bind(lever.Custom, rootA, []string{"r2", "r1", "r3"}); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, s.path)
	for _, c := range []struct {
		name string
		root string
		ids  []string
		want string
	}{
		{"another API root", rootB, []string{"r1", "r2", "r3"}, rootA},
		{"the sandbox root of the same host", "http://127.0.0.1:4001/sandbox/v1", []string{"r1", "r2", "r3"}, rootA},
		{"another account at the same root", rootA, []string{"x1", "x2"}, "another Lever account"},
	} {
		err := s.Bind(lever.Custom, c.root, c.ids)
		wantErr(t, err, ErrOtherAccount)
		for _, want := range []string{c.want, "--db", "leversync reset"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: message lacks %q: %v", c.name, want, err)
			}
		}
		if fileSum(t, s.path) != before {
			t.Fatalf("%s: a refused Bind changed the file", c.name)
		}
	}
	// One id in common is the same account; the stored ids follow it.
	for _, ids := range [][]string{{"r3", "r4"}, {"r4", "r5"}, nil} {
		if err := s.Bind(lever.Custom, "HTTP://127.0.0.1:4001/v1/", ids); err != nil {
			t.Fatalf("the same account with ids %v: %v", ids, err)
		}
	}
	wantErr(t, s.Bind(lever.Custom, rootA, []string{"r1", "r2", "r3"}), ErrOtherAccount)
	if b, _ := s.Binding(); b.Env != lever.Custom || b.BaseURL != rootA || !slices.Equal(b.Account, []string{"r4", "r5"}) {
		t.Fatalf("binding = %+v, want the normalized root and the last ids accepted", b)
	}
	if got := stored(t, s, lever.Users, "u1"); got == nil {
		t.Fatal("a refused Bind lost a record")
	}

	// A sync opens the file before it binds: the open writes nothing
	// either, so a refused sync leaves the file byte for byte as it was.
	s.Close()
	before = fileSum(t, s.path)
	again, err := Open(s.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, again.Bind(lever.Custom, rootB, []string{"r4"}), ErrOtherAccount)
	again.Close()
	if fileSum(t, s.path) != before {
		t.Fatal("opening the file and a refused Bind changed it")
	}
}

// A file bound by an earlier leversync holds only the environment and the
// root: it keeps working at that root, and adopts the account's ids there.
func TestBindAdoptsTheFingerprintOfAnOlderFile(t *testing.T) {
	const root = "http://127.0.0.1:4001/v1"
	s := newStore(t)
	err := s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyEnv, []byte(lever.Custom)); err != nil {
			return err
		}
		return meta.Put(keyBaseURL, []byte(root))
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.Bind(lever.Custom, "http://127.0.0.1:4002/v1", []string{"r1"}), ErrOtherAccount)
	if err := s.Bind(lever.Custom, root, []string{"r1", "r2"}); err != nil {
		t.Fatalf("an older file at its own root: %v", err)
	}
	wantErr(t, s.Bind(lever.Custom, root, []string{"x1"}), ErrOtherAccount)
	if err := s.Bind(lever.Custom, root, []string{"r2"}); err != nil {
		t.Fatal(err)
	}
}
