package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
	"go.uber.org/goleak"
)

// clock is a fake Lever's adjustable clock.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// startFake runs an in-process fake Lever with no rate limit, so tests are
// quick, unless cfg says otherwise.
func startFake(t *testing.T, cfg fakelever.Config) *fakelever.Server {
	t.Helper()
	if cfg.Rate == 0 {
		cfg.Rate = -1
	}
	srv, err := fakelever.Start(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// fastSync are sync flags for tests: no client rate limit, quick retries.
var fastSync = []string{"--rate", "-1", "--backoff", "5ms", "--retries", "4"}

func syncArgs(srv *fakelever.Server, db string, extra ...string) []string {
	args := append([]string{"sync", "--base-url", srv.URL(), "--db", db}, fastSync...)
	return append(args, extra...)
}

// keyEnv is an isolated environment with the key in LEVER_API_KEY.
func keyEnv(t *testing.T, key string) []string {
	return isolatedEnv(t, "LEVER_API_KEY="+key)
}

// assertNoKey fails when the key or its Basic-auth form is in any of texts.
func assertNoKey(t *testing.T, key string, where string, texts ...[]byte) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":"))
	for _, b := range texts {
		if bytes.Contains(b, []byte(key)) || bytes.Contains(b, []byte(basic)) {
			t.Fatalf("the API key appears in %s", where)
		}
	}
}

// exportAll returns every list resource's jsonl export of db.
func exportAll(t *testing.T, env []string, db string) map[lever.Resource]string {
	t.Helper()
	out := map[lever.Resource]string{}
	for _, r := range lever.ListResources {
		res := runBin(t, env, "", "export", "--db", db, "--resource", string(r))
		if res.code != 0 {
			t.Fatalf("export %s: exit %d: %s", r, res.code, res.stderr)
		}
		out[r] = res.stdout
	}
	return out
}

// expectedExport is what export prints for a complete sync of srv: the
// fake's records in key order, one raw JSON per line.
func expectedExport(srv *fakelever.Server, r lever.Resource) string {
	exp := srv.Expected(string(r))
	ids := make([]string, 0, len(exp))
	for id := range exp {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		b.Write(exp[id])
		b.WriteByte('\n')
	}
	return b.String()
}

func assertStoreMatchesFake(t *testing.T, env []string, db string, srv *fakelever.Server) {
	t.Helper()
	got := exportAll(t, env, db)
	for _, r := range lever.ListResources {
		want := expectedExport(srv, r)
		if got[r] != want {
			gl, wl := strings.Count(got[r], "\n"), strings.Count(want, "\n")
			t.Errorf("%s: the store differs from the fake's data (%d records stored, %d expected)", r, gl, wl)
		}
	}
}

// checkStore opens db and runs bbolt's consistency check.
func checkStore(t *testing.T, db string) {
	t.Helper()
	st, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open the store after a kill: %v", err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("consistency check after a kill: %v", err)
	}
}

func TestSyncFullMatchesFakeAndHidesKey(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 7, Opportunities: 1500})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	res := runBin(t, env, "", syncArgs(srv, db, "--json")...)
	if res.code != 0 {
		t.Fatalf("sync exit %d: %s", res.code, res.stderr)
	}
	assertStoreMatchesFake(t, env, db, srv)
	file, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	assertNoKey(t, fakelever.KeyFull, "sync output or the store file", []byte(res.stdout), []byte(res.stderr), file)
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("data file mode %v, want 0600", fi.Mode().Perm())
	}
	// Without --details no notes were read: export says how to read them.
	notes := runBin(t, env, "", "export", "--db", db, "--resource", "notes")
	if notes.code != 0 || notes.stdout != "" || !strings.Contains(notes.stderr, "'leversync sync --details --db "+db+"'") {
		t.Errorf("export of notes after a sync without --details: exit %d, stdout %q, stderr %q", notes.code, notes.stdout, notes.stderr)
	}
}

// TestSyncKilledAtManyPointsResumes kills `sync --json` with SIGKILL right
// after a page event, at least ten times (some after the fake has expired the
// saved page token), and checks the file after each kill and the final store
// against an uninterrupted sync.
func TestSyncKilledAtManyPointsResumes(t *testing.T) {
	var clk clock
	srv := startFake(t, fakelever.Config{Seed: 11, Opportunities: 16000, Now: clk.now, TokenMaxAge: 10 * time.Minute})
	env := keyEnv(t, fakelever.KeyFull)
	dir := t.TempDir()
	db := filepath.Join(dir, "killed.db")

	kills, tokenRestarts := 0, 0
	var outputs [][]byte
	for attempt := 0; attempt < 40 && kills < 12; attempt++ {
		// Kill after the n-th page of this run: early, middle and late pages.
		n := 1 + (attempt*3)%7
		// A client-side rate keeps the child from racing far past the
		// page it is killed after.
		cmd := exec.Command(binPath, syncArgs(srv, db, "--json", "--rate", "40", "--burst", "4")...)
		cmd.Env = env
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		events := newEventReader(stdout)
		pages, finished := 0, false
		for {
			ev, ok := events.next(t)
			if !ok {
				break
			}
			if ev.Type == syncer.EventSyncDone {
				finished = true
			}
			if ev.Type == syncer.EventWarning && strings.Contains(ev.Message, "page token") {
				tokenRestarts++
			}
			if ev.Type == syncer.EventPageStored {
				pages++
				if pages == n {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					break
				}
			}
		}
		_, _ = io.ReadAll(stdout)
		err = cmd.Wait()
		outputs = append(outputs, stderr.Bytes())
		if finished && err == nil {
			break // the sync ended before the kill point
		}
		kills++
		checkStore(t, db)
		if kills%4 == 0 {
			// The saved page tokens are now too old for Lever.
			clk.advance(11 * time.Minute)
		}
	}
	if kills < 10 {
		t.Fatalf("only %d kills happened before the sync finished; make the dataset larger", kills)
	}
	if tokenRestarts == 0 {
		t.Fatal("no resumed run met an expired page token; the restart path went untested")
	}
	t.Logf("%d kills, %d streams restarted after an expired page token", kills, tokenRestarts)
	res := runBin(t, env, "", syncArgs(srv, db)...)
	if res.code != 0 {
		t.Fatalf("final sync exit %d: %s", res.code, res.stderr)
	}
	checkStore(t, db)

	clean := filepath.Join(dir, "clean.db")
	if res := runBin(t, env, "", syncArgs(srv, clean)...); res.code != 0 {
		t.Fatalf("uninterrupted sync exit %d: %s", res.code, res.stderr)
	}
	killed, uninterrupted := exportAll(t, env, db), exportAll(t, env, clean)
	for _, r := range lever.ListResources {
		if killed[r] != uninterrupted[r] {
			t.Errorf("%s: after %d kills the store differs from an uninterrupted sync", r, kills)
		}
	}
	assertStoreMatchesFake(t, env, db, srv)
	assertNoKey(t, fakelever.KeyFull, "stderr of a killed sync", outputs...)
}

// startSlowSync starts a sync against a fake with latency and returns once
// its first page is stored.
func startSlowSync(t *testing.T, env []string, srv *fakelever.Server, db string) (*exec.Cmd, *eventReader) {
	t.Helper()
	cmd := exec.Command(binPath, "sync", "--base-url", srv.URL(), "--db", db, "--json")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	events := newEventReader(stdout)
	for {
		ev, ok := events.next(t)
		if !ok {
			t.Fatal("the sync ended before storing a page")
		}
		if ev.Type == syncer.EventPageStored {
			go func() { _, _ = io.ReadAll(stdout) }()
			return cmd, events
		}
	}
}

func TestSecondProcessGetsInUseError(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 3, Opportunities: 20000, Latency: 150 * time.Millisecond, Rate: 10})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	startSlowSync(t, env, srv, db)

	for _, args := range [][]string{
		{"status", "--db", db},
		{"export", "--db", db, "--resource", "postings"},
		{"sync", "--base-url", srv.URL(), "--db", db},
	} {
		start := time.Now()
		res := runBin(t, env, "", args...)
		if res.code != exitStore {
			t.Errorf("%s during a sync: exit %d, want %d; stderr: %s", args[0], res.code, exitStore, res.stderr)
		}
		if !strings.Contains(res.stderr, "in use") && !strings.Contains(res.stderr, "running") {
			t.Errorf("%s during a sync: stderr does not say the file is in use: %q", args[0], res.stderr)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s took %s to report the file in use", args[0], d)
		}
	}
}

func TestSignalsStopPromptlyWithDocumentedCodes(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitSIGINT}, {syscall.SIGTERM, exitSIGTERM}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			srv := startFake(t, fakelever.Config{Seed: 5, Opportunities: 3000, Latency: 100 * time.Millisecond, Rate: 10})
			env := keyEnv(t, fakelever.KeyFull)
			db := filepath.Join(t.TempDir(), "ls.db")
			cmd, _ := startSlowSync(t, env, srv, db)
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != tc.code {
				t.Fatalf("after %v: %v, want exit %d", tc.sig, err, tc.code)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("stopping took %s", d)
			}
			checkStore(t, db)
			if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
				t.Fatalf("resumed sync exit %d: %s", res.code, res.stderr)
			}
			assertStoreMatchesFake(t, env, db, srv)
		})
	}
}

func TestCorruptFileIsReportedAndLeftUntouched(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 1, Opportunities: 100})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	junk := bytes.Repeat([]byte("not a bbolt file, just some bytes "), 500)
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	before := sha256.Sum256(junk)
	for _, args := range [][]string{syncArgs(srv, db), {"status", "--db", db}, {"export", "--db", db, "--resource", "users"}} {
		res := runBin(t, env, "", args...)
		if res.code != exitStore {
			t.Errorf("%s on a corrupt file: exit %d, want %d; stderr: %s", args[0], res.code, exitStore, res.stderr)
		}
		if res.stderr == "" {
			t.Errorf("%s on a corrupt file printed no error", args[0])
		}
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(after) != before {
		t.Fatal("the corrupt file was modified")
	}
}

func TestDiskFullStopsThenResumes(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 2, Opportunities: 3000})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	res := runBin(t, env, "", syncArgs(srv, db, "--max-db-size", "1048576")...)
	if res.code != exitStore {
		t.Fatalf("sync into a full disk: exit %d, want %d; stderr: %s", res.code, exitStore, res.stderr)
	}
	checkStore(t, db)
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync after freeing space: exit %d: %s", res.code, res.stderr)
	}
	assertStoreMatchesFake(t, env, db, srv)
}

func TestSyncExitCodes(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 1, Opportunities: 50})
	db := func() string { return filepath.Join(t.TempDir(), "ls.db") }
	closed := func() string {
		// A loopback port with nothing listening.
		s := startFake(t, fakelever.Config{})
		u := s.URL()
		s.Close()
		return u
	}()
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		says string
	}{
		{"no key", isolatedEnv(t), syncArgs(srv, db()), exitNoKey, "no Lever API key"},
		{"wrong key", keyEnv(t, "wrongwrongwrongwrongwrongwrongwrong"), syncArgs(srv, db()), exitNoKey, "key was rejected"},
		{"sandbox key on production", keyEnv(t, fakelever.KeySandbox), syncArgs(srv, db()), exitNoKey, "rejected"},
		{"missing permissions", keyEnv(t, fakelever.KeyMissingTwo), syncArgs(srv, db()), exitPermission, "find all"},
		{"plain http to another host", keyEnv(t, fakelever.KeyFull), []string{"sync", "--base-url", "http://lever.example/v1", "--db", db()}, exitUsage, "http"},
		{"unknown flag", keyEnv(t, fakelever.KeyFull), []string{"sync", "--no-such-flag"}, exitUsage, "unknown flag"},
		{"unknown environment", keyEnv(t, fakelever.KeyFull), []string{"sync", "--env", "mars"}, exitUsage, "environment"},
		{"unreachable", keyEnv(t, fakelever.KeyFull), append([]string{"sync", "--base-url", closed, "--db", db()}, fastSync...), exitUnavailable, "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runBin(t, tc.env, "", tc.args...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", res.code, tc.code, res.stderr)
			}
			if !strings.Contains(strings.ToLower(res.stderr), strings.ToLower(tc.says)) {
				t.Errorf("stderr %q does not say %q", res.stderr, tc.says)
			}
			for _, k := range []string{fakelever.KeyFull, fakelever.KeySandbox, fakelever.KeyMissingTwo} {
				assertNoKey(t, k, "the output", []byte(res.stdout), []byte(res.stderr))
			}
		})
	}
}

func TestAgainstFakeLeverCommand(t *testing.T) {
	env := isolatedEnv(t)
	cmd := exec.Command(binPath, "fake-lever", "--addr", "127.0.0.1:0", "--opportunities", "400", "--rate", "-1", "--seed", "9")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGINT); _ = cmd.Wait() })
	lines := newEventReaderLines(stdout)
	url := lines.next(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/v1") {
		t.Fatalf("first line %q is not the API root", url)
	}
	db := filepath.Join(t.TempDir(), "ls.db")
	env = append(env, "LEVER_API_KEY="+fakelever.KeyFull)
	res := runBin(t, env, "", append([]string{"sync", "--base-url", url, "--db", db}, fastSync...)...)
	if res.code != 0 {
		t.Fatalf("sync exit %d: %s", res.code, res.stderr)
	}
	// The same seed in process serves the same data.
	same := fakelever.New(fakelever.Config{Seed: 9, Opportunities: 400})
	got := exportAll(t, env, db)
	for _, r := range []lever.Resource{lever.Opportunities, lever.Postings, lever.Users} {
		if got[r] != expectedExport(same, r) {
			t.Errorf("export --resource %s does not print what the fake-lever served", r)
		}
	}
	csv := runBin(t, env, "", "export", "--db", db, "--resource", "postings", "--format", "csv")
	if csv.code != 0 || !strings.HasPrefix(csv.stdout, "id,text,state,") {
		t.Errorf("csv export: exit %d, first bytes %.40q", csv.code, csv.stdout)
	}
}

// lineReader reads plain lines from a child's stdout.
type lineReader struct{ r *eventReader }

func newEventReaderLines(r interface{ Read([]byte) (int, error) }) lineReader {
	return lineReader{newEventReader(r)}
}

func (l lineReader) next(t *testing.T) string {
	t.Helper()
	if !l.r.sc.Scan() {
		t.Fatal("the child printed no line")
	}
	return l.r.sc.Text()
}

func TestJSONOutputFollowsTheDocumentedSchema(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 300})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	before := time.Now().UnixMilli()
	res := runBin(t, env, "", syncArgs(srv, db, "--json")...)
	if res.code != 0 {
		t.Fatalf("sync exit %d: %s", res.code, res.stderr)
	}
	after := time.Now().UnixMilli()
	known := map[string]bool{}
	for _, ty := range []syncer.EventType{syncer.EventSyncStarted, syncer.EventPhaseStarted, syncer.EventPageStored, syncer.EventRetry, syncer.EventWarning, syncer.EventError, syncer.EventPhaseDone, syncer.EventSyncDone} {
		known[string(ty)] = true
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		ty, _ := ev["type"].(string)
		if !known[ty] {
			t.Fatalf("unknown event type in %q", line)
		}
		seen[ty]++
		ms, ok := ev["time"].(float64)
		if !ok || int64(ms) < before-1000 || int64(ms) > after+1000 {
			t.Errorf("event time %v is not milliseconds since the epoch during the run", ev["time"])
		}
		switch ty {
		case "page_stored":
			if _, ok := ev["resource"].(string); !ok {
				t.Errorf("page_stored without resource: %q", line)
			}
			if _, ok := ev["stream"].(string); !ok {
				t.Errorf("page_stored without stream: %q", line)
			}
		case "sync_done":
			run, _ := ev["run"].(map[string]any)
			if run == nil || run["result"] != "ok" || run["finishedAt"] == nil {
				t.Errorf("sync_done without a finished run: %q", line)
			}
			totals, _ := run["totals"].(map[string]any)
			for _, r := range []string{"postings", "opportunities", "users"} {
				if totals[r] != float64(len(srv.Expected(r))) {
					t.Errorf("sync_done totals %s = %v, want %d", r, totals[r], len(srv.Expected(r)))
				}
			}
		}
	}
	for _, ty := range []string{"sync_started", "phase_started", "page_stored", "phase_done", "sync_done"} {
		if seen[ty] == 0 {
			t.Errorf("no %s event", ty)
		}
	}

	st := runBin(t, env, "", "status", "--db", db, "--json")
	if st.code != 0 {
		t.Fatalf("status exit %d: %s", st.code, st.stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"path", "exists", "environment", "baseUrl", "counts", "lastRun", "lastSyncFinished"} {
		if _, ok := rep[field]; !ok {
			t.Errorf("status --json has no %q", field)
		}
	}
	counts, _ := rep["counts"].(map[string]any)
	if counts["opportunities"] != float64(len(srv.Expected("opportunities"))) {
		t.Errorf("status counts opportunities %v, want %d", counts["opportunities"], len(srv.Expected("opportunities")))
	}
	if rep["lastSyncFinished"] != true {
		t.Error("status says the last sync did not finish")
	}
}

// TestStatusWithoutStore: with no data file, status says so, and the
// command it names works on the same file: with --db when one was given,
// with --profile for a profile other than the default.
func TestStatusWithoutStore(t *testing.T) {
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "my data", "none.db")
	res := runBin(t, env, "", "status", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "No local data yet") || !strings.Contains(res.stdout, "Run 'leversync --db '"+db+"''") {
		t.Fatalf("status without a store: exit %d, %q", res.code, res.stdout)
	}
	if res := runBin(t, env, "", "status", "--demo"); res.code != exitUsage || !strings.Contains(res.stderr, "--db leversync-demo.db") {
		t.Errorf("status --demo: exit %d, want %d naming the demo's data file: %s", res.code, exitUsage, res.stderr)
	}
	res = runBin(t, env, "", "--profile", "work", "status")
	if res.code != 0 || !strings.Contains(res.stdout, "Run 'leversync --profile work' to set up") {
		t.Fatalf("status of a profile without a store: exit %d, %q", res.code, res.stdout)
	}
}

func TestHeadlessDemo(t *testing.T) {
	env := isolatedEnv(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	res := runBin(t, env, "", "--demo", "--db", db)
	if res.code != 0 {
		t.Fatalf("--demo without a terminal: exit %d: %s", res.code, res.stderr)
	}
	st := runBin(t, env, "", "status", "--db", db, "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counts[lever.Opportunities] < 1000 || rep.Environment != lever.Demo {
		t.Fatalf("demo store: %d opportunities, environment %q", rep.Counts[lever.Opportunities], rep.Environment)
	}
}

func TestWizardWithoutTerminalNamesAlternatives(t *testing.T) {
	res := runBin(t, isolatedEnv(t), "")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d", res.code, exitUsage)
	}
	for _, want := range []string{"leversync sync", "--accessible"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr %q does not name %q", res.stderr, want)
		}
	}
	if strings.Contains(res.stderr, "/dev/tty") {
		t.Errorf("stderr mentions /dev/tty: %q", res.stderr)
	}
}

// TestInterruptedRunLeaksNoGoroutines runs a sync in process and cancels it.
func TestInterruptedRunLeaksNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := startFake(t, fakelever.Config{Seed: 6, Opportunities: 2000, Latency: 50 * time.Millisecond, Rate: 10})
	db := filepath.Join(t.TempDir(), "ls.db")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	getenv := func(k string) string {
		if k == "LEVER_API_KEY" {
			return fakelever.KeyFull
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"sync", "--base-url", srv.URL(), "--db", db, "--json"}, strings.NewReader(""), &stdout, &stderr, getenv)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), `"page_stored"`) {
		if time.Now().After(deadline) {
			t.Fatal("no page stored within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code == 0 {
			t.Fatalf("a cancelled sync exited 0")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return within 15 s of cancel")
	}
	srv.Close()
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
