package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
)

// doctorArgs are doctor's flags for a test fake: no rate limit of its own.
func doctorArgs(baseURL, db string, extra ...string) []string {
	return append([]string{"doctor", "--base-url", baseURL, "--db", db, "--rate", "-1", "--backoff", "5ms"}, extra...)
}

// checkLines are doctor's result lines, "[status] Title: summary".
var checkLine = regexp.MustCompile(`(?m)^\[(pass|note|warn|fail|-)\] ([^:]+): (.*)$`)

func checkLines(out string) map[string]string {
	got := map[string]string{}
	for _, m := range checkLine.FindAllStringSubmatch(out, -1) {
		got[m[2]] = m[1]
	}
	return got
}

func failedChecks(out string) []string {
	var failed []string
	for _, m := range checkLine.FindAllStringSubmatch(out, -1) {
		if m[1] == "fail" {
			failed = append(failed, m[2])
		}
	}
	return failed
}

func TestDoctorOnAFreshMachineThenAfterASync(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 60})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")

	res := runBin(t, env, "", doctorArgs(srv.URL(), db)...)
	if res.code != 0 {
		t.Fatalf("doctor on a fresh machine: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	lines := checkLines(res.stdout)
	if len(lines) != 12 {
		t.Fatalf("%d check lines, want 12:\n%s", len(lines), res.stdout)
	}
	for title, st := range map[string]string{"Data file": "note", "Data file consistency": "-", "Last sync": "note", "Key accepted": "pass"} {
		if lines[title] != st {
			t.Errorf("%s: %s, want %s", title, lines[title], st)
		}
	}
	if !strings.Contains(res.stdout, "12 checks: 7 passed, 3 notes, 0 warnings, 0 failed, 2 skipped.") {
		t.Errorf("no summary line:\n%s", res.stdout)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("doctor created the data file: %v", err)
	}

	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	res = runBin(t, env, "", doctorArgs(srv.URL(), db)...)
	if res.code != 0 {
		t.Fatalf("doctor after a sync: exit %d\n%s", res.code, res.stdout)
	}
	for title, st := range checkLines(res.stdout) {
		want := "pass"
		if title == "Connection to Lever" {
			want = "note" // plain http to 127.0.0.1
		}
		if st != want {
			t.Errorf("%s: %s, want %s", title, st, want)
		}
	}
	assertNoKey(t, fakelever.KeyFull, "doctor's output", []byte(res.stdout), []byte(res.stderr))
}

func TestDoctorFailsOnlyTheMissingPermissions(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 20})
	res := runBin(t, keyEnv(t, fakelever.KeyMissingTwo), "", doctorArgs(srv.URL(), filepath.Join(t.TempDir(), "ls.db"))...)
	if res.code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitFailure, res.stdout)
	}
	if got := failedChecks(res.stdout); len(got) != 1 || got[0] != "Permissions" {
		t.Errorf("failed checks %v, want [Permissions]", got)
	}
	for _, want := range []string{
		`[fail] Permissions: the key lacks 2 of the 11 read permissions leversync uses: "find all tags" and "find all requisitions"`,
		`    fix: Lever keys cannot be edited: generate a new key with these ticked: "find all tags" and "find all requisitions"`,
		"Fix what failed (see each fix above), then run 'leversync doctor' again.",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// A local TLS server with a certificate this machine does not trust fails
// the connection check and names SSL_CERT_FILE; pointing SSL_CERT_FILE at
// its certificate then fixes it, as the fix says.
func TestDoctorTLSFailureAndItsFix(t *testing.T) {
	srv := httptest.NewTLSServer(fakelever.New(fakelever.Config{Seed: 4, Opportunities: 20, Rate: -1}))
	defer srv.Close()
	base := srv.URL + "/v1"
	db := filepath.Join(t.TempDir(), "ls.db")
	host := strings.TrimPrefix(srv.URL, "https://")

	res := runBin(t, keyEnv(t, fakelever.KeyFull), "", doctorArgs(base, db)...)
	if res.code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitFailure, res.stdout)
	}
	if got := failedChecks(res.stdout); len(got) != 1 || got[0] != "Connection to Lever" {
		t.Errorf("failed checks %v, want [Connection to Lever]", got)
	}
	want := "[fail] Connection to Lever: the secure (TLS) connection to " + host + " is not trusted: its certificate is not one this machine knows"
	if !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, "point SSL_CERT_FILE at that PEM file") {
		t.Errorf("output lacks the diagnosis or its fix:\n%s", res.stdout)
	}
	if !strings.Contains(res.stdout, "[-] Key accepted: skipped: Lever could not be reached") {
		t.Errorf("key check not skipped:\n%s", res.stdout)
	}

	pemFile := filepath.Join(t.TempDir(), "proxy-ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(pemFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	res = runBin(t, isolatedEnv(t, "LEVER_API_KEY="+fakelever.KeyFull, "SSL_CERT_FILE="+pemFile), "", doctorArgs(base, db)...)
	if res.code != 0 {
		t.Fatalf("with SSL_CERT_FILE: exit %d\n%s", res.code, res.stdout)
	}
	if !strings.Contains(res.stdout, "[pass] Connection to Lever: "+host+" answered over HTTPS in ") {
		t.Errorf("connection not trusted with SSL_CERT_FILE:\n%s", res.stdout)
	}
}

func TestDoctorNamesTheSyncHoldingTheFile(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 20})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	if res := runBin(t, env, "", syncArgs(srv, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	st, err := store.Open(db, store.Options{}) // as a running sync holds it
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res := runBin(t, env, "", doctorArgs(srv.URL(), db)...)
	if res.code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitFailure, res.stdout)
	}
	want := fmt.Sprintf("[fail] Data file: the data file is in use by another leversync process (pid %d)", os.Getpid())
	if !strings.Contains(res.stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, res.stdout)
	}
	if got := failedChecks(res.stdout); len(got) != 1 {
		t.Errorf("failed checks %v, want only the data file", got)
	}
}

func TestDoctorJSON(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 20})
	res := runBin(t, keyEnv(t, fakelever.KeyNoConfidential), "", doctorArgs(srv.URL(), filepath.Join(t.TempDir(), "ls.db"), "--json")...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var rep doctorReport
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, res.stdout)
	}
	ids := []steps.CheckID{steps.CheckKey, steps.CheckNetwork, steps.CheckMaintenance, steps.CheckKeyAccepted, steps.CheckPermissions,
		steps.CheckConfidential, steps.CheckRateLimit, steps.CheckDataFile, steps.CheckIntegrity, steps.CheckEnvironment, steps.CheckDisk, steps.CheckLastSync}
	if len(rep.Checks) != len(ids) {
		t.Fatalf("%d checks, want %d", len(rep.Checks), len(ids))
	}
	for i, c := range rep.Checks {
		if c.ID != ids[i] || c.Title == "" || c.Summary == "" {
			t.Errorf("check %d: %+v", i, c)
		}
	}
	conf := rep.Checks[5]
	if conf.Status != steps.Warn || !strings.Contains(conf.Fix, "generate a new key") {
		t.Errorf("confidential: %+v", conf)
	}
	if rep.Failed || rep.Target.BaseURL != srv.URL() || rep.Version == "" || rep.OS == "" {
		t.Errorf("report header: %+v", rep)
	}
}

func TestDoctorUsageErrors(t *testing.T) {
	env := isolatedEnv(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "ls.db")
	if err := os.WriteFile(db, []byte("stands for a data file"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"doctor", "--env", "mars"},
		{"doctor", "now"},
		{"doctor", "--base-url", "http://lever.example/v1"},
		{"doctor", "--db", db, "--report", db},
		// The data file, spelt another way.
		{"doctor", "--db", db, "--report", dir + string(filepath.Separator) + "." + string(filepath.Separator) + "ls.db"},
	} {
		if res := runBin(t, env, "", args...); res.code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, res.code, exitUsage, res.stderr)
		}
	}
	if b, _ := os.ReadFile(db); string(b) != "stands for a data file" {
		t.Errorf("the data file was overwritten: %q", b)
	}
}

// The support bundle leaves out the key and every candidate's personal
// data, and says what it holds.
func TestDoctorReportHoldsNoKeyNorPersonalData(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 9, Opportunities: 80})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	if res := runBin(t, env, "", syncArgs(srv, db, "--details")...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	report := filepath.Join(t.TempDir(), "bundle.txt")
	res := runBin(t, isolatedEnv(t), fakelever.KeyFull+"\n", doctorArgs(srv.URL(), db, "--key-stdin", "--report", report)...)
	if res.code != 0 {
		t.Fatalf("doctor --report: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"Support bundle written to " + report + " (readable only by you).", "It holds the leversync version", "Read it before you send it."} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	info, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v, want 0600", info.Mode().Perm())
	}
	bundle, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	assertNoKey(t, fakelever.KeyFull, "the support bundle", bundle)
	if !strings.Contains(string(bundle), "[pass] Key accepted:") || !strings.Contains(string(bundle), "opportunities: 80 stored") {
		t.Errorf("the bundle lacks the checks or the statistics:\n%s", bundle)
	}

	var personal []string
	for _, raw := range srv.Expected("opportunities") {
		var o struct {
			Name   string   `json:"name"`
			Emails []string `json:"emails"`
			Links  []string `json:"links"`
			Phones []struct {
				Value string `json:"value"`
			} `json:"phones"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		personal = append(personal, o.Name)
		personal = append(personal, o.Emails...)
		personal = append(personal, o.Links...)
		for _, p := range o.Phones {
			personal = append(personal, p.Value)
		}
	}
	notes := runBin(t, env, "", "export", "--db", db, "--resource", "notes")
	for line := range strings.SplitSeq(strings.TrimSpace(notes.stdout), "\n") {
		var n struct{ Text string }
		if err := json.Unmarshal([]byte(line), &n); err != nil {
			t.Fatalf("export notes: %v", err)
		}
		personal = append(personal, n.Text)
	}
	if len(personal) < 300 {
		t.Fatalf("only %d personal values from the fake: the test proves little", len(personal))
	}
	for _, p := range personal {
		if p != "" && strings.Contains(string(bundle), p) {
			t.Errorf("the bundle holds %q", p)
		}
	}
}

// doctor says which key source wins, and that a different one is ignored.
func TestDoctorSaysWhichKeyWins(t *testing.T) {
	srv := startFake(t, fakelever.Config{Seed: 4, Opportunities: 20})
	env := isolatedEnv(t)
	if res := runBin(t, env, fakelever.KeyFull+"\n", "login", "--key-stdin", "--base-url", srv.URL()); res.code != 0 {
		t.Fatalf("login: exit %d: %s", res.code, res.stderr)
	}
	db := filepath.Join(t.TempDir(), "ls.db")
	res := runBin(t, env, "", doctorArgs(srv.URL(), db)...)
	if !strings.Contains(res.stdout, "[pass] API key: using the key saved for Custom API root in ") {
		t.Errorf("saved key:\n%s", res.stdout)
	}
	res = runBin(t, append(env, "LEVER_API_KEY="+fakelever.KeyReadOnly), "", doctorArgs(srv.URL(), db)...)
	if !strings.Contains(res.stdout, "[note] API key: using the key from LEVER_API_KEY; the saved key is a different one, not used") {
		t.Errorf("LEVER_API_KEY over a saved key:\n%s", res.stdout)
	}
	assertNoKey(t, fakelever.KeyFull, "doctor's output", []byte(res.stdout), []byte(res.stderr))
	assertNoKey(t, fakelever.KeyReadOnly, "doctor's output", []byte(res.stdout), []byte(res.stderr))
}

// A data file synced from one Lever account is diagnosed, before sync
// refuses it, when another account answers at the same API root (the
// account's ids differ) or the file's root is another.
func TestDoctorNamesAFileOfAnotherAccount(t *testing.T) {
	a := startFake(t, fakelever.Config{Seed: 51, Opportunities: 20})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "ls.db")
	if res := runBin(t, env, "", syncArgs(a, db)...); res.code != 0 {
		t.Fatalf("sync: exit %d: %s", res.code, res.stderr)
	}
	if res := runBin(t, env, "", doctorArgs(a.URL(), db)...); res.code != 0 || checkLines(res.stdout)["Data file's Lever account"] != "pass" {
		t.Fatalf("doctor of the account that filled the file: exit %d\n%s", res.code, res.stdout)
	}

	environment := func(name, baseURL string) steps.Finding {
		t.Helper()
		res := runBin(t, env, "", doctorArgs(baseURL, db, "--json")...)
		if res.code != exitFailure {
			t.Fatalf("%s: exit %d, want %d\n%s%s", name, res.code, exitFailure, res.stdout, res.stderr)
		}
		var rep doctorReport
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Fatalf("%s: stdout is not one JSON report: %v\n%s", name, err, res.stdout)
		}
		var found steps.Finding
		for _, c := range rep.Checks {
			if c.Status == steps.Fail && c.ID != steps.CheckEnvironment {
				t.Errorf("%s: %s failed too: %s", name, c.ID, c.Summary)
			}
			if c.ID == steps.CheckEnvironment {
				found = c
			}
		}
		if found.Status != steps.Fail {
			t.Fatalf("%s: the data file's environment check: %+v, want fail", name, found)
		}
		return found
	}

	other := restartFake(t, a, fakelever.Config{Seed: 52, Opportunities: 20})
	f := environment("another account at the same root", other.URL())
	if want := "the data file was filled from another Lever account than the one this key opens"; f.Summary != want {
		t.Errorf("summary %q\nwant    %q", f.Summary, want)
	}
	if want := "to use this file, use the key of the Lever account that filled it; for the account this key opens, pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)"; f.Fix != want {
		t.Errorf("fix %q\nwant %q", f.Fix, want)
	}

	b := startFake(t, fakelever.Config{Seed: 51, Opportunities: 20})
	f = environment("the same account's data at another root", b.URL())
	if want := "the data file holds the data of the Lever account at " + a.URL() + ", and this is " + b.URL(); f.Summary != want {
		t.Errorf("summary %q\nwant    %q", f.Summary, want)
	}
	if want := "to use this file, run with --base-url " + a.URL() + "; for " + b.URL() + ", pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)"; f.Fix != want {
		t.Errorf("fix %q\nwant %q", f.Fix, want)
	}
}

// TestDoctorReportNeverReplacesWhatIsNotAFile: --report naming a folder, a
// named pipe, a symbolic link or a file in a missing folder exits 6 before
// any check runs, and leaves what is there as it was.
func TestDoctorReportNeverReplacesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.txt")
	if err := os.WriteFile(target, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	env := isolatedEnv(t)
	for what, path := range map[string]string{"a folder": dir, "a named pipe": fifo, "a symbolic link": link, "a missing folder": filepath.Join(dir, "none", "r.txt")} {
		// An API root nothing answers: any check that ran would take seconds.
		res := runBin(t, env, "", "doctor", "--base-url", "http://127.0.0.1:1/v1", "--db", filepath.Join(dir, "ls.db"), "--report", path)
		if res.code != exitStore || strings.Contains(res.stdout, "Connection") {
			t.Errorf("doctor --report %s: exit %d, want %d before any check:\n%s%s", what, res.code, exitStore, res.stdout, res.stderr)
		}
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v", err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Errorf("the link's target changed: %q", b)
	}
}
