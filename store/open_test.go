package store

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// helperEnv makes the test binary a child process that holds a store open
// until its stdin closes (see TestMain).
const helperEnv = "LEVERSYNC_STORE_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		s, err := Open(path, Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestOpenCreatesPrivateFileAndFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "leversync.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700, filepath.Dir(dir): 0o700, path + ".pid": 0o600} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode %o, want %o", p, got, want)
		}
	}
	pid, _ := os.ReadFile(path + ".pid")
	if strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid sidecar = %q, want %d", pid, os.Getpid())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid sidecar left after Close: %v", err)
	}

	// An existing store loosened by hand is made private again.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("reopened store mode %o, want 600", info.Mode().Perm())
	}
}

func TestSecondOpenIsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leversync.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(path, Options{Timeout: 300 * time.Millisecond, ReadOnly: ro})
		var inUse *InUseError
		if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) {
			t.Fatalf("read-only %v: second open = %v, want *InUseError", ro, err)
		}
		if inUse.PID != os.Getpid() || inUse.Path != path {
			t.Errorf("InUseError = %+v, want pid %d", inUse, os.Getpid())
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("second open took %v", d)
		}
		if !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
			t.Errorf("message does not name the pid: %v", err)
		}
	}
}

// Another process holding the store: the error names its pid.
func TestOpenHeldByOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leversync.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper said %q (%v)", line, err)
	}

	start := time.Now()
	_, err = Open(path, Options{Timeout: 500 * time.Millisecond})
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("open while another process holds the store = %v, want *InUseError", err)
	}
	if inUse.PID != cmd.Process.Pid {
		t.Errorf("InUseError pid = %d, want the holder's %d", inUse.PID, cmd.Process.Pid)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("open took %v", d)
	}

	// Once the holder exits, the store opens.
	stdin.Close()
	cmd.Wait()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open after the holder left: %v", err)
	}
	s.Close()
}

func TestReadOnlyOpen(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing.db"), Options{ReadOnly: true})
	wantErr(t, err, ErrNoStore)
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a read-only open created the file")
	}

	path := filepath.Join(dir, "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Users, Upserts: []lever.Record{record(lever.Users, "u1", "", `{"id":"u1","name":"Ann"}`)}})
	s.Close()
	sum := fileSum(t, path)

	// Two readers share the file.
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if c, _ := r2.Counts(); c[lever.Users] != 1 {
		t.Fatalf("read-only counts = %v", c)
	}
	if err := r1.Bind(lever.Sandbox, "", nil); err == nil {
		t.Fatal("a read-only store accepted a write")
	}
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a read-only open wrote a pid sidecar")
	}
	r1.Close()
	r2.Close()
	if fileSum(t, path) != sum {
		t.Fatal("a read-only open changed the file")
	}
}

func TestCorruptFileIsLeftUntouched(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var page []lever.Record
	for i := range 200 {
		page = append(page, opportunity(fmt.Sprintf("opp-%03d", i), 1, "post-a"))
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
	s.Close()
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}

	random := make([]byte, 64<<10)
	rand.Read(random)
	garbledBody := bytes.Clone(goodBytes)
	rand.Read(garbledBody[2*4096:]) // keep both meta pages, garble every other page

	foreign := filepath.Join(dir, "foreign.db")
	fdb, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = fdb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	fdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	foreignBytes, _ := os.ReadFile(foreign)

	cases := map[string][]byte{
		"random bytes":       random,
		"text file":          []byte("name,email\nAnn,ann@example.com\n"),
		"truncated store":    goodBytes[:len(goodBytes)/2],
		"one page":           goodBytes[:4096],
		"garbled body":       garbledBody,
		"other bbolt":        foreignBytes,
		"zeroed meta pages":  append(make([]byte, 8192), goodBytes[8192:]...),
		"random at same len": random[:len(random)/2],
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store.db")
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			before := fileSum(t, path)
			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro, Timeout: time.Second})
				if err == nil {
					// A garbled body may pass the open; it must not pass Check.
					cerr := s.Check()
					s.Close()
					if name != "garbled body" || !errors.Is(cerr, ErrCorrupt) {
						t.Fatalf("read-only %v: opened a corrupt file (Check: %v)", ro, cerr)
					}
				} else {
					wantErr(t, err, ErrCorrupt)
				}
				if fileSum(t, path) != before {
					t.Fatalf("read-only %v: the file was modified", ro)
				}
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
				t.Fatalf("mode changed to %o", info.Mode().Perm())
			}
			if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("pid sidecar written for a corrupt file")
			}
		})
	}
}

func TestSchemaMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Users, Upserts: []lever.Record{record(lever.Users, "u1", "", `{"id":"u1"}`)}})
	s.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(saved[:len(saved):len(saved)], migration{name: "test: add a bucket", apply: func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("test_v2"))
		if err != nil {
			return err
		}
		return b.Put([]byte("migrated"), []byte("yes"))
	}})

	// A reader cannot upgrade.
	_, err = Open(path, Options{ReadOnly: true})
	wantErr(t, err, ErrSchema)

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.view(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket(bucketMeta).Get(keySchema)); v != strconv.Itoa(len(saved)+1) {
			return fmt.Errorf("schema = %s after migration", v)
		}
		if b := tx.Bucket([]byte("test_v2")); b == nil || string(b.Get([]byte("migrated"))) != "yes" {
			return errors.New("migration did not run")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Counts(); c[lever.Users] != 1 {
		t.Fatal("migration lost data")
	}
	s.Close()

	// An older binary refuses the newer file, and leaves it alone.
	migrations = saved
	before := fileSum(t, path)
	for _, ro := range []bool{false, true} {
		_, err = Open(path, Options{ReadOnly: ro})
		wantErr(t, err, ErrSchema)
		if !strings.Contains(err.Error(), "upgrade leversync") {
			t.Errorf("message does not say what to do: %v", err)
		}
	}
	if fileSum(t, path) != before {
		t.Fatal("a refused open changed the file")
	}
}

// Nothing the store is given holds the key, and the file never does.
func TestNoKeyInFile(t *testing.T) {
	const secret = "k3y-5ecret-Abc123-leversync-test"
	key := lever.NewAPIKey(secret)
	s := newStore(t)
	wizard, err := json.Marshal(struct {
		Step int
		Env  lever.Environment
		Key  lever.APIKey
	}{8, lever.Sandbox, key})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveWizard(wizard); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoadWizard(); !bytes.Equal(got, wizard) {
		t.Fatalf("LoadWizard = %s", got)
	}
	run := syncer.RunState{ID: "r1", Error: fmt.Sprint("request failed with ", key), Warnings: []string{fmt.Sprintf("%v %+v %#v", key, key, key)}}
	if err := s.StartRun(run); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(run); err != nil {
		t.Fatal(err)
	}
	if err := s.Bind(lever.Sandbox, lever.Sandbox.BaseURL(), []string{"reason-1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, needle := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), base64.StdEncoding.EncodeToString([]byte(secret + ":"))} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Fatalf("the store file contains the key (%q)", needle)
		}
	}
	if !bytes.Contains(raw, []byte(`"Step":8`)) {
		t.Fatal("the wizard state is not in the file: the grep proves nothing")
	}
}
