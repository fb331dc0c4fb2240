package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
)

// fastDoctor tunes the doctor's client for an unlimited fake Lever.
var fastDoctor = lever.Options{Rate: -1, MaxRetries: 2, BaseBackoff: time.Millisecond}

// doctorOn is a doctor of fake's Production with key, where the fake
// stands for Lever's own hosts, and db as the data file.
func doctorOn(fake *fakelever.Server, key, db string) DoctorConfig {
	return DoctorConfig{
		Target:    Target{Env: lever.Production, BaseURL: fake.URL()},
		Key:       lever.NewAPIKey(key),
		KeySource: steps.KeyFromEnv,
		DBPath:    db,
		Hosts:     map[lever.Environment]string{lever.Production: fake.URL(), lever.Sandbox: fake.SandboxURL()},
		Client:    fastDoctor,
		Store:     store.Options{Timeout: 300 * time.Millisecond},
	}
}

func runDoctor(t *testing.T, cfg DoctorConfig) steps.Diagnosis {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return NewDoctor(cfg).Run(ctx, nil)
}

// syncTo runs a whole sync of t into db and returns its error.
func syncTo(tb testing.TB, target Target, key, db string, so store.Options) error {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := Start(ctx, SyncJob{Target: target, Key: lever.NewAPIKey(key), DBPath: db, Store: so,
		Client: lever.Options{Rate: -1, MaxRetries: 2, BaseBackoff: time.Millisecond}})
	if err != nil {
		return err
	}
	for range run.Events() {
	}
	_, err = run.Wait()
	return err
}

func syncedDB(t *testing.T, fake *fakelever.Server) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "leversync.db")
	if err := syncTo(t, Target{Env: lever.Production, BaseURL: fake.URL()}, fakelever.KeyFull, db, store.Options{}); err != nil {
		t.Fatalf("sync: %v", err)
	}
	return db
}

func verdicts(d steps.Diagnosis) string {
	var b []string
	for _, f := range d.Findings {
		b = append(b, fmt.Sprintf("%s=%s", f.ID, f.Status))
	}
	return strings.Join(b, " ")
}

func finding(t *testing.T, d steps.Diagnosis, id steps.CheckID) steps.Finding {
	t.Helper()
	for _, f := range d.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no %s check", id)
	return steps.Finding{}
}

// onlyFails asserts that the checks in ids fail and no other does.
func onlyFails(t *testing.T, d steps.Diagnosis, ids ...steps.CheckID) {
	t.Helper()
	for _, f := range d.Findings {
		if (f.Status == steps.Fail) != slices.Contains(ids, f.ID) {
			t.Errorf("%s: %s (%s)", f.ID, f.Status, f.Summary)
		}
	}
}

func TestDoctorPassesAHealthyFake(t *testing.T) {
	fake := startFake(t)
	d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, syncedDB(t, fake)))
	want := "key=pass network=note maintenance=pass key_accepted=pass permissions=pass confidential=pass rate_limit=pass " +
		"data_file=pass integrity=pass environment=pass disk=pass last_sync=pass"
	if got := verdicts(d); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if f := finding(t, d, steps.CheckDataFile); f.Summary != "opens; 30 candidates and 5 jobs stored" {
		t.Errorf("data file: %q", f.Summary)
	}
}

func TestDoctorOnAFreshMachinePassesWithNotes(t *testing.T) {
	fake := startFake(t)
	db := filepath.Join(t.TempDir(), "nothing-yet", "leversync.db")
	d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, db))
	want := "key=pass network=note maintenance=pass key_accepted=pass permissions=pass confidential=pass rate_limit=pass " +
		"data_file=note integrity=skipped environment=skipped disk=pass last_sync=note"
	if got := verdicts(d); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := os.Stat(filepath.Dir(db)); !os.IsNotExist(err) {
		t.Errorf("doctor created the data folder: %v", err)
	}
}

// The fake's keys: each broken key fails exactly the matching check.
func TestDoctorDiagnosesTheFakesKeys(t *testing.T) {
	fake := startFake(t)
	db := syncedDB(t, fake)
	cases := []struct {
		name    string
		key     string
		check   steps.CheckID
		status  steps.Status
		summary string
		check2  func(t *testing.T, f steps.Finding)
	}{
		{"sandbox key on production", fakelever.KeySandbox, steps.CheckKeyAccepted, steps.Fail,
			"this key belongs to Lever Sandbox, not Production", func(t *testing.T, f steps.Finding) {
				if f.BelongsTo != lever.Sandbox {
					t.Errorf("belongs to %q", f.BelongsTo)
				}
			}},
		{"unknown key", "fakeleverNoSuchKey4Hx8Lp2Vb6Tq1Zr9Wm3Ck7Dn5", steps.CheckKeyAccepted, steps.Fail,
			"Lever Production rejected the key (401): it was revoked or mistyped", func(t *testing.T, f steps.Finding) {
				if !slices.Contains(f.Evidence, "Lever Sandbox rejected it too (401)") {
					t.Errorf("Sandbox was not asked: %q", f.Evidence)
				}
			}},
		{"missing two", fakelever.KeyMissingTwo, steps.CheckPermissions, steps.Fail,
			`the key lacks 2 of the 11 read permissions leversync uses: "find all tags" and "find all requisitions"`, func(t *testing.T, f steps.Finding) {
				if !slices.Equal(f.Missing, []string{"find all tags", "find all requisitions"}) {
					t.Errorf("missing %v", f.Missing)
				}
				if !strings.HasPrefix(f.Fix, "Lever keys cannot be edited: generate a new key with these ticked") {
					t.Errorf("fix %q", f.Fix)
				}
			}},
		{"no confidential access", fakelever.KeyNoConfidential, steps.CheckConfidential, steps.Warn,
			`the key has no "Allow access to confidential data": confidential jobs and candidates are left out`, nil},
		{"read-only", fakelever.KeyReadOnly, steps.CheckPermissions, steps.Note,
			"all 11 read permissions leversync uses are granted; the key has no write permission, which leversync does not need", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := runDoctor(t, doctorOn(fake, c.key, db))
			if c.status == steps.Fail {
				onlyFails(t, d, c.check)
			} else {
				onlyFails(t, d)
			}
			f := finding(t, d, c.check)
			if f.Status != c.status || f.Summary != c.summary {
				t.Errorf("got %s %q\nwant %s %q", f.Status, f.Summary, c.status, c.summary)
			}
			if c.check2 != nil {
				c.check2(t, f)
			}
		})
	}
}

// A key given for an API root that is not Lever's own goes nowhere else.
func TestDoctorNeverSendsACustomRootsKeyElsewhere(t *testing.T) {
	proxy, lever2 := startFake(t), startFake(t)
	cfg := doctorOn(lever2, "fakeleverNoSuchKey4Hx8Lp2Vb6Tq1Zr9Wm3Ck7Dn5", filepath.Join(t.TempDir(), "x.db"))
	cfg.Target = Target{Env: lever.Custom, BaseURL: proxy.URL()}
	d := runDoctor(t, cfg)
	onlyFails(t, d, steps.CheckKeyAccepted)
	f := finding(t, d, steps.CheckKeyAccepted)
	if want := "the API root " + proxy.URL() + " rejected the key (401): it was revoked or mistyped"; f.Summary != want {
		t.Errorf("summary %q\nwant    %q", f.Summary, want)
	}
	if n := lever2.Stats().Requests; n != 0 {
		t.Errorf("the key was sent to Lever's hosts (%d requests)", n)
	}
}

// A TLS server on 127.0.0.1 with a certificate nobody trusts stands for an
// HTTPS-inspecting proxy; trusting its certificate fixes it.
func TestDoctorNamesProxyAndCertificateSettingsOnTLSFailure(t *testing.T) {
	srv := httptest.NewTLSServer(fakelever.New(fakelever.Config{Opportunities: 10, Rate: -1}))
	defer srv.Close()
	cfg := DoctorConfig{
		Target: Target{Env: lever.Custom, BaseURL: srv.URL + "/v1"}, Key: lever.NewAPIKey(fakelever.KeyFull), KeySource: steps.KeyFromEnv,
		DBPath: filepath.Join(t.TempDir(), "x.db"), Client: fastDoctor,
		Getenv: func(name string) string {
			return map[string]string{"HTTPS_PROXY": "http://alice:s3cret@proxy.example:3128", "NO_PROXY": "localhost"}[name]
		},
	}
	d := runDoctor(t, cfg)
	onlyFails(t, d, steps.CheckNetwork)
	f := finding(t, d, steps.CheckNetwork)
	host := strings.TrimPrefix(srv.URL, "https://")
	if want := "the secure (TLS) connection to " + host + " is not trusted: its certificate is not one this machine knows"; f.Summary != want {
		t.Errorf("summary %q", f.Summary)
	}
	for _, s := range []string{"SSL_CERT_FILE", "HTTPS_PROXY", "NO_PROXY"} {
		if !strings.Contains(f.Fix, s) {
			t.Errorf("the fix does not name %s: %q", s, f.Fix)
		}
	}
	ev := strings.Join(f.Evidence, "\n")
	if !strings.Contains(ev, "HTTPS_PROXY=http://proxy.example:3128") || strings.Contains(ev, "s3cret") {
		t.Errorf("evidence should name the proxy without its password: %q", ev)
	}
	for _, id := range []steps.CheckID{steps.CheckMaintenance, steps.CheckKeyAccepted, steps.CheckPermissions, steps.CheckConfidential, steps.CheckRateLimit} {
		if g := finding(t, d, id); g.Status != steps.Skip {
			t.Errorf("%s: %s, want skipped", id, g.Status)
		}
	}

	cfg.Client.HTTPClient = srv.Client() // trusts the certificate, as SSL_CERT_FILE would
	d = runDoctor(t, cfg)
	onlyFails(t, d)
	if f := finding(t, d, steps.CheckNetwork); f.Status != steps.Pass {
		t.Errorf("with the certificate trusted: %s %s", f.Status, f.Summary)
	}
}

// Go never sends loopback requests through HTTPS_PROXY, so a broken proxy
// in front of the fake is injected at the HTTP client's Proxy hook.
func TestDoctorNamesABrokenProxy(t *testing.T) {
	fake := startFake(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	proxyURL, _ := url.Parse(dead)
	cfg := doctorOn(fake, fakelever.KeyFull, filepath.Join(t.TempDir(), "x.db"))
	cfg.Client.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	d := runDoctor(t, cfg)
	onlyFails(t, d, steps.CheckNetwork)
	f := finding(t, d, steps.CheckNetwork)
	if want := "the proxy " + dead + " did not pass the connection to " + strings.TrimPrefix(fake.URL(), "http://")[:len(strings.TrimPrefix(fake.URL(), "http://"))-len("/v1")] + " through"; f.Summary != want {
		t.Errorf("summary %q\nwant    %q", f.Summary, want)
	}
	if !strings.HasPrefix(f.Fix, "check HTTPS_PROXY") {
		t.Errorf("fix %q", f.Fix)
	}
}

// maintenance answers every request as Lever does during maintenance.
func maintenance() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"code":"ServiceUnavailable","message":"Lever is down for scheduled maintenance"}`)
	})
}

func TestDoctorReportsMaintenance(t *testing.T) {
	srv := httptest.NewServer(maintenance())
	defer srv.Close()
	cfg := DoctorConfig{Target: Target{Env: lever.Custom, BaseURL: srv.URL + "/v1"}, Key: lever.NewAPIKey(fakelever.KeyFull),
		KeySource: steps.KeyFromEnv, DBPath: filepath.Join(t.TempDir(), "x.db"), Client: fastDoctor}
	d := runDoctor(t, cfg)
	onlyFails(t, d, steps.CheckMaintenance)
	if f := finding(t, d, steps.CheckMaintenance); f.Summary != "Lever answered 503 Service Unavailable: it is down for maintenance" {
		t.Errorf("summary %q", f.Summary)
	}
	if f := finding(t, d, steps.CheckKeyAccepted); f.Summary != "skipped: Lever is not available (see Lever available)" {
		t.Errorf("key accepted: %q", f.Summary)
	}
}

// A flaky Lever (503s, dropped connections, truncated bodies) is retried
// through: nothing fails.
func TestDoctorRidesOutAFlakyLever(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 30, Postings: 5, Rate: -1, Faults: 0.2, Seed: 5}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	cfg := doctorOn(fake, fakelever.KeyFull, filepath.Join(t.TempDir(), "x.db"))
	cfg.Client.MaxRetries = 6
	d := runDoctor(t, cfg)
	onlyFails(t, d)
	if f := finding(t, d, steps.CheckKeyAccepted); f.Status != steps.Pass {
		t.Errorf("key accepted: %s %s", f.Status, f.Summary)
	}
	if fake.Stats().Faults == 0 {
		t.Error("the fake injected no fault: the test proves nothing")
	}
}

// Another integration spending the same key's budget makes Lever answer
// 429 to the doctor's low rate.
func TestDoctorSeesAnotherIntegrationOnTheKey(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 30, Postings: 5}, "127.0.0.1:0") // Lever's 10/s, bursts of 20
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	// The other integration drains the key's burst, then keeps 5 requests/s.
	other, err := lever.NewClient(lever.Options{BaseURL: fake.URL(), Key: lever.NewAPIKey(fakelever.KeyFull), Rate: 5, Burst: 25, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			_, _ = other.ListPage(ctx, "/stages", nil, "")
		}
	})
	defer func() { stop(); wg.Wait() }()
	for fake.Stats().Served429 == 0 { // the key's bucket is empty
		time.Sleep(20 * time.Millisecond)
	}

	// The doctor at 8 requests/s, under Lever's 10, with quick retries.
	cfg := doctorOn(fake, fakelever.KeyFull, filepath.Join(t.TempDir(), "x.db"))
	cfg.Client = lever.Options{Rate: 8, MaxRetries: 20, BaseBackoff: 50 * time.Millisecond, MaxRetryAfter: 250 * time.Millisecond}
	d := runDoctor(t, cfg)
	f := finding(t, d, steps.CheckRateLimit)
	if f.Status != steps.Warn || !strings.HasSuffix(f.Summary, "although doctor sent at no more than 8 requests/s, under the key's limit of 10/s: another integration probably uses this key's budget (Lever allows 10 requests/s per key)") {
		t.Errorf("rate limit: %s %q", f.Status, f.Summary)
	}
	onlyFails(t, d)
}

func TestDoctorNamesTheProcessHoldingTheDataFile(t *testing.T) {
	fake := startFake(t)
	db := syncedDB(t, fake)
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, db))
	onlyFails(t, d, steps.CheckDataFile)
	f := finding(t, d, steps.CheckDataFile)
	if want := fmt.Sprintf("the data file is in use by another leversync process (pid %d)", os.Getpid()); f.Summary != want {
		t.Errorf("summary %q\nwant    %q", f.Summary, want)
	}
	for _, id := range []steps.CheckID{steps.CheckIntegrity, steps.CheckEnvironment, steps.CheckLastSync} {
		if g := finding(t, d, id); g.Summary != "skipped: the data file did not open (see Data file)" {
			t.Errorf("%s: %q", id, g.Summary)
		}
	}
}

func TestDoctorDiagnosesBrokenDataFiles(t *testing.T) {
	fake := startFake(t)
	cases := []struct {
		name    string
		breakIt func(t *testing.T, db string)
		check   steps.CheckID
		summary string
	}{
		{"not a data file", func(t *testing.T, db string) {
			junk := make([]byte, 64<<10)
			_, _ = rand.Read(junk)
			if err := os.WriteFile(db, junk, 0o600); err != nil {
				t.Fatal(err)
			}
		}, steps.CheckDataFile, "the data file is damaged, or is not a leversync data file"},
		{"counts that disagree with the records", func(t *testing.T, db string) {
			editBolt(t, db, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("counts")).Put([]byte(lever.Users), binary.BigEndian.AppendUint64(nil, 999))
			})
		}, steps.CheckIntegrity, "the data file is damaged"},
		{"written by a newer leversync", func(t *testing.T, db string) {
			editBolt(t, db, func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("99")) })
		}, steps.CheckDataFile, fmt.Sprintf("the data file was written by a newer leversync (format 99; this one knows up to %d)", store.SchemaVersion())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := syncedDB(t, fake)
			c.breakIt(t, db)
			d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, db))
			onlyFails(t, d, c.check)
			if f := finding(t, d, c.check); f.Summary != c.summary {
				t.Errorf("summary %q\nwant    %q", f.Summary, c.summary)
			}
		})
	}
}

// editBolt damages a data file the way a bug or a crash might.
func editBolt(t *testing.T, db string, fn func(*bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorNamesAFileOfAnotherEnvironment(t *testing.T) {
	fake := startFake(t)
	db := filepath.Join(t.TempDir(), "leversync.db")
	if err := syncTo(t, Target{Env: lever.Sandbox, BaseURL: fake.SandboxURL()}, fakelever.KeySandbox, db, store.Options{}); err != nil {
		t.Fatal(err)
	}
	d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, db))
	onlyFails(t, d, steps.CheckEnvironment)
	f := finding(t, d, steps.CheckEnvironment)
	if f.Summary != "the data file holds Sandbox data, and this is Production" ||
		f.Fix != "to use this file, run with --env sandbox; for Production, pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)" {
		t.Errorf("got %q / %q", f.Summary, f.Fix)
	}
}

// A data file filled from another Lever account passes no more in doctor
// than in sync: at the same API root, the account's ids (Lever's, read with
// the key) share none with the file's; at another root, the root differs.
func TestDoctorNamesAFileOfAnotherAccount(t *testing.T) {
	fake := startFake(t)
	db := syncedDB(t, fake)
	root := fake.URL()
	addr := strings.TrimSuffix(strings.TrimPrefix(root, "http://"), "/v1")
	_ = fake.Close()
	other, err := fakelever.Start(fakelever.Config{Seed: 7, Opportunities: 30, Postings: 5, Users: 4, Rate: -1}, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	if other.URL() != root {
		t.Fatalf("the second fake answers at %s, want %s", other.URL(), root)
	}
	d := runDoctor(t, doctorOn(other, fakelever.KeyFull, db))
	onlyFails(t, d, steps.CheckEnvironment)
	f := finding(t, d, steps.CheckEnvironment)
	if f.Summary != "the data file was filled from another Lever account than the one this key opens" ||
		f.Fix != "to use this file, use the key of the Lever account that filled it; for the account this key opens, pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)" {
		t.Errorf("got %q / %q", f.Summary, f.Fix)
	}
	// What doctor says, sync does: it refuses the file.
	if err := syncTo(t, Target{Env: lever.Production, BaseURL: other.URL()}, fakelever.KeyFull, db, store.Options{}); !errors.Is(err, store.ErrOtherAccount) {
		t.Fatalf("sync of the foreign file: %v, want ErrOtherAccount", err)
	}

	elsewhere := startFake(t)
	d = runDoctor(t, doctorOn(elsewhere, fakelever.KeyFull, db))
	onlyFails(t, d, steps.CheckEnvironment)
	f = finding(t, d, steps.CheckEnvironment)
	if want := fmt.Sprintf("the data file holds the data of the Lever account at %s, and this is %s", root, elsewhere.URL()); f.Summary != want {
		t.Errorf("summary %q\nwant    %q", f.Summary, want)
	}
}

// A full disk is simulated with the store's size limit (store.Options.
// MaxSize), the seam sync --max-db-size uses too.
func TestDoctorSeesAFullDisk(t *testing.T) {
	fake := startFake(t)
	db := syncedDB(t, fake)
	info, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	cfg := doctorOn(fake, fakelever.KeyFull, db)
	cfg.Store.MaxSize = int(info.Size()) + 100<<10
	d := runDoctor(t, cfg)
	onlyFails(t, d, steps.CheckDisk)
	if f := finding(t, d, steps.CheckDisk); f.Summary != `only 102.4 kB left for the data file under its size limit: a sync would stop with "disk full"` {
		t.Errorf("summary %q", f.Summary)
	}

	// A first sync that ran out of room: its failure and the room left.
	big, err := fakelever.Start(fakelever.Config{Opportunities: 3000, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	small := filepath.Join(t.TempDir(), "small.db")
	limit := store.Options{MaxSize: 1 << 20}
	if err := syncTo(t, Target{Env: lever.Production, BaseURL: big.URL()}, fakelever.KeyFull, small, limit); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("the sync into 1 MB: %v, want disk full", err)
	}
	cfg = doctorOn(big, fakelever.KeyFull, small)
	cfg.Store.MaxSize = limit.MaxSize
	d = runDoctor(t, cfg)
	onlyFails(t, d, steps.CheckDisk, steps.CheckLastSync)
	if f := finding(t, d, steps.CheckLastSync); !strings.HasPrefix(f.Summary, "the first sync failed (started ") || !strings.Contains(f.Summary, "the disk is full") {
		t.Errorf("last sync: %q", f.Summary)
	}
}

// interruptedFirstSync syncs until at least n candidates are stored, then
// stops, as a user's ctrl+c would.
func interruptedFirstSync(t *testing.T, fake *fakelever.Server, db string, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// At 50 requests/s the sync is still reading candidates when stopped
	// (it reads up to 8 pages a window ahead of what it has stored).
	run, err := Start(ctx, SyncJob{Target: Target{Env: lever.Production, BaseURL: fake.URL()}, Key: lever.NewAPIKey(fakelever.KeyFull), DBPath: db,
		Client: lever.Options{Rate: 50, Burst: 5}})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range run.Events() {
		if ev.Type == syncer.EventPageStored && ev.Resource == lever.Opportunities && ev.Total >= n {
			cancel()
		}
	}
	if _, err := run.Wait(); err == nil {
		t.Fatal("the sync finished before it was stopped: the test proves nothing")
	}
}

// A first sync reads its windows newest first, so the range of creation
// times is known once the oldest candidates are reached. Until then doctor
// says so, at every stop; from then on its estimate of the total is close
// (the fake spreads creation times evenly). When the oldest window is read
// last, no stop shows an estimate; the arithmetic itself is tested in
// steps.
func TestDoctorEstimatesAnInterruptedFirstSync(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 6000, Postings: 20, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	db := filepath.Join(t.TempDir(), "leversync.db")
	estimates := 0
	for n := 1000; n < 5500; n += 1000 {
		interruptedFirstSync(t, fake, db, n)
		d := runDoctor(t, doctorOn(fake, fakelever.KeyFull, db))
		onlyFails(t, d)
		f := finding(t, d, steps.CheckLastSync)
		if f.Status != steps.Note || !strings.HasPrefix(f.Summary, "the first sync stopped before its end (started ") {
			t.Fatalf("last sync: %s %q", f.Status, f.Summary)
		}
		if f.Estimate == nil {
			if slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, "every candidate is read") }) {
				break // the sync read ahead of where it was stopped
			}
			if !slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, "the oldest candidates are not reached yet") }) {
				t.Fatalf("no estimate, and not because the oldest candidates are not reached: %q", f.Evidence)
			}
			continue
		}
		estimates++
		if !strings.Contains(f.Summary, " at Lever's rate limit (10 requests/s)") {
			t.Errorf("last sync: %q", f.Summary)
		}
		var share, stored, total int
		for _, e := range f.Evidence {
			if _, err := fmt.Sscanf(e, "about %d%% of the candidates' creation-time range is read: %d of an estimated %d candidates", &share, &stored, &total); err == nil {
				break
			}
		}
		if share < 2 || share > 100 || total < 5400 || total > 6600 {
			t.Errorf("estimate %d%%, %d of %d candidates (the fake has 6000): %q", share, stored, total, f.Evidence)
		}
		if e := f.Estimate; e.Total != total || e.Stored != stored || e.RemainingSeconds < 0 {
			t.Errorf("the finding's estimate %+v does not match its evidence", e)
		}
	}
	t.Logf("%d of the stops had an estimate", estimates)
}

// The wizard's diagnosis reads the data file through the sync it runs.
func TestWizardDiagnosisWhileItsSyncRuns(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Opportunities: 20000, Postings: 20, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	_, cfg := fakeServices(t, fake, false)
	cfg.Client = lever.Options{Rate: 20, Burst: 5, MaxRetries: 1} // about 11 s of sync
	svc := NewServices(cfg)
	s := steps.NewState()
	s.Step, s.Completed = steps.StepSync, true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, err := svc.StartSync(ctx, s, lever.NewAPIKey(fakelever.KeyFull))
	if err != nil {
		t.Fatal(err)
	}
	for ev := range run.Events() {
		if ev.Type == syncer.EventPageStored && ev.Resource == lever.Opportunities {
			break
		}
	}
	progress := make(chan steps.Finding, 64)
	d := svc.(steps.Diagnoser).Diagnose(ctx, s, lever.NewAPIKey(fakelever.KeyFull), progress)
	cancel()
	for range run.Events() {
	}
	_, _ = run.Wait()

	onlyFails(t, d)
	if f := finding(t, d, steps.CheckKey); f.Summary != "using the key pasted in the wizard" {
		t.Errorf("key: %q", f.Summary)
	}
	if f := finding(t, d, steps.CheckDataFile); f.Status != steps.Pass {
		t.Errorf("data file: %s %s", f.Status, f.Summary)
	}
	if f := finding(t, d, steps.CheckLastSync); f.Status != steps.Pass || !strings.HasPrefix(f.Summary, "the first sync is running (started ") {
		t.Errorf("last sync: %s %q", f.Status, f.Summary)
	}
	if len(progress) != 2*len(d.Findings) {
		t.Errorf("%d progress messages for %d checks", len(progress), len(d.Findings))
	}
}

// The wizard's diagnosis of a saved key says where it is kept.
func TestWizardDiagnosisOfTheSavedKey(t *testing.T) {
	fake := startFake(t)
	svc, cfg := fakeServices(t, fake, false)
	creds := &config.Credentials{ConfigDir: cfg.Config.SettingsDir}
	where, err := creds.Save(fake.URL(), lever.NewAPIKey(fakelever.KeySandbox))
	if err != nil {
		t.Fatal(err)
	}
	s := steps.NewState()
	d := svc.(steps.Diagnoser).Diagnose(context.Background(), s, lever.APIKey{}, nil)
	if f := finding(t, d, steps.CheckKey); f.Summary != "using the key saved for Production in "+where.String() {
		t.Errorf("key: %q", f.Summary)
	}
	f := finding(t, d, steps.CheckKeyAccepted)
	if f.BelongsTo != lever.Sandbox {
		t.Errorf("key accepted: %s %q", f.Status, f.Summary)
	}
	onlyFails(t, d, steps.CheckKeyAccepted)
}

// TestProxySettingsAreShownWithoutPasswords: a proxy setting is shown
// without its user and password however it is written, including without
// a scheme, which Go's proxy settings read as http://.
func TestProxySettingsAreShownWithoutPasswords(t *testing.T) {
	for in, want := range map[string]string{
		"http://alice:s3cret@proxy.example:3128": "http://proxy.example:3128",
		"alice:s3cret@proxy.example:3128":        "proxy.example:3128",
		"alice:s3cret@10.0.0.5:3128":             "10.0.0.5:3128",
		"socks5://alice:s3cret@10.0.0.5:1080":    "socks5://10.0.0.5:1080",
		"alice@proxy.example":                    "proxy.example",
		"proxy.example:3128":                     "proxy.example:3128",
		"http://proxy.example:3128":              "http://proxy.example:3128",
		"al%zzice:s3cret@proxy.example":          "(not shown: it is not a URL, and may hold a password)",
	} {
		if got := withoutUser(in); got != want || strings.Contains(got, "s3cret") || strings.Contains(got, "alice") {
			t.Errorf("withoutUser(%q) = %q, want %q", in, got, want)
		}
	}
}
