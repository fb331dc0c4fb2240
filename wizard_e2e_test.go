package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"

	"github.com/leversync/leversync/lever/fakelever"
)

// updateFrame rewrites testdata/e2e/readme-frame.txt, the wizard frame the
// README shows.
var updateFrame = flag.Bool("update-frame", false, "rewrite testdata/e2e/readme-frame.txt from a real demo run")

// screenWait bounds every wait for screen text: the binary may run with
// -race on a couple of busy cores.
const screenWait = 30 * time.Second

// Keys as a terminal sends them.
const (
	keyEnter = "\r"
	keyCtrlA = "\x01"
	keyCtrlC = "\x03"
	keyCtrlU = "\x15"
	keyTab   = "\t"
	keyEsc   = "\x1b"
)

// terminal is the built binary running in a pseudo-terminal, drawn by a
// virtual terminal emulator.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File

	mu     sync.Mutex
	emu    *vt.Emulator
	raw    bytes.Buffer // every byte the program wrote
	frames []string     // every distinct screen, in order

	exited  chan struct{} // closed once the child has been waited for
	waitErr error
	outDone chan struct{}
	ansDone chan struct{}
}

// startTerminal runs leversync with args in a w x h pseudo-terminal.
func startTerminal(t *testing.T, env []string, w, h int, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	// A terminal names itself; the renderer then uses insert-character
	// (ICH), which the emulator supports, instead of insert mode (IRM),
	// which it does not.
	cmd.Env = append(slices.Clone(env), "TERM=xterm-256color")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)})
	if err != nil {
		t.Fatalf("start leversync in a pty: %v", err)
	}
	term := &terminal{
		t: t, cmd: cmd, ptmx: ptmx,
		emu:     vt.NewEmulator(w, h),
		exited:  make(chan struct{}),
		outDone: make(chan struct{}),
		ansDone: make(chan struct{}),
	}
	go func() {
		term.waitErr = cmd.Wait()
		close(term.exited)
	}()
	// The program's output goes to the screen; every new screen is kept.
	go func() {
		defer close(term.outDone)
		buf := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				term.mu.Lock()
				term.raw.Write(buf[:n])
				_, _ = term.emu.Write(buf[:n])
				if s := term.emu.String(); len(term.frames) == 0 || term.frames[len(term.frames)-1] != s {
					term.frames = append(term.frames, s)
				}
				term.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	// The emulator's answers to terminal queries (background colour, cursor
	// position) go back to the program. The emulator's pipe is read without
	// the lock: a Write blocks until its answer is read here.
	go func() {
		defer close(term.ansDone)
		buf := make([]byte, 1024)
		for {
			n, err := term.emu.Read(buf)
			if n > 0 {
				_, _ = ptmx.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(term.stop)
	return term
}

// stop kills the child if it still runs and ends the copying goroutines.
func (term *terminal) stop() {
	select {
	case <-term.exited:
	default:
		_ = term.cmd.Process.Kill()
		<-term.exited
	}
	// With the child gone the pty reads fail, which ends the output copy.
	select {
	case <-term.outDone:
	case <-time.After(5 * time.Second):
		_ = term.ptmx.Close()
		<-term.outDone
	}
	_ = term.ptmx.Close()
	term.emu.InputPipe().(*io.PipeWriter).CloseWithError(io.EOF)
	<-term.ansDone
}

// screen is the current screen as text.
func (term *terminal) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.emu.String()
}

// allFrames is every distinct screen drawn so far.
func (term *terminal) allFrames() []string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return append([]string(nil), term.frames...)
}

// rawOutput is every byte the program wrote so far.
func (term *terminal) rawOutput() []byte {
	term.mu.Lock()
	defer term.mu.Unlock()
	return bytes.Clone(term.raw.Bytes())
}

// waitUntil polls the screen until ok holds, and fails showing the screen
// when it does not within screenWait.
func (term *terminal) waitUntil(what string, ok func(screen string) bool) string {
	term.t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		s := term.screen()
		if ok(s) {
			return s
		}
		select {
		case <-term.exited:
			if s = term.screen(); ok(s) {
				return s
			}
			term.t.Fatalf("leversync exited (%v) before the screen showed %s; screen:\n%s", term.waitErr, what, s)
		default:
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen did not show %s within %s; screen:\n%s", what, screenWait, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor waits for every text on one screen.
func (term *terminal) waitFor(texts ...string) string {
	term.t.Helper()
	return term.waitUntil(strings.Join(quoteAll(texts), " and "), func(s string) bool {
		for _, text := range texts {
			if !strings.Contains(s, text) {
				return false
			}
		}
		return true
	})
}

// waitForStep waits for the header of step n and every text.
func (term *terminal) waitForStep(n int, texts ...string) string {
	term.t.Helper()
	return term.waitFor(append([]string{stepHeader(n)}, texts...)...)
}

func stepHeader(n int) string { return "Step " + strconv.Itoa(n) + " of 10" }

func quoteAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = "\"" + s + "\""
	}
	return out
}

// press writes keys to the program as a terminal would.
func (term *terminal) press(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		if _, err := term.ptmx.Write([]byte(k)); err != nil {
			term.t.Fatalf("type %q: %v", k, err)
		}
	}
}

// paste sends text as a bracketed paste.
func (term *terminal) paste(text string) {
	term.t.Helper()
	term.press("\x1b[200~" + text + "\x1b[201~")
}

// quit asks to quit with ctrl+c, confirms, and waits for a clean exit.
func (term *terminal) quit() {
	term.t.Helper()
	term.press(keyCtrlC)
	term.waitFor("Quit leversync?")
	term.press("y")
	select {
	case <-term.exited:
	case <-time.After(screenWait):
		term.t.Fatalf("leversync did not exit after quitting; screen:\n%s", term.screen())
	}
	if term.waitErr != nil {
		term.t.Fatalf("leversync exited with %v after quitting; screen:\n%s", term.waitErr, term.screen())
	}
}

// quitIdle quits a page where no sync runs: q, at once, and a clean exit.
func (term *terminal) quitIdle() {
	term.t.Helper()
	term.press("q")
	term.waitExit()
}

// waitExit waits for the program to exit cleanly.
func (term *terminal) waitExit() {
	term.t.Helper()
	select {
	case <-term.exited:
	case <-time.After(screenWait):
		term.t.Fatalf("leversync did not exit after quitting; screen:\n%s", term.screen())
	}
	if term.waitErr != nil {
		term.t.Fatalf("leversync exited with %v after quitting; screen:\n%s", term.waitErr, term.screen())
	}
}

// answerStepsOneToSeven presses through steps 1 to 7 on the documented path
// (every default), seeing each step before answering it.
func answerStepsOneToSeven(term *terminal) {
	term.t.Helper()
	answerStepsOneToFour(term)
	term.waitForStep(5, "Which Lever data will leversync read?")
	term.press(keyEnter)
	term.waitForStep(6, "Which permissions will the key have?")
	term.press(keyEnter)
	term.waitForStep(6, "┃ Turn on \"Allow access to confidential data\"?")
	term.press(keyEnter)
	term.waitForStep(7, "Create the key in Lever", "[ ]  1.")
	// Tick each item with enter, seeing each tick land.
	for i := 1; i <= 10; i++ {
		term.press(keyEnter)
		term.waitFor(fmt.Sprintf("[x] %2d.", i))
	}
	term.waitFor("All done. Press enter to paste the key.")
	term.press(keyEnter)
	term.waitForStep(8, "Paste the key", "API key: ")
}

func answerStepsOneToFour(term *terminal) {
	term.t.Helper()
	term.waitForStep(1, "Do you have administrator rights in Lever?")
	term.press(keyEnter)
	term.waitForStep(1, "┃ Are you a Lever Super Admin?")
	term.press(keyEnter)
	term.waitForStep(2, "What kind of system are you connecting?", "> Recruiting (ATS)")
	term.press(keyEnter)
	term.waitForStep(3, "Connect ATS account", "> Lever")
	term.press(keyEnter)
	term.waitForStep(4, "> Use my API key or access token")
	term.press(keyEnter)
}

// maskedField is the paste field holding n hidden characters.
func maskedField(n int) string { return "API key: " + strings.Repeat("•", n) + " " }

// pasteKeyAndConnect clears the key field, pastes key with whitespace around
// it, checks it arrived whole and hidden, and connects.
func pasteKeyAndConnect(term *terminal, key string) {
	term.t.Helper()
	term.press(keyCtrlU)
	term.waitFor("paste the key here")
	term.paste("  \n" + key + " \n")
	// Trimmed: exactly the key's length in dots, no more.
	term.waitFor(maskedField(len(key)))
	term.press(keyEnter)
	term.waitForStep(9, "Connect")
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// assertNeverShown fails when any recorded frame contains text.
func assertNeverShown(t *testing.T, term *terminal, text string) {
	t.Helper()
	for _, f := range term.allFrames() {
		if strings.Contains(f, text) {
			t.Fatalf("a screen showed %q:\n%s", text, f)
		}
	}
}

func TestWizardDemoWholeFlowResumesAfterQuit(t *testing.T) {
	t.Parallel()
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "demo.db")

	term := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	answerStepsOneToSeven(term)
	// The demo fills in its key and shows it.
	term.waitFor("Demo:", fakelever.KeyFull, maskedField(len(fakelever.KeyFull)))
	pasteKeyAndConnect(term, fakelever.KeyFull)
	checked := term.waitFor("✓ Connected to Lever", "Press enter to start the sync.")
	for _, perm := range []string{"find all opportunities", "find all postings", "find all tags", "find all requisitions"} {
		if !strings.Contains(checked, "✓ "+perm) {
			t.Errorf("the checklist does not show %q granted:\n%s", perm, checked)
		}
	}
	if strings.Contains(checked, "✗ ") && !strings.Contains(checked, "✗ missing") {
		t.Errorf("the demo key shows a missing permission:\n%s", checked)
	}
	term.press(keyEnter)
	// The sync's dashboard, then the Jobs page once it is done.
	term.waitFor("leversync  ·  Sync", "opportunities")
	term.waitFor("leversync  ·  Jobs", "Up to date")
	term.press(keyTab)
	done := term.waitFor("Sync done", "opportunities")
	if !regexp.MustCompile(`opportunities\s+✓ done\s+3,000\s+3,000`).MatchString(done) {
		t.Errorf("the finished sync does not show the demo's 3,000 opportunities:\n%s", done)
	}
	if *updateFrame {
		writeReadmeFrame(t, term)
	}
	term.quitIdle()

	// A completed setup opens on the Jobs page, not on step 1.
	again := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	again.waitFor("leversync  ·  Jobs", "Up to date", "75 jobs")
	assertNeverShown(t, again, stepHeader(1))
	again.quitIdle()
}

// writeReadmeFrame saves the finished connect checklist of this run for
// the README.
func writeReadmeFrame(t *testing.T, term *terminal) {
	t.Helper()
	var frame string
	for _, f := range term.allFrames() {
		if strings.Contains(f, "✓ Connected to Lever") && strings.Contains(f, "Press enter to start the sync.") {
			frame = f // the last one, once the key line has settled
		}
	}
	if frame == "" {
		t.Fatal("no connect frame was recorded")
	}
	var lines []string
	for l := range strings.SplitSeq(frame, "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	path := filepath.Join("testdata", "e2e", "readme-frame.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWizardQuitMidwayResumesAtTheSameStep(t *testing.T) {
	t.Parallel()
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "demo.db")

	term := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	answerStepsOneToFour(term)
	term.waitForStep(5, "Which Lever data will leversync read?")
	term.quit()

	again := startTerminal(t, env, 100, 30, "--demo", "--db", db)
	again.waitForStep(5, "Which Lever data will leversync read?")
	assertNeverShown(t, again, stepHeader(1))
	again.quit()
}

func TestWizardKeyMissingTwoPermissionsNamesThem(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakelever.Config{Opportunities: 50})
	home := t.TempDir()
	env := isolatedEnv(t)
	db := filepath.Join(home, "leversync.db")
	key := fakelever.KeyMissingTwo

	term := startTerminal(t, env, 120, 40, "--base-url", srv.URL(), "--db", db)
	answerStepsOneToSeven(term)
	assertNeverShown(t, term, "Demo:")
	term.waitFor("paste the key here")
	pasteKeyAndConnect(term, key)

	// Missing permissions lead back to creating a key, naming each one with
	// the fix.
	fix := "Fix: permissions cannot be edited after a key is created: generate a new key with them"
	back := term.waitUntil("step 7 with the missing permissions and the fix", func(s string) bool {
		return strings.Contains(s, stepHeader(7)) && strings.Contains(flatten(s), fix)
	})
	// The live checklist was drawn on the connect step first.
	sawChecklist := false
	for _, f := range term.allFrames() {
		if strings.Contains(f, stepHeader(9)) && strings.Contains(f, "key accepted") && strings.Contains(f, "find all tags") {
			sawChecklist = true
		}
		// No frame marks any other permission missing (a name ends at two
		// spaces: the one-column list writes its status after it).
		for _, m := range regexp.MustCompile(`✗ ([a-z'()]+(?: [a-z'()]+)*)`).FindAllStringSubmatch(f, -1) {
			if m[1] != "missing" && m[1] != "find all tags" && m[1] != "find all requisitions" {
				t.Errorf("a screen marks %q missing:\n%s", m[1], f)
			}
		}
	}
	if !sawChecklist {
		t.Errorf("no screen showed the permission checklist on step 9")
	}
	flat := flatten(back)
	problem := regexp.MustCompile(`Problem: the key lacks (\d+) permissions?: (.*?) Fix:`).FindStringSubmatch(flat)
	if problem == nil {
		t.Fatalf("step 7 names no missing permissions:\n%s", back)
	}
	named := quotedNames(problem[2])
	if problem[1] != "2" || len(named) != 2 || !containsAll(named, "find all tags", "find all requisitions") {
		t.Errorf("step 7 names %s missing permissions %q, want exactly \"find all tags\" and \"find all requisitions\":\n%s", problem[1], named, back)
	}
	var marked []string
	for _, m := range regexp.MustCompile(`([a-z][a-z' ]*[a-z]) \(missing\)`).FindAllStringSubmatch(flat, -1) {
		marked = append(marked, m[1])
	}
	if len(marked) != 2 || !containsAll(marked, "find all tags", "find all requisitions") {
		t.Errorf("step 7 lists %q as missing, want exactly the two:\n%s", marked, back)
	}
	term.quit()
	// A key that failed the checks is not saved.
	assertKeyHidden(t, term, key, db, home, env, false)
}

func TestWizardRealKeyIsHiddenAndSavedPrivately(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakelever.Config{Opportunities: 200})
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "leversync.db")
	key := fakelever.KeyFull
	credentials := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "leversync", "credentials.json")

	// Wide enough that the saved-key path fits on one line.
	term := startTerminal(t, env, 200, 40, "--base-url", srv.URL(), "--db", db)
	answerStepsOneToSeven(term)
	term.waitFor("paste the key here")
	pasteKeyAndConnect(term, key)
	term.waitFor("✓ Connected to Lever", "Press enter to start the sync.")
	// The wizard says where the key went: the private file in the config folder.
	term.waitFor("Key ", credentials)
	info, err := os.Stat(credentials)
	if err != nil {
		t.Fatalf("the wizard says the key is in %s: %v", credentials, err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s has mode %o, want 600", credentials, mode)
	}
	saved, err := os.ReadFile(credentials)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(saved, []byte(key)) {
		t.Errorf("%s does not hold the key", credentials)
	}
	term.press(keyEnter)
	term.waitFor("leversync  ·  Jobs", "Up to date")
	term.quitIdle()
	assertKeyHidden(t, term, key, db, "", env, true)

	// leversync sync finds the key where the wizard saved it (for the
	// environment chosen in the wizard and the API root it was pointed at).
	args := append([]string{"sync", "--base-url", srv.URL(), "--db", db}, fastSync...)
	if r := runBin(t, env, "", args...); r.code != 0 {
		t.Fatalf("leversync sync with the saved key exited %d: %s", r.code, r.stderr)
	} else {
		assertNoKey(t, key, "the sync output", []byte(r.stdout), []byte(r.stderr))
	}
}

// assertKeyHidden fails when key is in any recorded frame, in the raw
// terminal output, in the store file, or in any file under the isolated
// HOME, dir or the store's folder other than, when saved, the credentials
// file.
func assertKeyHidden(t *testing.T, term *terminal, key, db, dir string, env []string, saved bool) {
	t.Helper()
	for i, f := range term.allFrames() {
		assertNoKey(t, key, fmt.Sprintf("screen frame %d", i), []byte(f))
	}
	if len(term.allFrames()) < 10 {
		t.Fatalf("only %d frames were recorded", len(term.allFrames()))
	}
	assertNoKey(t, key, "the raw terminal output", term.rawOutput())
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatalf("read the store file: %v", err)
	}
	assertNoKey(t, key, "the store file", b)
	credentials := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "leversync", "credentials.json")
	for _, root := range []string{envValue(env, "HOME"), dir, filepath.Dir(db)} {
		if root == "" {
			continue
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (saved && path == credentials) {
				return err
			}
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			assertNoKey(t, key, path, b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// flatten is a screen as one line, box edges at the start of lines dropped
// and runs of white space made one space, so wrapped sentences can be
// matched.
func flatten(s string) string {
	var words []string
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimLeft(strings.TrimSpace(line), "│┃")
		words = append(words, strings.Fields(line)...)
	}
	return strings.Join(words, " ")
}

// quotedNames is every "quoted" name in s.
func quotedNames(s string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	return names
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
