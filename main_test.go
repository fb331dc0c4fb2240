package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/lever/syncer"
)

// binPath is the leversync binary built once for the tests that run it as a
// child process.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leversync-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "leversync")
	args := []string{"build", "-o", binPath}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build leversync:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// isolatedEnv is an environment with its own HOME and XDG folders, so no
// test touches the user's data, config or keyring.
func isolatedEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"PATH=" + os.Getenv("PATH"),
		"NO_COLOR=1",
		// A race-built binary otherwise sleeps a second before every
		// successful exit.
		"GORACE=atexit_sleep_ms=0",
		// No session bus: the keyring is unavailable and the file is used.
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus"),
	}
	return append(env, extra...)
}

// result is a finished child process.
type result struct {
	code           int
	stdout, stderr string
}

// runBin runs the binary to completion with a generous time limit.
func runBin(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run leversync %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// eventReader reads `sync --json` events from a running child.
type eventReader struct {
	sc *bufio.Scanner
}

func newEventReader(r io.Reader) *eventReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &eventReader{sc: sc}
}

// next returns the next event, or false at the end of the stream.
func (e *eventReader) next(t *testing.T) (syncer.Event, bool) {
	t.Helper()
	if !e.sc.Scan() {
		return syncer.Event{}, false
	}
	var ev syncer.Event
	if err := json.Unmarshal(e.sc.Bytes(), &ev); err != nil {
		t.Fatalf("sync --json printed a line that is not an event: %q: %v", e.sc.Text(), err)
	}
	return ev, true
}
