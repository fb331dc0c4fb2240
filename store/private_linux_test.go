package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// rerunAsAnotherUser runs the test named test again, in a copy of this
// test binary run as a user other than root, and fails unless it passes
// there: root may remove any file, so what a user cannot remove is only
// seen as another one.
func rerunAsAnotherUser(t *testing.T, test string) {
	t.Helper()
	const uid = 4242
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	tmp := filepath.Join(top, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{
		os.Chmod(filepath.Dir(top), 0o755), os.Chmod(top, 0o755), os.Chown(tmp, uid, uid),
		os.WriteFile(filepath.Join(top, "store.test"), bin, 0o755),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	cmd := exec.Command(filepath.Join(top, "store.test"), "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Dir = tmp
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Errorf("%s run as uid %d: %v\n%s", test, uid, err, out)
	}
}

// TestCompactWritesOnlyIntoAFileItMade: a file at the name of a
// compaction's copy that this user cannot remove (another user's, in a
// shared folder) is neither written into nor used: the compaction refuses,
// naming it, and the store stays as it was.
func TestCompactWritesOnlyIntoAFileItMade(t *testing.T) {
	if os.Getuid() == 0 {
		rerunAsAnotherUser(t, "TestCompactWritesOnlyIntoAFileItMade")
		return
	}
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var page []lever.Record
	for i := range 50 {
		page = append(page, opportunity(fmt.Sprintf("opp-%03d", i), 1, "post-a"))
	}
	mustCommit(t, s, syncer.Batch{Resource: lever.Opportunities, Upserts: page})
	planted := path + ".compact"
	if err := os.WriteFile(planted, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(planted, 0o666); err != nil {
		t.Fatal(err)
	}
	// A file this user cannot remove, as another user's in /tmp would be:
	// the folder no longer lets it.
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	err = s.compact()
	if err == nil || !strings.Contains(err.Error(), planted) {
		t.Errorf("compact with another user's %s in the way = %v, want a refusal naming it", filepath.Base(planted), err)
	}
	if b, err := os.ReadFile(planted); err != nil || len(b) != 0 {
		t.Errorf("the compaction wrote %d bytes into a file it did not make (%v)", len(b), err)
	}
	if n, err := s.Counts(); err != nil || n[lever.Opportunities] != 50 {
		t.Errorf("after the refused compaction the store counts %v (%v), want its 50 opportunities", n, err)
	}
}

// TestOpenRefusesAnotherUsersReadableFile: a data file of another user that
// others can read is never written to: candidates' data there would not be
// private, and only its owner can change its mode.
func TestOpenRefusesAnotherUsersReadableFile(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to give a file to another user")
	}
	for _, content := range []string{"", "empty"} {
		path := filepath.Join(t.TempDir(), "s.db")
		if content == "" {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{})
		if err == nil {
			s.Close()
			t.Fatalf("Open of another user's file with mode 0666 (%d bytes) succeeded", len(before))
		}
		if _, ok := errors.AsType[*fs.PathError](err); !ok || !strings.Contains(err.Error(), "another user") || !strings.Contains(err.Error(), "--db") {
			t.Errorf("Open of another user's readable file: %v; want a file error (exit 6) that says so and names --db", err)
		}
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Errorf("the refused Open changed the file: %d bytes, then %d", len(before), len(after))
		}
		// The same file, private to its owner, is used as it is.
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err = Open(path, Options{})
		if err != nil {
			t.Fatalf("Open of another user's 0600 file: %v", err)
		}
		s.Close()
	}
}
