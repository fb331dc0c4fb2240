package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
	"github.com/leversync/leversync/lever/syncer"
)

// examiner is a table-driven Examiner: each method returns its field.
type examiner struct {
	target  TargetFacts
	key     KeyFacts
	reach   ReachFacts
	verify  error
	others  []HostAnswer
	probe   map[string]lever.ProbeStatus // by permission name; absent: granted
	conf    lever.ProbeStatus
	traffic TrafficFacts
	file    DataFileFacts
	disk    DiskFacts
	// account and accountErr are what Lever lists for the key's account.
	account    []string
	accountErr error

	calls []string
}

func (e *examiner) Target() TargetFacts { return e.target }
func (e *examiner) Key(context.Context) KeyFacts {
	e.calls = append(e.calls, "Key")
	return e.key
}
func (e *examiner) Reach(context.Context) ReachFacts {
	e.calls = append(e.calls, "Reach")
	return e.reach
}
func (e *examiner) VerifyKey(context.Context) error {
	e.calls = append(e.calls, "VerifyKey")
	return e.verify
}
func (e *examiner) OtherHosts(context.Context) []HostAnswer {
	e.calls = append(e.calls, "OtherHosts")
	return e.others
}
func (e *examiner) ProbeAll(_ context.Context, perms []permission.Permission, results chan<- lever.ProbeResult) {
	e.calls = append(e.calls, "ProbeAll")
	defer close(results)
	for _, p := range perms {
		st, ok := e.probe[p.Name]
		if !ok {
			st = lever.Granted
		}
		results <- lever.ProbeResult{Permission: p, Status: st, Detail: st.String()}
	}
}
func (e *examiner) ProbeConfidential(context.Context) lever.ProbeResult {
	e.calls = append(e.calls, "ProbeConfidential")
	return lever.ProbeResult{Permission: lever.ConfidentialAccess, Status: e.conf, Detail: e.conf.String()}
}
func (e *examiner) Traffic() TrafficFacts { return e.traffic }
func (e *examiner) DataFile(context.Context) DataFileFacts {
	e.calls = append(e.calls, "DataFile")
	return e.file
}
func (e *examiner) Account(context.Context) ([]string, error) {
	e.calls = append(e.calls, "Account")
	return e.account, e.accountErr
}
func (e *examiner) Disk(context.Context) DiskFacts { return e.disk }

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func ms(t time.Time) int64 { return t.UnixMilli() }

// healthy is a working set-up on Lever Production with a finished sync.
func healthy() *examiner {
	last := &syncer.RunState{ID: "r1", StartedAt: ms(now.Add(-2 * time.Hour)), FinishedAt: ms(now.Add(-time.Hour)), Result: syncer.ResultOK,
		Totals: map[lever.Resource]int{lever.Opportunities: 1200, lever.Postings: 30}}
	return &examiner{
		target:  TargetFacts{Env: lever.Production, BaseURL: lever.Production.BaseURL(), LeverHost: true},
		key:     KeyFacts{Source: KeyFromEnv, Key: lever.NewAPIKey("k3yThatLooksRight")},
		reach:   ReachFacts{Scheme: "https", Host: "api.lever.co", Addrs: []string{"192.0.2.1"}, Status: 401, Elapsed: 80 * time.Millisecond},
		conf:    lever.Granted,
		traffic: TrafficFacts{Requests: 26, Rate: 4},
		file: DataFileFacts{Path: "/data/leversync.db", Exists: true, Schema: 1, Known: 1, Size: 5 << 20,
			BoundEnv: lever.Production, BoundURL: lever.Production.BaseURL(), BoundAccount: []string{"reason-hired", "reason-withdrew"},
			Counts: map[lever.Resource]int{lever.Opportunities: 1200, lever.Postings: 30}, Last: last},
		disk:    DiskFacts{Dir: "/data", Free: 50 << 30, Room: -1},
		account: []string{"reason-hired", "reason-moved-on", "reason-withdrew"},
	}
}

func diagnose(t *testing.T, e *examiner) Diagnosis {
	t.Helper()
	ch := make(chan Finding, 64)
	d := Diagnose(context.Background(), e, func() time.Time { return now }, ch)
	close(ch)
	var started, finished int
	for f := range ch {
		if f.Status == Running {
			started++
		} else {
			finished++
		}
	}
	if started != len(d.Findings) || finished != len(d.Findings) {
		t.Fatalf("progress: %d started and %d finished for %d checks", started, finished, len(d.Findings))
	}
	return d
}

func find(t *testing.T, d Diagnosis, id CheckID) Finding {
	t.Helper()
	for _, f := range d.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no %s check in %+v", id, d.Findings)
	return Finding{}
}

// statuses renders every verdict, e.g. "key=pass network=fail ...".
func statuses(d Diagnosis) string {
	var b []string
	for _, f := range d.Findings {
		b = append(b, fmt.Sprintf("%s=%s", f.ID, f.Status))
	}
	return strings.Join(b, " ")
}

func TestHealthySetupPassesEveryCheck(t *testing.T) {
	d := diagnose(t, healthy())
	if d.Failed() {
		t.Fatalf("a healthy set-up failed: %s", statuses(d))
	}
	for _, f := range d.Findings {
		if f.Status != Pass {
			t.Errorf("%s: %s (%s), want pass", f.ID, f.Status, f.Summary)
		}
		if f.Title == "" || f.Summary == "" {
			t.Errorf("%s has no title or summary: %+v", f.ID, f)
		}
	}
	if got := find(t, d, CheckLastSync).Summary; got != "finished 1 h ago (took 1 h): 1200 candidates, 30 jobs" {
		t.Errorf("last sync: %q", got)
	}
}

// Each broken set-up fails exactly its own check, with the exact diagnosis
// and fix, and the checks that depend on it are skipped rather than failed.
func TestEachFailureFailsOnlyItsCheck(t *testing.T) {
	revoked := "copy the key again, whole, from where you saved it; if it is lost or was revoked, generate a new key (in Lever: Settings > Integrations and API > API Credentials > Generate New Key) and save the new key with 'leversync login --key-stdin' (or run 'leversync setup')"
	network := "check this machine's network connection; if your network needs a proxy, set HTTPS_PROXY to it (and NO_PROXY to the hosts that skip it), then run 'leversync doctor' again"
	cases := []struct {
		name        string
		breakIt     func(e *examiner)
		fails       CheckID
		summary     string
		fix         string
		skipped     []CheckID
		notExamined []string
	}{
		{
			name:    "no key anywhere",
			breakIt: func(e *examiner) { e.key = KeyFacts{Source: KeySaved} },
			fails:   CheckKey, summary: "no API key: none was given with --key-stdin or LEVER_API_KEY, and none is saved for Production",
			fix:         `save one with the wizard ('leversync') or with printf %s "$KEY" | leversync login --key-stdin, or set LEVER_API_KEY`,
			skipped:     []CheckID{CheckKeyAccepted, CheckPermissions, CheckConfidential, CheckRateLimit},
			notExamined: []string{"VerifyKey", "ProbeAll", "ProbeConfidential"},
		},
		{
			name:    "empty standard input",
			breakIt: func(e *examiner) { e.key = KeyFacts{Source: KeyFromStdin} },
			fails:   CheckKey, summary: "no API key: standard input was empty",
			fix:     `pipe the key in, e.g. printf %s "$KEY" | leversync doctor --key-stdin`,
			skipped: []CheckID{CheckKeyAccepted, CheckPermissions, CheckConfidential, CheckRateLimit},
		},
		{
			name: "saved key unreadable",
			breakIt: func(e *examiner) {
				e.key = KeyFacts{Source: KeySaved, LoadErr: errors.New("the system keyring did not answer in time")}
			},
			fails: CheckKey, summary: "the saved key could not be read: the system keyring did not answer in time",
			fix:     "unlock the system keyring (log in to the desktop session), or give the key with LEVER_API_KEY or --key-stdin",
			skipped: []CheckID{CheckKeyAccepted},
		},
		{
			name: "key pasted with its header",
			breakIt: func(e *examiner) {
				e.key.Malformed = ErrKeyBasic
			},
			fails: CheckKey, summary: "the key from LEVER_API_KEY does not look like a Lever key",
			fix:         "set LEVER_API_KEY to the key alone, exactly as Lever showed it",
			skipped:     []CheckID{CheckKeyAccepted, CheckPermissions},
			notExamined: []string{"VerifyKey"},
		},
		{
			name: "name does not resolve",
			breakIt: func(e *examiner) {
				e.reach = ReachFacts{Scheme: "https", Host: "api.lever.co", Failure: ReachDNS, Err: errors.New("lookup api.lever.co: no such host")}
			},
			fails: CheckNetwork, summary: "could not find api.lever.co: the name does not resolve", fix: network,
			skipped:     []CheckID{CheckMaintenance, CheckKeyAccepted, CheckPermissions, CheckConfidential, CheckRateLimit},
			notExamined: []string{"VerifyKey"},
		},
		{
			name: "TLS interception",
			breakIt: func(e *examiner) {
				e.reach = ReachFacts{Scheme: "https", Host: "api.lever.co", Failure: ReachTLS, Err: errors.New("x509: certificate signed by unknown authority")}
			},
			fails: CheckNetwork, summary: "the secure (TLS) connection to api.lever.co is not trusted: its certificate is not one this machine knows",
			fix:     "a proxy or security software on your network probably inspects HTTPS: ask your IT team for its root certificate and point SSL_CERT_FILE at that PEM file, or have api.lever.co bypass the proxy (NO_PROXY) or set HTTPS_PROXY to the proxy IT names; then run 'leversync doctor' again",
			skipped: []CheckID{CheckMaintenance, CheckKeyAccepted},
		},
		{
			name: "proxy refuses",
			breakIt: func(e *examiner) {
				e.reach = ReachFacts{Scheme: "https", Host: "api.lever.co", Proxy: "http://proxy.example:3128", Failure: ReachProxy, Err: errors.New("proxyconnect tcp: connection refused")}
			},
			fails: CheckNetwork, summary: "the proxy http://proxy.example:3128 did not pass the connection to api.lever.co through",
			fix:     "check HTTPS_PROXY: is the proxy's address right, and is it running? Hosts that must not go through it belong in NO_PROXY; then run 'leversync doctor' again",
			skipped: []CheckID{CheckMaintenance, CheckKeyAccepted},
		},
		{
			name: "nothing listens on loopback",
			breakIt: func(e *examiner) {
				e.reach = ReachFacts{Scheme: "http", Host: "127.0.0.1:9", Loopback: true, Failure: ReachConnect, Err: errors.New("connection refused")}
			},
			fails: CheckNetwork, summary: "could not connect to 127.0.0.1:9",
			fix:     "nothing answers there: is the local server (a proxy, or 'leversync fake-lever') running, and is the port in --base-url right?",
			skipped: []CheckID{CheckMaintenance},
		},
		{
			name:    "maintenance",
			breakIt: func(e *examiner) { e.reach.Status = http.StatusServiceUnavailable },
			fails:   CheckMaintenance, summary: "Lever answered 503 Service Unavailable: it is down for maintenance",
			fix:         "nothing to fix on your side: wait a while, then run 'leversync doctor' again; a sync retries such answers, and one that stops resumes where it stopped",
			skipped:     []CheckID{CheckKeyAccepted, CheckPermissions, CheckConfidential, CheckRateLimit},
			notExamined: []string{"VerifyKey"},
		},
		{
			name: "sandbox key on production",
			breakIt: func(e *examiner) {
				e.verify = fmt.Errorf("verify: %w", lever.ErrUnauthorized)
				e.others = []HostAnswer{{Env: lever.Sandbox, Accepted: true}, {Env: lever.EU, Err: lever.ErrUnauthorized}}
			},
			fails: CheckKeyAccepted, summary: "this key belongs to Lever Sandbox, not Production",
			fix:     "use it with --env sandbox (in the wizard, choose Sandbox at the Data step); for Production, generate a key there",
			skipped: []CheckID{CheckPermissions, CheckConfidential},
		},
		{
			name: "revoked key",
			breakIt: func(e *examiner) {
				e.verify = lever.ErrUnauthorized
				e.others = []HostAnswer{{Env: lever.Sandbox, Err: lever.ErrUnauthorized}, {Env: lever.EU, Err: lever.ErrUnauthorized}}
			},
			fails: CheckKeyAccepted, summary: "Lever Production rejected the key (401): it was revoked or mistyped", fix: revoked,
			skipped: []CheckID{CheckPermissions, CheckConfidential},
		},
		{
			name: "rejected on a custom API root",
			breakIt: func(e *examiner) {
				e.target = TargetFacts{Env: lever.Custom, BaseURL: "https://lever-proxy.example/v1"}
				e.file.BoundEnv, e.file.BoundURL = lever.Custom, "https://lever-proxy.example/v1"
				e.verify = lever.ErrUnauthorized
				e.others = []HostAnswer{{Env: lever.Sandbox, Accepted: true}}
			},
			fails: CheckKeyAccepted, summary: "the API root https://lever-proxy.example/v1 rejected the key (401): it was revoked or mistyped",
			fix:         revoked + "; if the key is for Lever's Production or Sandbox, use --env without --base-url",
			skipped:     []CheckID{CheckPermissions},
			notExamined: []string{"OtherHosts"},
		},
		{
			name: "missing read permissions, detail ones included",
			breakIt: func(e *examiner) {
				e.probe = map[string]lever.ProbeStatus{"find all tags": lever.Missing, "find all opportunity notes": lever.Missing}
			},
			fails: CheckPermissions, summary: `the key lacks 2 of the 11 read permissions leversync uses: "find all opportunity notes" and "find all tags"`,
			fix: `Lever keys cannot be edited: generate a new key with these ticked: "find all opportunity notes" and "find all tags" (in Lever: Settings > Integrations and API > API Credentials > Generate New Key; ticking "Select all read" covers them), then save the new key with 'leversync login --key-stdin' (or run 'leversync setup')`,
		},
		{
			name:    "another integration exhausts the key's budget",
			breakIt: func(e *examiner) { e.traffic = TrafficFacts{Requests: 60, Rate: 4, TooMany: 30, GaveUp: true} },
			fails:   CheckRateLimit, summary: "Lever kept answering 429 Too Many Requests after retries although doctor sent at no more than 4 requests/s: another integration probably uses this key's budget (Lever allows 10 requests/s per key)",
			fix: "give leversync a key of its own (in Lever: Settings > Integrations and API > API Credentials > Generate New Key), or run the first sync while the other integration is idle; then run 'leversync doctor' again",
		},
		{
			name: "the key's budget is spent before the key is even checked",
			breakIt: func(e *examiner) {
				e.verify = fmt.Errorf("%w (gave up after 4 attempts; try again later)", lever.ErrRateLimited)
				e.traffic = TrafficFacts{Requests: 4, Rate: 4, TooMany: 4, GaveUp: true}
			},
			fails: CheckRateLimit, summary: "Lever kept answering 429 Too Many Requests after retries although doctor sent at no more than 4 requests/s: another integration probably uses this key's budget (Lever allows 10 requests/s per key)",
			fix:     "give leversync a key of its own (in Lever: Settings > Integrations and API > API Credentials > Generate New Key), or run the first sync while the other integration is idle; then run 'leversync doctor' again",
			skipped: []CheckID{CheckPermissions, CheckConfidential},
		},
		{
			name: "data file in use",
			breakIt: func(e *examiner) {
				e.file = DataFileFacts{Path: "/data/leversync.db", Exists: true, Problem: StoreInUse, HolderPID: 4242, Known: 1}
			},
			fails: CheckDataFile, summary: "the data file is in use by another leversync process (pid 4242)",
			fix:     "that is probably a sync or the wizard: wait for it to finish, or stop it (kill 4242), then run 'leversync doctor' again; or pass another --db",
			skipped: []CheckID{CheckIntegrity, CheckEnvironment, CheckLastSync},
		},
		{
			name: "data file damaged",
			breakIt: func(e *examiner) {
				e.file = DataFileFacts{Path: "/data/leversync.db", Exists: true, Problem: StoreCorrupt, Known: 1}
			},
			fails: CheckDataFile, summary: "the data file is damaged, or is not a leversync data file",
			fix:     "it was left untouched: move it away, or delete it with 'leversync reset'; the next 'leversync sync' then starts over (nothing in Lever is affected)",
			skipped: []CheckID{CheckIntegrity, CheckEnvironment, CheckLastSync},
		},
		{
			name: "data file from a newer leversync",
			breakIt: func(e *examiner) {
				e.file = DataFileFacts{Path: "/data/leversync.db", Exists: true, Problem: StoreSchema, Schema: 3, Known: 1}
			},
			fails: CheckDataFile, summary: "the data file was written by a newer leversync (format 3; this one knows up to 1)",
			fix: "upgrade leversync, or pass another --db", skipped: []CheckID{CheckIntegrity},
		},
		{
			name: "data file inconsistent",
			breakIt: func(e *examiner) {
				e.file.IntegrityErr = errors.New("bucket opportunities holds 3 records but its count says 4")
			},
			fails: CheckIntegrity, summary: "the data file is damaged",
			fix: "it was left untouched: move it away, or delete it with 'leversync reset'; the next 'leversync sync' then starts over (nothing in Lever is affected)",
		},
		{
			name:    "data file of another environment",
			breakIt: func(e *examiner) { e.file.BoundEnv, e.file.BoundURL = lever.Sandbox, lever.Sandbox.BaseURL() },
			fails:   CheckEnvironment, summary: "the data file holds Sandbox data, and this is Production",
			fix: "to use this file, run with --env sandbox; for Production, pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)",
		},
		{
			name: "data file of another API root in the same environment",
			breakIt: func(e *examiner) {
				e.target = TargetFacts{Env: lever.Custom, BaseURL: "https://lever-proxy.example/v1"}
				e.file.BoundEnv, e.file.BoundURL = lever.Custom, "https://other-proxy.example/v1"
			},
			fails: CheckEnvironment, summary: "the data file holds the data of the Lever account at https://other-proxy.example/v1, and this is https://lever-proxy.example/v1",
			fix:         "to use this file, run with --base-url https://other-proxy.example/v1; for https://lever-proxy.example/v1, pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)",
			notExamined: []string{"Account"},
		},
		{
			name:    "data file of another Lever account at the same API root",
			breakIt: func(e *examiner) { e.account = []string{"other-hired", "other-withdrew"} },
			fails:   CheckEnvironment, summary: "the data file was filled from another Lever account than the one this key opens",
			fix: "to use this file, use the key of the Lever account that filled it; for the account this key opens, pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)",
		},
		{
			name:    "disk full",
			breakIt: func(e *examiner) { e.disk = DiskFacts{Dir: "/data", Free: 10 << 20, Room: -1} },
			fails:   CheckDisk, summary: `only 10.5 MB left on the disk holding /data: a sync would stop with "disk full"`,
			fix: "free some space there, or pass --db with a file on a disk with room; a sync that runs out of space stops safely and resumes where it stopped",
		},
		{
			name: "last sync failed",
			breakIt: func(e *examiner) {
				e.file.Current = &syncer.RunState{ID: "r2", StartedAt: ms(now.Add(-30 * time.Minute)), Result: syncer.ResultFailed,
					Error: "sync opportunities: the disk is full", Totals: map[lever.Resource]int{lever.Opportunities: 300}}
			},
			fails: CheckLastSync, summary: "the last sync failed (started 30 min ago): sync opportunities: the disk is full",
			fix: "fix what the checks above name, then run 'leversync sync': it resumes where it stopped",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := healthy()
			c.breakIt(e)
			d := diagnose(t, e)
			for _, f := range d.Findings {
				switch {
				case f.ID == c.fails:
					if f.Status != Fail {
						t.Errorf("%s: %s (%s), want fail", f.ID, f.Status, f.Summary)
					}
				case slices.Contains(c.skipped, f.ID):
					if f.Status != Skip || !strings.HasPrefix(f.Summary, "skipped: ") {
						t.Errorf("%s: %s (%q), want skipped", f.ID, f.Status, f.Summary)
					}
				case f.Status == Fail:
					t.Errorf("%s failed too: %s", f.ID, f.Summary)
				}
			}
			f := find(t, d, c.fails)
			if f.Summary != c.summary {
				t.Errorf("summary\n got %q\nwant %q", f.Summary, c.summary)
			}
			if f.Fix != c.fix {
				t.Errorf("fix\n got %q\nwant %q", f.Fix, c.fix)
			}
			for _, call := range c.notExamined {
				if slices.Contains(e.calls, call) {
					t.Errorf("%s was called although an earlier check failed (calls %v)", call, e.calls)
				}
			}
		})
	}
}

func TestMissingPermissionsAreListedWithLeversNames(t *testing.T) {
	e := healthy()
	e.probe = map[string]lever.ProbeStatus{"find all opportunity offers": lever.Missing, "find all requisitions": lever.Missing, "apply to a posting": lever.Missing}
	f := find(t, diagnose(t, e), CheckPermissions)
	if want := []string{"find all opportunity offers", "find all requisitions"}; !slices.Equal(f.Missing, want) {
		t.Errorf("missing %v, want %v (a write permission is not a failure)", f.Missing, want)
	}
	if !slices.Contains(f.Evidence, "find all opportunity offers (read, used by sync --details): missing") {
		t.Errorf("evidence does not say the detail permission is what --details needs: %q", f.Evidence)
	}
}

// Writes leversync does not need, and probes that could not tell, are notes.
func TestWritesAndUnknownProbesAreNotes(t *testing.T) {
	noWrites := map[string]lever.ProbeStatus{}
	for _, p := range permission.Write {
		noWrites[p.Name] = lever.Missing
	}
	cases := []struct {
		name    string
		probe   map[string]lever.ProbeStatus
		summary string
	}{
		{"read-only key", noWrites, "all 11 read permissions leversync uses are granted; the key has no write permission, which leversync does not need"},
		{"one write missing", map[string]lever.ProbeStatus{"apply to a posting": lever.Missing},
			`all 11 read permissions leversync uses are granted; write permissions not granted (leversync does not need them): "apply to a posting"`},
		{"a read could not tell", map[string]lever.ProbeStatus{"find all users": lever.Unknown}, `could not tell for "find all users"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := healthy()
			e.probe = c.probe
			f := find(t, diagnose(t, e), CheckPermissions)
			if f.Status != Note || f.Summary != c.summary {
				t.Errorf("got %s %q, want note %q", f.Status, f.Summary, c.summary)
			}
		})
	}
}

func TestWarningsAndNotes(t *testing.T) {
	cases := []struct {
		name    string
		change  func(e *examiner)
		id      CheckID
		status  Status
		summary string
	}{
		{"no confidential access", func(e *examiner) { e.conf = lever.Missing }, CheckConfidential, Warn,
			`the key has no "Allow access to confidential data": confidential jobs and candidates are left out`},
		{"429s at a low rate", func(e *examiner) { e.traffic = TrafficFacts{Requests: 30, Rate: 4, TooMany: 3} }, CheckRateLimit, Warn,
			"Lever answered 429 Too Many Requests 3 times although doctor sent at no more than 4 requests/s, under the key's limit of 10/s: another integration probably uses this key's budget (Lever allows 10 requests/s per key)"},
		{"429s with no limit of its own", func(e *examiner) { e.traffic = TrafficFacts{Requests: 30, TooMany: 3} }, CheckRateLimit, Note,
			"Lever answered 429 Too Many Requests 3 times; doctor sent with no rate limit of its own, so this says nothing about other users of the key"},
		{"plain http on loopback", func(e *examiner) {
			e.reach = ReachFacts{Scheme: "http", Host: "127.0.0.1:8080", Loopback: true, Status: 401}
		}, CheckNetwork, Note, "plain http to 127.0.0.1:8080 on this machine answered (fine for a local fake Lever or proxy; Lever itself is always https)"},
		{"a saved key differs from LEVER_API_KEY", func(e *examiner) {
			e.key.Others = []OtherKey{{Source: KeySaved}}
		}, CheckKey, Note, "using the key from LEVER_API_KEY; the saved key is a different one, not used"},
		{"the same key saved", func(e *examiner) {
			e.key.Others = []OtherKey{{Source: KeySaved, Same: true}}
		}, CheckKey, Pass, "using the key from LEVER_API_KEY"},
		{"little room left", func(e *examiner) { e.disk = DiskFacts{Dir: "/data", Free: 500 << 20, Room: -1} }, CheckDisk, Note,
			"524.3 MB left on the disk holding /data: enough for a small account; a large one (hundreds of thousands of candidates) needs more"},
		{"a size limit below the free space", func(e *examiner) { e.disk = DiskFacts{Dir: "/data", Free: 50 << 30, Room: 1 << 20} }, CheckDisk, Fail,
			`only 1.0 MB left for the data file under its size limit: a sync would stop with "disk full"`},
		{"last sync finished with warnings", func(e *examiner) {
			e.file.Last.Warnings = []string{"the key has no access to confidential data; confidential jobs and candidates are left out"}
		}, CheckLastSync, Note, "finished 1 h ago (took 1 h): 1200 candidates, 30 jobs, with warnings: the key has no access to confidential data; confidential jobs and candidates are left out"},
		{"interrupted", func(e *examiner) {
			e.file.Current = &syncer.RunState{ID: "r2", StartedAt: ms(now.Add(-20 * time.Minute)), Result: syncer.ResultInterrupted, Totals: map[lever.Resource]int{lever.Opportunities: 500}}
		}, CheckLastSync, Note, "the last sync stopped before its end (started 20 min ago): 500 candidates stored so far"},
		{"running in this process", func(e *examiner) {
			e.file.Current = &syncer.RunState{ID: "r2", StartedAt: ms(now.Add(-3 * time.Minute)), Totals: map[lever.Resource]int{lever.Opportunities: 800}}
			e.file.Running = true
		}, CheckLastSync, Pass, "the last sync is running (started 3 min ago): 800 candidates stored so far"},
		{"data file in an older format", func(e *examiner) {
			e.file = DataFileFacts{Path: "/data/leversync.db", Exists: true, Problem: StoreSchema, Schema: 1, Known: 2}
		}, CheckDataFile, Note, "the data file has format 1; the next sync upgrades it to 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := healthy()
			c.change(e)
			d := diagnose(t, e)
			f := find(t, d, c.id)
			if f.Status != c.status || f.Summary != c.summary {
				t.Errorf("got %s %q\nwant %s %q", f.Status, f.Summary, c.status, c.summary)
			}
			if c.status != Fail && d.Failed() {
				t.Errorf("something failed: %s", statuses(d))
			}
		})
	}
}

// A machine with a key and nothing else yet passes with notes.
func TestFreshMachinePassesWithNotes(t *testing.T) {
	e := healthy()
	e.file = DataFileFacts{Path: "/home/a/.local/share/leversync/leversync.db", Known: 1}
	d := diagnose(t, e)
	if d.Failed() {
		t.Fatalf("a fresh machine failed: %s", statuses(d))
	}
	want := "key=pass network=pass maintenance=pass key_accepted=pass permissions=pass confidential=pass rate_limit=pass " +
		"data_file=note integrity=skipped environment=skipped disk=pass last_sync=note"
	if got := statuses(d); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if f := find(t, d, CheckLastSync); f.Summary != "no sync has run yet" || f.Fix != "run 'leversync sync' (or 'leversync' for the wizard)" {
		t.Errorf("last sync: %+v", f)
	}
}

// Lever support is named only once a first sync is past a day.
func TestLeverSupportOnlyPastADay(t *testing.T) {
	support := "contact Lever support"
	for _, c := range []struct {
		name    string
		age     time.Duration
		first   bool
		result  string
		running bool
		status  Status
		want    bool
	}{
		{"first sync stopped after 23 h", 23 * time.Hour, true, syncer.ResultInterrupted, false, Note, false},
		{"first sync stopped after 25 h", 25 * time.Hour, true, syncer.ResultInterrupted, false, Warn, true},
		{"first sync failed after 25 h", 25 * time.Hour, true, syncer.ResultFailed, false, Fail, true},
		{"first sync failed after 2 h", 2 * time.Hour, true, syncer.ResultFailed, false, Fail, false},
		{"first sync running for 30 h", 30 * time.Hour, true, "", true, Warn, true},
		{"later sync stopped after 3 days", 72 * time.Hour, false, syncer.ResultInterrupted, false, Note, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := healthy()
			if c.first {
				e.file.Last = nil
			}
			e.file.Current = &syncer.RunState{ID: "r", StartedAt: ms(now.Add(-c.age)), Result: c.result, Error: "boom"}
			e.file.Running = c.running
			f := find(t, diagnose(t, e), CheckLastSync)
			if f.Status != c.status {
				t.Errorf("status %s, want %s (%s)", f.Status, c.status, f.Summary)
			}
			if got := strings.Contains(f.Fix, support); got != c.want {
				t.Errorf("fix %q names Lever support: %v, want %v", f.Fix, got, c.want)
			}
		})
	}
}

func TestCancelledDiagnosisSkipsTheRest(t *testing.T) {
	e := healthy()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := Diagnose(ctx, e, func() time.Time { return now }, nil)
	if len(d.Findings) != len(checkTitles) {
		t.Fatalf("%d findings, want one per check (%d)", len(d.Findings), len(checkTitles))
	}
	for _, f := range d.Findings {
		if f.Status != Skip {
			t.Errorf("%s ran after cancellation: %s", f.ID, f.Status)
		}
	}
	if len(e.calls) > 0 {
		t.Errorf("the examiner was called after cancellation: %v", e.calls)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Second:                  "40 s",
		12*time.Minute + 20*time.Second:   "12 min",
		3*time.Hour + 20*time.Minute:      "3 h 20 min",
		25 * time.Hour:                    "25 h",
		50*time.Hour + 10*time.Minute:     "2 days 2 h",
		72 * time.Hour:                    "3 days",
		-5 * time.Second:                  "0 s",
		59*time.Minute + 59*time.Second:   "60 min",
		47*time.Hour + 59*time.Minute + 1: "47 h 59 min",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestLastSyncOfASchedule: a running schedule is named with when its next
// run starts; its failed runs make a passing check a warning that says
// when it retries, and a failure the file records stays a failure.
func TestLastSyncOfASchedule(t *testing.T) {
	for _, c := range []struct {
		name     string
		schedule ScheduleFacts
		failed   bool // the data file records a failed run
		status   Status
		summary  string
		evidence string
	}{
		{"between runs", ScheduleFacts{PID: 42, Every: time.Hour, NextRun: now.Add(20 * time.Minute)}, false, Pass,
			"finished 1 h ago (took 1 h): 1200 candidates, 30 jobs", "scheduled every 1 h ('leversync sync --every', pid 42): the next run starts in 20 min"},
		{"a run under way", ScheduleFacts{PID: 42, Every: 15 * time.Minute, Running: true}, false, Pass,
			"finished 1 h ago (took 1 h): 1200 candidates, 30 jobs", "scheduled every 15 min ('leversync sync --every', pid 42): a run is under way"},
		{"runs that could not start", ScheduleFacts{PID: 42, Every: time.Hour, NextRun: now.Add(2 * time.Minute), Failures: 2, LastError: "the store is in use"}, false, Warn,
			"the last 2 scheduled runs failed: the store is in use; the schedule retries in 2 min", "scheduled every 1 h ('leversync sync --every', pid 42): the next run starts in 2 min"},
		{"a run that failed in the file", ScheduleFacts{PID: 42, Every: time.Hour, NextRun: now.Add(time.Minute), Failures: 1, LastError: "Lever answered 503"}, true, Fail,
			"the last sync failed (started 5 min ago): Lever answered 503", "the last scheduled run failed; the schedule retries in 1 min"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := healthy()
			s := c.schedule
			e.file.Schedule = &s
			if c.failed {
				e.file.Current = &syncer.RunState{ID: "r", StartedAt: ms(now.Add(-5 * time.Minute)), Result: syncer.ResultFailed, Error: "Lever answered 503"}
			}
			f := find(t, diagnose(t, e), CheckLastSync)
			if f.Status != c.status || f.Summary != c.summary {
				t.Errorf("got %s %q\nwant %s %q", f.Status, f.Summary, c.status, c.summary)
			}
			if !slices.Contains(f.Evidence, c.evidence) {
				t.Errorf("evidence %q lacks %q", f.Evidence, c.evidence)
			}
			if (c.schedule.Failures > 0) != strings.Contains(f.Fix, "keeps retrying") {
				t.Errorf("fix %q", f.Fix)
			}
		})
	}
}

// The data file's account is compared only when it can be: with a key
// Lever accepted, for a file that records its account's ids. Otherwise the
// check says why in a note and asks Lever nothing; the demo's root, which
// changes every run, is not compared.
func TestDataFileAccountNotesAndPasses(t *testing.T) {
	cases := []struct {
		name     string
		change   func(e *examiner)
		status   Status
		summary  string
		evidence string
		asked    bool
	}{
		{name: "the same account", change: func(*examiner) {}, status: Pass, asked: true,
			summary:  "holds Production data of the Lever account this key opens",
			evidence: "2 of the 3 ids Lever lists for the account this key opens match them"},
		{name: "one id in common is enough", change: func(e *examiner) { e.account = []string{"reason-new", "reason-withdrew"} }, status: Pass, asked: true,
			summary:  "holds Production data of the Lever account this key opens",
			evidence: "1 of the 2 ids Lever lists for the account this key opens match them"},
		{name: "not bound yet", change: func(e *examiner) { e.file.BoundEnv, e.file.BoundURL, e.file.BoundAccount = "", "", nil }, status: Note,
			summary: "not bound yet: the first sync binds it to Production"},
		{name: "bound by an earlier leversync", change: func(e *examiner) { e.file.BoundAccount = nil }, status: Note,
			summary: "holds Production data, as expected; the file records no ids of its Lever account yet (an earlier leversync filled it): the next sync records them"},
		{name: "key rejected", change: func(e *examiner) {
			e.verify = lever.ErrUnauthorized
			e.others = []HostAnswer{{Env: lever.Sandbox, Err: lever.ErrUnauthorized}}
		}, status: Note,
			summary: "holds Production data, as expected; the Lever account that filled it was not compared (skipped: the key was not accepted)"},
		{name: "Lever could not tell", change: func(e *examiner) { e.accountErr = errors.New("list archive reasons: 502 Bad Gateway") }, status: Note, asked: true,
			summary:  "holds Production data, as expected; could not ask Lever which account this key opens",
			evidence: "error: list archive reasons: 502 Bad Gateway"},
		{name: "Lever lists no ids", change: func(e *examiner) { e.account = nil }, status: Note, asked: true,
			summary: "holds Production data, as expected; Lever listed no ids for the account this key opens, so it could not be compared (a sync accepts the file)"},
		{name: "the demo's root changes every run", change: func(e *examiner) {
			e.target = TargetFacts{Env: lever.Demo, BaseURL: "http://127.0.0.1:40002/v1"}
			e.file.BoundEnv, e.file.BoundURL = lever.Demo, "http://127.0.0.1:40001/v1"
		}, status: Pass, asked: true,
			summary: "holds Demo (built-in fake Lever) data of the Lever account this key opens"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := healthy()
			c.change(e)
			f := find(t, diagnose(t, e), CheckEnvironment)
			if f.Status != c.status || f.Summary != c.summary {
				t.Errorf("got %s %q\nwant %s %q", f.Status, f.Summary, c.status, c.summary)
			}
			if c.evidence != "" && !slices.Contains(f.Evidence, c.evidence) {
				t.Errorf("evidence %q lacks %q", f.Evidence, c.evidence)
			}
			if asked := slices.Contains(e.calls, "Account"); asked != c.asked {
				t.Errorf("Lever asked for the account: %v, want %v (calls %v)", asked, c.asked, e.calls)
			}
		})
	}
}
