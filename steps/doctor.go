package steps

import (
	"context"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
	"github.com/leversync/leversync/lever/syncer"
)

// Status is the verdict of one troubleshooting check.
type Status string

const (
	// Running is sent when a check starts; a finished check never has it.
	Running Status = ""
	Pass    Status = "pass"
	// Note: nothing is wrong, but there is something worth knowing.
	Note Status = "note"
	// Warn: leversync works, with a loss the user should know about.
	Warn Status = "warn"
	// Fail: this stops a sync; the Fix says what to do.
	Fail Status = "fail"
	// Skip: the check could not run because an earlier one failed.
	Skip Status = "skipped"
)

// CheckID names a troubleshooting check; the names are part of
// `leversync doctor --json`, so they must not change.
type CheckID string

// The checks, in the order Diagnose runs them.
const (
	CheckKey          CheckID = "key"
	CheckNetwork      CheckID = "network"
	CheckMaintenance  CheckID = "maintenance"
	CheckKeyAccepted  CheckID = "key_accepted"
	CheckPermissions  CheckID = "permissions"
	CheckConfidential CheckID = "confidential"
	CheckRateLimit    CheckID = "rate_limit"
	CheckDataFile     CheckID = "data_file"
	CheckIntegrity    CheckID = "integrity"
	CheckEnvironment  CheckID = "environment"
	CheckDisk         CheckID = "disk"
	CheckLastSync     CheckID = "last_sync"
)

var checkTitles = map[CheckID]string{
	CheckKey:          "API key",
	CheckNetwork:      "Connection to Lever",
	CheckMaintenance:  "Lever available",
	CheckKeyAccepted:  "Key accepted",
	CheckPermissions:  "Permissions",
	CheckConfidential: "Confidential data",
	CheckRateLimit:    "Rate limit",
	CheckDataFile:     "Data file",
	CheckIntegrity:    "Data file consistency",
	CheckEnvironment:  "Data file's Lever account",
	CheckDisk:         "Free disk space",
	CheckLastSync:     "Last sync",
}

// Title is the check's name as a checklist shows it.
func (id CheckID) Title() string { return checkTitles[id] }

// Finding is the outcome of one check: what was found, the facts behind
// it, and what to do, in words a recruiting admin understands. It never
// holds the key.
type Finding struct {
	ID      CheckID `json:"id"`
	Title   string  `json:"title"`
	Status  Status  `json:"status"`
	Summary string  `json:"summary,omitempty"`
	// Evidence are the facts the verdict rests on, one per line.
	Evidence []string `json:"evidence,omitempty"`
	// Fix is what to do; empty when there is nothing to do.
	Fix string `json:"fix,omitempty"`
	// Missing names the read permissions the key lacks, as Lever's key
	// screen names them (permissions check only).
	Missing []string `json:"missing,omitempty"`
	// BelongsTo is the environment that accepts a key rejected here (key
	// accepted check only).
	BelongsTo lever.Environment `json:"belongsTo,omitempty"`
	// Estimate is what is left of an unfinished first sync, where the
	// evidence allows one (last sync check only); a front end can compare
	// a running sync's pace with it.
	Estimate *Estimate `json:"estimate,omitempty"`
}

// Diagnosis is every check's finding, in order.
type Diagnosis struct {
	Target   TargetFacts `json:"target"`
	Findings []Finding   `json:"checks"`
}

// Failed reports whether any check failed.
func (d Diagnosis) Failed() bool {
	for _, f := range d.Findings {
		if f.Status == Fail {
			return true
		}
	}
	return false
}

// Examiner gathers the facts the checks judge: it reaches Lever, the saved
// key and the data file, so the checks stay plain Go. Package app
// implements it. Diagnose calls its methods one at a time, in check order.
type Examiner interface {
	// Target is the Lever being checked.
	Target() TargetFacts
	// Key says which key is used, where it came from, and what else was
	// found.
	Key(ctx context.Context) KeyFacts
	// Reach asks the API root for something without the key: name
	// resolution, connection, TLS, and the HTTP status that came back.
	Reach(ctx context.Context) ReachFacts
	// VerifyKey asks the target to accept the key (lever.Client.VerifyKey).
	VerifyKey(ctx context.Context) error
	// OtherHosts asks Lever's other hosted environments whether they
	// accept the key. Called only when Target().LeverHost.
	OtherHosts(ctx context.Context) []HostAnswer
	// ProbeAll probes perms, sending each result as it arrives, and closes
	// results (lever.Client.ProbeAll).
	ProbeAll(ctx context.Context, perms []permission.Permission, results chan<- lever.ProbeResult)
	// ProbeConfidential probes "Allow access to confidential data".
	ProbeConfidential(ctx context.Context) lever.ProbeResult
	// Traffic is what the requests made with the key so far met.
	Traffic() TrafficFacts
	// DataFile opens the data file read-only and reads what it holds.
	DataFile(ctx context.Context) DataFileFacts
	// Account asks the target, with the key, for the ids that identify
	// the Lever account the key opens: the fingerprint a sync binds the
	// data file with. Called only once the key was accepted.
	Account(ctx context.Context) ([]string, error)
	// Disk is the room left for the data file.
	Disk(ctx context.Context) DiskFacts
}

// TargetFacts name the Lever being checked.
type TargetFacts struct {
	Env     lever.Environment `json:"environment"`
	BaseURL string            `json:"baseUrl"`
	// LeverHost: BaseURL is Lever's own API root for Env, so a rejected
	// key may be tried on Lever's other hosts. A key given for any other
	// API root is never sent anywhere else.
	LeverHost bool `json:"leverHost"`
}

// KeySource is where a key came from.
type KeySource string

const (
	KeyFromStdin KeySource = "--key-stdin"
	KeyFromEnv   KeySource = "LEVER_API_KEY"
	KeySaved     KeySource = "saved key"
	KeyPasted    KeySource = "pasted in the wizard"
	KeyDemo      KeySource = "the demo key"
)

// KeyFacts describe the key a run would use.
type KeyFacts struct {
	// Source is where Key came from, by precedence: --key-stdin, then
	// LEVER_API_KEY, then the saved key. It is set even when that source
	// gave nothing (an empty standard input).
	Source KeySource
	Key    lever.APIKey
	// SavedWhere is where the saved key is kept, when one was found.
	SavedWhere string
	// Malformed is ValidateKey's verdict on Key; nil when it looks right.
	Malformed error
	// LoadErr: the saved key exists but could not be read (a locked
	// keyring), or standard input could not be read.
	LoadErr error
	// Others are the sources that also hold a key and lose to Source.
	Others []OtherKey
}

// OtherKey is a key source that lost to the one used.
type OtherKey struct {
	Source KeySource
	// Same: it holds the same key as the one used.
	Same bool
}

// ReachFailure says which step of reaching the API root failed.
type ReachFailure string

const (
	ReachOK      ReachFailure = ""
	ReachDNS     ReachFailure = "dns"
	ReachConnect ReachFailure = "connect"
	ReachProxy   ReachFailure = "proxy"
	ReachTLS     ReachFailure = "tls"
	ReachTimeout ReachFailure = "timeout"
	ReachOther   ReachFailure = "other"
)

// ReachFacts are what asking the API root without the key showed.
type ReachFacts struct {
	Scheme, Host string
	// Loopback: the host is this machine (127.0.0.1, ::1, localhost).
	Loopback bool
	// Addrs are the addresses the name resolved to (none for an IP or
	// when a proxy resolves it).
	Addrs []string
	// Proxy is the proxy the request went through, without credentials.
	Proxy string
	// ProxyEnv are the proxy variables set, as NAME=value without
	// credentials; CertFile is SSL_CERT_FILE.
	ProxyEnv []string
	CertFile string
	Failure  ReachFailure
	Err      error
	// Status is the HTTP status that came back; 0 when none did.
	Status  int
	Elapsed time.Duration
}

// HostAnswer is one hosted environment's answer to the key.
type HostAnswer struct {
	Env      lever.Environment
	Accepted bool
	Err      error
}

// TrafficFacts count what the requests made with the key met.
type TrafficFacts struct {
	Requests int64
	// Rate is the most requests per second the examiner sent; 0 means it
	// set no limit.
	Rate float64
	// TooMany counts 429 answers; Unavailable counts 502, 503 and 504.
	TooMany, Unavailable int
	// GaveUp: a request failed after every retry on 429s.
	GaveUp bool
}

// StoreProblem says why the data file did not open.
type StoreProblem string

const (
	StoreOK         StoreProblem = ""
	StoreInUse      StoreProblem = "in_use"
	StoreCorrupt    StoreProblem = "corrupt"
	StoreSchema     StoreProblem = "schema"
	StoreUnreadable StoreProblem = "unreadable"
)

// DataFileFacts are what the data file holds, read without changing it.
type DataFileFacts struct {
	Path   string
	Exists bool
	// Problem and Err say why it did not open.
	Problem StoreProblem
	Err     error
	// HolderPID is the process holding the file (StoreInUse); 0 unknown.
	HolderPID int
	// Schema is the file's schema version, Known this leversync's.
	Schema, Known int
	Size          int64
	// IntegrityErr is the store's consistency check's verdict.
	IntegrityErr error
	// BoundEnv and BoundURL are what the file was first filled from, the
	// API root spelled as a sync compares it; BoundAccount are the ids
	// of the account that filled it (none when an earlier leversync did).
	BoundEnv     lever.Environment
	BoundURL     string
	BoundAccount []string
	Counts       map[lever.Resource]int
	// Current is the run in progress (nil when the last one finished),
	// Last the last finished run.
	Current, Last *syncer.RunState
	// Running: a sync of this process holds the file and writes to it, so
	// its consistency was not checked (IntegrityErr is nil).
	Running bool
	// Progress is how far an unfinished first sync has read; nil when
	// there is no such sync or nothing tells.
	Progress *InitialProgress
	// Schedule is the scheduled sync running on the file; nil when none.
	Schedule *ScheduleFacts
}

// ScheduleFacts are what a running `leversync sync --every` says about
// itself.
type ScheduleFacts struct {
	PID   int
	Every time.Duration
	// Running: a run is under way; else NextRun is when the next starts.
	Running bool
	NextRun time.Time
	// Failures counts the runs in a row that failed, LastError the last
	// one's error.
	Failures  int
	LastError string
}

// DiskFacts are the room left for the data file.
type DiskFacts struct {
	// Dir is the folder whose file system was measured.
	Dir string
	// Free is the space available to this user; -1 when unknown.
	Free int64
	// Room is what the data file may still grow by under its size limit;
	// -1 when it has none.
	Room int64
	Err  error
}
