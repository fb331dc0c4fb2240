package ui

import (
	"bytes"
	"io"

	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"
)

// liveScreen is what a terminal shows of a test program's output: the
// output is a stream of changes, so a frame is only readable once drawn
// by a terminal emulator.
type liveScreen struct {
	t   *testing.T
	out io.Reader
	emu *vt.Emulator
}

// startScreen runs m in a w x h test program drawn by a terminal emulator.
func startScreen(t *testing.T, m tea.Model, w, h int) (*teatest.TestModel, *liveScreen) {
	t.Helper()
	// A terminal that names itself gets sequences the emulator knows.
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithColorProfile(colorprofile.Ascii)))
	return tm, newLiveScreen(t, tm, w, h)
}

func newLiveScreen(t *testing.T, tm *teatest.TestModel, w, h int) *liveScreen {
	emu := vt.NewEmulator(w, h)
	// The emulator answers terminal queries on its pipe; nobody listens.
	// Closing the pipe ends the reader (Close would race with it).
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, emu)
	}()
	t.Cleanup(func() {
		_ = emu.InputPipe().(*io.PipeWriter).CloseWithError(io.EOF)
		<-done
	})
	return &liveScreen{t: t, out: tm.Output(), emu: emu}
}

// waitUntil feeds the program's output to the emulator until ok holds for
// the screen, and returns that screen; it fails after 10 s.
func (s *liveScreen) waitUntil(what string, ok func(screen string) bool) string {
	s.t.Helper()
	buf := make([]byte, 32<<10)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := s.out.Read(buf)
		if n > 0 {
			// A terminal's line discipline turns a newline into CR LF.
			_, _ = s.emu.Write(bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n")))
		}
		screen := s.emu.String()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen did not show %s within 10s:\n%s", what, screen)
		}
		if n == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}
