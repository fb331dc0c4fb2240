package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The scheduled-sync files under contrib/ are tested for syntax with the
// tools that exist here, their leversync command lines are parsed by the
// binary itself, none holds a key, and the README shows each as it is.

// contribLines are the lines of a contrib file outside its comments.
func contribLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inXMLComment := false
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case inXMLComment:
			inXMLComment = !strings.Contains(trimmed, "-->")
		case strings.HasPrefix(trimmed, "<!--"):
			inXMLComment = !strings.Contains(trimmed, "-->")
		case trimmed == "", strings.HasPrefix(trimmed, "#"):
		default:
			out = append(out, trimmed)
		}
	}
	return out
}

// checkCommandLine runs leversync with args and --help: every flag and
// command in args must exist.
func checkCommandLine(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "sync" {
		t.Fatalf("%s: the command is %q, want 'leversync sync ...'", where, args)
	}
	res := runBin(t, isolatedEnv(t), "", append(args, "--help")...)
	if res.code != 0 {
		t.Errorf("%s: leversync %s: exit %d: %s", where, strings.Join(args, " "), res.code, res.stderr)
	}
}

// TestContribFilesHoldNoKey: no scheduled-sync file sets a key or any
// environment: each uses the key saved for its profile.
func TestContribFilesHoldNoKey(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("contrib", "*", "*"))
	if err != nil || len(files) != 4 {
		t.Fatalf("contrib files: %v, %v; want the systemd service and timer, the launchd plist and the cron line", files, err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, line := range contribLines(t, f) {
			for _, banned := range []string{"LEVER_API_KEY", "Environment", "key-stdin", "EnvironmentVariables"} {
				if strings.Contains(line, banned) {
					t.Errorf("%s sets %s: %q", f, banned, line)
				}
			}
			if !bytes.Contains(readme, []byte(line)) {
				t.Errorf("the README does not show %s as it is: it lacks %q", f, line)
			}
		}
		if !bytes.Contains(readme, []byte(filepath.ToSlash(f))) {
			t.Errorf("the README does not name %s", f)
		}
	}
}

// TestSystemdUnits: systemd-analyze verifies the service and the timer (as
// a user's units, for the default profile), and the service's command line
// is one leversync accepts.
func TestSystemdUnits(t *testing.T) {
	var exec0 string
	for _, line := range contribLines(t, filepath.Join("contrib", "systemd", "leversync-sync@.service")) {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			exec0 = v
		}
	}
	fields := strings.Fields(exec0)
	if len(fields) < 2 || fields[0] != "%h/.local/bin/leversync" {
		t.Fatalf("ExecStart=%s", exec0)
	}
	args := strings.Fields(strings.ReplaceAll(strings.Join(fields[1:], " "), "%i", "default"))
	checkCommandLine(t, "the systemd service", args)

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed here: the units' syntax is not verified")
	}
	home, units, runtime := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".local", "bin"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binPath, filepath.Join(home, ".local", "bin", "leversync")); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, kind := range []string{"service", "timer"} {
		b, err := os.ReadFile(filepath.Join("contrib", "systemd", "leversync-sync@."+kind))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(units, "leversync-sync@default."+kind)
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	cmd := exec.Command(analyze, append([]string{"--user", "verify"}, names...)...)
	cmd.Env = []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + runtime, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Some mistakes (an unknown Type=, say) are only warned about.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "leversync-sync@") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

// plistValue is one value of a property list, as encoding/xml reads it.
type plistValue struct {
	XMLName xml.Name
	Text    string       `xml:",chardata"`
	Items   []plistValue `xml:",any"`
}

// TestLaunchdPlist: the plist is well-formed XML in Apple's property-list
// shape, runs leversync sync on an interval, and leversync accepts its
// arguments.
func TestLaunchdPlist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("contrib", "launchd", "io.github.leversync.sync.plist"))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("the plist is not well-formed XML: %v", err)
		}
	}
	var root struct {
		XMLName xml.Name     `xml:"plist"`
		Version string       `xml:"version,attr"`
		Dicts   []plistValue `xml:"dict"`
	}
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	if root.Version != "1.0" || len(root.Dicts) != 1 {
		t.Fatalf("plist version %q with %d dicts", root.Version, len(root.Dicts))
	}
	dict := map[string]plistValue{}
	items := root.Dicts[0].Items
	if len(items)%2 != 0 {
		t.Fatal("the dict's keys and values do not pair up")
	}
	for i := 0; i < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		dict[items[i].Text] = items[i+1]
	}
	if v := dict["Label"]; v.XMLName.Local != "string" || v.Text != "io.github.leversync.sync" {
		t.Errorf("Label = %+v, want the file's name", v)
	}
	if v := dict["StartInterval"]; v.XMLName.Local != "integer" {
		t.Errorf("StartInterval = %+v", v)
	} else if n, err := strconv.Atoi(v.Text); err != nil || n < 60 {
		t.Errorf("StartInterval %q: want a number of seconds, at least 60", v.Text)
	}
	if v := dict["RunAtLoad"]; v.XMLName.Local != "true" {
		t.Errorf("RunAtLoad = <%s>", v.XMLName.Local)
	}
	pa := dict["ProgramArguments"]
	var args []string
	for _, it := range pa.Items {
		if it.XMLName.Local != "string" {
			t.Fatalf("ProgramArguments holds <%s>", it.XMLName.Local)
		}
		args = append(args, it.Text)
	}
	if pa.XMLName.Local != "array" || len(args) < 2 || !filepath.IsAbs(args[0]) || filepath.Base(args[0]) != "leversync" {
		t.Fatalf("ProgramArguments = %q", args)
	}
	checkCommandLine(t, "the launchd plist", args[1:])
}

// TestCronLine: the crontab line has five valid time fields, its command is
// valid sh, and leversync accepts its arguments.
func TestCronLine(t *testing.T) {
	lines := contribLines(t, filepath.Join("contrib", "cron", "leversync.crontab"))
	if len(lines) != 1 {
		t.Fatalf("the crontab has %d lines of schedule, want 1: %q", len(lines), lines)
	}
	fields := strings.Fields(lines[0])
	if len(fields) < 6 {
		t.Fatalf("%q: want five time fields and a command", lines[0])
	}
	for i, r := range [][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}} {
		if err := cronField(fields[i], r[0], r[1]); err != nil {
			t.Errorf("field %d %q: %v", i+1, fields[i], err)
		}
	}
	if strings.Contains(lines[0], "%") {
		t.Error("the command holds %, which cron turns into a newline")
	}
	command := strings.Join(fields[5:], " ")
	if out, err := exec.Command("sh", "-n", "-c", command).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v: %s", err, out)
	}
	_, rest, ok := strings.Cut(command, `"$HOME/.local/bin/leversync" `)
	if !ok {
		t.Fatalf("the command does not run $HOME/.local/bin/leversync: %q", command)
	}
	args, _, _ := strings.Cut(rest, ">>")
	checkCommandLine(t, "the cron line", strings.Fields(args))
}

// cronField checks one time field: *, a number, a range, a step, or a
// comma-separated list of those, within [lo, hi].
func cronField(f string, lo, hi int) error {
	for _, part := range strings.Split(f, ",") {
		base, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 || n > hi {
				return fmt.Errorf("step %q", step)
			}
		}
		if base == "*" {
			continue
		}
		from, to, isRange := strings.Cut(base, "-")
		if !isRange {
			to = from
		}
		a, errA := strconv.Atoi(from)
		b, errB := strconv.Atoi(to)
		if errA != nil || errB != nil || a < lo || b > hi || a > b {
			return fmt.Errorf("%q is not within %d-%d", base, lo, hi)
		}
	}
	return nil
}

func TestCronFieldRefusesNonsense(t *testing.T) {
	for _, bad := range []string{"60", "-1", "*/0", "5-2", "x", "", "1,,2"} {
		if cronField(bad, 0, 59) == nil {
			t.Errorf("%q accepted as a minute", bad)
		}
	}
	for _, good := range []string{"*", "0", "59", "*/15", "1-5", "0,30", "10-20/5"} {
		if err := cronField(good, 0, 59); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
}
