package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"unicode"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	bolt "go.etcd.io/bbolt"
)

// TestCodeForByWhatItIs: an error's exit code follows what it is. A file
// system error is 6 even though syscall.Errno satisfies net.Error; only a
// network operation's error is 5.
func TestCodeForByWhatItIs(t *testing.T) {
	pathErr := func(op string, errno syscall.Errno) error {
		return fmt.Errorf("open the store: %w", &fs.PathError{Op: op, Path: "/x/ls.db", Err: errno})
	}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"no write permission", pathErr("open", syscall.EACCES), exitStore},
		{"a path under a regular file", pathErr("stat", syscall.ENOTDIR), exitStore},
		{"read-only file system", pathErr("open", syscall.EROFS), exitStore},
		{"a bare errno from mmap", fmt.Errorf("open the store: %w", syscall.EINVAL), exitStore},
		{"disk full", fmt.Errorf("write: %w", syscall.ENOSPC), exitStore},
		{"file too large", pathErr("write", syscall.EFBIG), exitStore},
		{"rename", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EXDEV}, exitStore},
		{"not a data file", fmt.Errorf("x: %w", store.ErrNotStore), exitStore},
		{"another Lever account", fmt.Errorf("x: %w", store.ErrOtherAccount), exitStore},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, exitUnavailable},
		{"no such host", &net.DNSError{Err: "no such host", Name: "api.lever.co"}, exitUnavailable},
		{"lever unavailable", fmt.Errorf("sync: %w", lever.ErrUnavailable), exitUnavailable},
		{"rate limited", fmt.Errorf("sync: %w", lever.ErrRateLimited), exitUnavailable},
		{"wrong API root", &lever.APIError{Status: 404, Method: "GET", Path: "/stages"}, exitNotLever},
		{"redirect", &lever.APIError{Status: 302, Method: "GET", Path: "/stages"}, exitNotLever},
		{"wrong shape", fmt.Errorf("%w: GET /stages", lever.ErrNotLeverAPI), exitNotLever},
		{"rejected key", &lever.APIError{Status: 401}, exitNoKey},
		{"no key", app.ErrNoKey, exitNoKey},
		{"permission", &lever.PermissionError{Permission: "find all tags"}, exitPermission},
		{"in use", &store.InUseError{Path: "x"}, exitStore},
		{"usage", usagef("bad"), exitUsage},
	}
	for _, tc := range cases {
		if got := codeFor(tc.err); got != tc.want {
			t.Errorf("%s (%v): exit %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestREADMEListsEveryExitCode: each exit code the program declares is a
// row of the README's exit-code table, and the table lists no other.
func TestREADMEListsEveryExitCode(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "exitcode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[int]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i >= len(vs.Values) {
				break
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && strings.HasPrefix(name.Name, "exit") {
				v, _ := strconv.Atoi(lit.Value)
				declared[v] = name.Name
			}
		}
		return true
	})
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "### Exit codes")
	if !ok {
		t.Fatal("README has no exit code table")
	}
	table, _, _ = strings.Cut(table, "\n#")
	listed := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(table, -1) {
		v, _ := strconv.Atoi(m[1])
		listed[v] = true
	}
	if len(declared) < 9 {
		t.Fatalf("found only %d exit codes in exitcode.go: %v", len(declared), declared)
	}
	for v, name := range declared {
		if !listed[v] {
			t.Errorf("exit code %d (%s) is not in the README's table", v, name)
		}
	}
	for v := range listed {
		if _, ok := declared[v]; !ok {
			t.Errorf("the README lists exit code %d, which the program never returns", v)
		}
	}
}

// TestFileProblemsExitSix: a data file path that cannot be used is a file
// problem (6), named with what to do, never "unavailable" (5) or "run sync
// first".
func TestFileProblemsExitSix(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 3, Opportunities: 20})
	dir := t.TempDir()
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{
		"under a regular file": filepath.Join(regular, "ls.db"),
		"/dev/null":            os.DevNull,
		"a named pipe":         fifo,
		"a folder":             folder,
	}
	if _, err := os.Stat("/proc/self"); err == nil {
		paths["a folder that takes no new files"] = "/proc/leversync-test.db"
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "read-only")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		paths["no write permission"] = filepath.Join(ro, "ls.db")
	} else { // only root can give a file away
		foreign := filepath.Join(dir, "foreign.db")
		if err := os.WriteFile(foreign, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(foreign, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		paths["another user's file that others can read"] = foreign
	}
	env := keyEnv(t, fakelever.KeyFull)
	for name, db := range paths {
		t.Run(name, func(t *testing.T) {
			res := runBin(t, env, "", syncArgs(srv, db)...)
			if res.code != exitStore {
				t.Errorf("sync --db %s: exit %d, want %d: %s", db, res.code, exitStore, res.stderr)
			}
			if !strings.Contains(res.stderr, "--db") || strings.Contains(res.stderr, "sync first") || strings.Contains(res.stderr, "try again later") {
				t.Errorf("sync --db %s says: %s", db, res.stderr)
			}
		})
	}
	if info, err := os.Stat(os.DevNull); err != nil || info.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v", os.DevNull, err)
	}
}

// TestWrongAPIRootExitSeven: an API root that answers, but not like
// Lever's (404, a redirect, JSON of another shape, a web page with status
// 200), exits 7 and says the URL looks wrong rather than "try again later".
func TestWrongAPIRootExitSeven(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 3, Opportunities: 20})
	serve := func(h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return s.URL + "/v1"
	}
	roots := map[string]string{
		"a 404 (no /v1)": strings.TrimSuffix(srv.URL(), "/v1") + "/api",
		"a redirect": serve(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, srv.URL()+"/stages", http.StatusFound)
		}),
		"JSON of another": serve(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"items":[],"total":0}`) }),
		"a web page": serve(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!doctype html><title>Welcome</title>")
		}),
	}
	env := keyEnv(t, fakelever.KeyFull)
	for name, root := range roots {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"sync", "--base-url", root, "--db", filepath.Join(t.TempDir(), "ls.db")}, fastSync...)
			res := runBin(t, env, "", args...)
			if res.code != exitNotLever {
				t.Errorf("exit %d, want %d: %s", res.code, exitNotLever, res.stderr)
			}
			if !strings.Contains(res.stderr, "API root") || !strings.Contains(res.stderr, "--base-url") || strings.Contains(res.stderr, "try again later") {
				t.Errorf("stderr does not say the URL looks wrong: %s", res.stderr)
			}
		})
	}
}

// TestResetDeletesOnlyDataFiles: reset --yes deletes a leversync data file,
// sound or damaged, and refuses anything else (exit 6), saying what it
// found and leaving it byte for byte.
func TestResetDeletesOnlyDataFiles(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 8, Opportunities: 30})
	env := keyEnv(t, fakelever.KeyFull)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	if res := runBin(t, env, "", syncArgs(srv, good)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	binary, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	odb, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = odb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	odb.Close()
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := os.ReadFile(other)

	refused := map[string]struct {
		content []byte
		says    string
	}{
		"text file":             {[]byte("name,email\nAnn,ann@example.com\n"), "text file"},
		"a program":             {binary[:1<<20], "not a bbolt database"},
		"another bbolt program": {foreign, "bbolt file of another program"},
		"empty file":            {nil, "empty"},
	}
	for name, tc := range refused {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, tc.content, 0o600); err != nil {
			t.Fatal(err)
		}
		res := runBin(t, env, "", "reset", "--yes", "--db", path)
		if res.code != exitStore || !strings.Contains(res.stderr, tc.says) || !strings.Contains(res.stderr, "nothing was deleted") {
			t.Errorf("reset --yes of %s: exit %d, want %d saying %q: %s", name, res.code, exitStore, tc.says, res.stderr)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, tc.content) {
			t.Errorf("reset --yes of %s changed or deleted it (%v)", name, err)
		}
	}
	if res := runBin(t, env, "", "reset", "--yes", "--db", dir); res.code != exitStore || !strings.Contains(res.stderr, "folder") {
		t.Errorf("reset --yes of a folder: exit %d: %s", res.code, res.stderr)
	}

	damaged := filepath.Join(dir, "damaged.db")
	if err := os.WriteFile(damaged, goodBytes[:len(goodBytes)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	// A compaction killed half-way leaves its copy of the data beside the
	// file: reset takes it too.
	if err := os.WriteFile(good+".compact", goodBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{good, damaged} {
		res := runBin(t, env, "", "reset", "--yes", "--db", path)
		if res.code != 0 {
			t.Errorf("reset --yes of leversync's %s: exit %d: %s", filepath.Base(path), res.code, res.stderr)
		}
		// Whether or not a key is saved (this test saves none), what it
		// says of keys holds.
		if !strings.Contains(res.stdout, "reset leaves saved API keys alone; 'leversync logout' removes them.") {
			t.Errorf("reset --yes of %s says: %q", filepath.Base(path), res.stdout)
		}
		for _, left := range []string{path, path + ".compact"} {
			if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("reset --yes left %s: %v", filepath.Base(left), err)
			}
		}
	}
}

// hostileProxy stands between leversync and a fake Lever and puts what a
// hostile or compromised source could send into the answers: escape
// sequences in job titles and teams, a formula as a job title, and, once
// failing is set, an error whose text clears the screen and retitles the
// window.
func hostileProxy(t *testing.T, srv *fakelever.Server, failing *atomic.Bool) string {
	target, err := url.Parse(strings.TrimSuffix(srv.URL(), "/v1"))
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.URL.Path != "/v1/postings" || r.StatusCode != 200 {
			return nil
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte(`"text":"`), []byte(`"text":"=HYPERLINK(\"http://x\") \u001b]0;pwned\u0007`))
		b = bytes.ReplaceAll(b, []byte(`"team":"`), []byte(`"team":"\u001b[2J\u001b[H\u009b31m`))
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && r.URL.Path == "/v1/opportunities" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"code":"Conflict\u001b[31m","message":"\u001b]0;pwned\u0007\u001b[2J\u001b[Hsee \u009b31mhere\r\n\u202eand there"}`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL + "/v1"
}

// hasControl reports a control character or bidirectional override other
// than the line breaks and tabs of leversync's own layout.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\t') || (r >= 0x202a && r <= 0x202e)
	})
}

// TestNetworkTextNeverReachesTheTerminal: escape sequences Lever sends, in
// records or in error text, never reach the terminal from sync, status or
// jobs; a job title that is a formula is exported to CSV as text.
func TestNetworkTextNeverReachesTheTerminal(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 5, Opportunities: 40})
	var failing atomic.Bool
	root := hostileProxy(t, srv, &failing)
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	args := append([]string{"sync", "--base-url", root, "--db", db}, fastSync...)

	res := runBin(t, env, "", args...)
	if res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	jobs := runBin(t, env, "", "jobs", "--db", db)
	if jobs.code != 0 || !strings.Contains(jobs.stdout, "HYPERLINK") {
		t.Fatalf("jobs: exit %d: %s %s", jobs.code, jobs.stdout, jobs.stderr)
	}
	if hasControl(jobs.stdout) {
		t.Errorf("jobs printed control characters from Lever's records: %q", firstLines(jobs.stdout, 3))
	}

	out := runBin(t, env, "", "export", "--db", db, "--resource", "postings", "--format", "csv")
	if out.code != 0 {
		t.Fatalf("export: exit %d: %s", out.code, out.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out.stdout)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("export csv: %v, %d rows", err, len(rows))
	}
	for _, row := range rows[1:] {
		if !strings.HasPrefix(row[1], `'=HYPERLINK`) {
			t.Errorf("job title %q is exported as a formula", row[1])
		}
		if strings.HasPrefix(row[len(row)-1], "'") || strings.HasPrefix(row[0], "'") {
			t.Errorf("an id or a date was changed: %q", row)
		}
	}

	failing.Store(true)
	res = runBin(t, env, "", append(args, "--full")...)
	if res.code == 0 {
		t.Fatalf("sync against a failing Lever: exit 0")
	}
	if hasControl(res.stderr) || !strings.Contains(res.stderr, "see here and there") {
		t.Errorf("sync printed Lever's error with control characters (or lost it): %q", res.stderr)
	}
	status := runBin(t, env, "", "status", "--db", db)
	if status.code != 0 || !strings.Contains(status.stdout, "see here") {
		t.Fatalf("status: exit %d: %s %s", status.code, status.stdout, status.stderr)
	}
	if hasControl(status.stdout) {
		t.Errorf("status printed the saved error with control characters: %q", status.stdout)
	}
	// What the store saved is clean already, not only what status prints.
	asJSON := runBin(t, env, "", "status", "--db", db, "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(asJSON.stdout), &rep); err != nil || rep.Unfinished == nil {
		t.Fatalf("status --json: %v: %s", err, asJSON.stdout)
	}
	if hasControl(rep.Unfinished.Error) || !strings.Contains(rep.Unfinished.Error, "see here and there") {
		t.Errorf("the store saved Lever's error as %q", rep.Unfinished.Error)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// runInProcess runs the command line in this process, for output that
// needs neither a Lever nor a data file.
func runInProcess(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestHelpTextAsWritten: every flag's help reads as written (fang
// capitalizes the first word: "API root" must not become "Api root", nor
// "re-read" "Re-Read"), and no help line ends in padding.
func TestHelpTextAsWritten(t *testing.T) {
	a := &cli{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		args := append(strings.Fields(cmd.CommandPath())[1:], "--help")
		res := runInProcess(t, args...)
		if res.code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), res.code, res.stderr)
		}
		for i, line := range strings.Split(res.stdout, "\n") {
			if strings.HasSuffix(line, " ") {
				t.Errorf("leversync %s: line %d is padded with spaces: %q", strings.Join(args, " "), i+1, line)
				break
			}
		}
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			usage, _, _ := strings.Cut(f.Usage, "\n")
			want := strings.ToUpper(usage[:1]) + usage[1:]
			if !strings.Contains(res.stdout, want) {
				t.Errorf("leversync %s: --%s reads otherwise than %q", strings.Join(args, " "), f.Name, want)
			}
		})
		for _, sub := range cmd.Commands() {
			if !sub.Hidden && sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub)
			}
		}
	}
	walk(a.rootCommand())
}

// TestUnknownCommandSuggests: a mistyped command exits 2 and names the
// command that was probably meant.
func TestUnknownCommandSuggests(t *testing.T) {
	for typo, want := range map[string]string{"snyc": "leversync sync", "stauts": "leversync status", "exprot": "leversync export"} {
		res := runInProcess(t, typo)
		if res.code != exitUsage || !strings.Contains(res.stderr, "did you mean '"+want+"'") {
			t.Errorf("leversync %s: exit %d: %q", typo, res.code, res.stderr)
		}
	}
	if res := runInProcess(t, "zzzzzz"); res.code != exitUsage || strings.Contains(res.stderr, "did you mean") {
		t.Errorf("leversync zzzzzz: exit %d: %q", res.code, res.stderr)
	}
}

// TestNotADataFileNamesNoReset: a command given a file that was never
// leversync's says what it is and to move it away or pass another --db; it
// does not suggest reset, which refuses such a file.
func TestNotADataFileNamesNoReset(t *testing.T) {
	env := isolatedEnv(t)
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("name,email\nAnn,ann@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status", "--db", path}, {"export", "--db", path, "--resource", "users"}} {
		res := runBin(t, env, "", args...)
		if res.code != exitStore || !strings.Contains(res.stderr, "a text file") || !strings.Contains(res.stderr, "--db") || strings.Contains(res.stderr, "reset") {
			t.Errorf("%s of a text file: exit %d, want %d naming a text file and --db, not reset: %s", args[0], res.code, exitStore, res.stderr)
		}
	}
}
