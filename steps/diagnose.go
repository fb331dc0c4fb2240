package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
	"github.com/leversync/leversync/lever/syncer"
)

// Diagnoser runs the troubleshooting checks for the wizard: app's Services
// implement it beside Services, so a front end can show the diagnosis of a
// failed connection and check again without retyping.
type Diagnoser interface {
	// Diagnose runs every check against the environment s chose with key
	// (a zero key means the saved one), sending each check on progress (if
	// not nil) as it starts (Status Running) and ends, like Diagnose.
	Diagnose(ctx context.Context, s State, key lever.APIKey, progress chan<- Finding) Diagnosis
}

// Disk space below which a sync is likely to stop with "disk full", and
// below which the room is worth a note.
const (
	minFreeDisk  = 64 << 20
	lowFreeDisk  = 1 << 30
	supportAfter = 24 * time.Hour
)

// Diagnose runs the checks in order and returns every finding. Each check
// is sent on progress (which may be nil) when it starts, with Status
// Running, and again when it ends; sends stop blocking once ctx is done. A
// check that cannot run because an earlier one failed is skipped and says
// why, rather than failing again. now is the clock for "how long ago"
// (nil: time.Now).
func Diagnose(ctx context.Context, ex Examiner, now func() time.Time, progress chan<- Finding) Diagnosis {
	if now == nil {
		now = time.Now
	}
	d := &doctor{ex: ex, now: now(), target: ex.Target()}
	checks := []struct {
		id  CheckID
		run func(context.Context) Finding
	}{
		{CheckKey, d.checkKey},
		{CheckNetwork, d.checkNetwork},
		{CheckMaintenance, d.checkMaintenance},
		{CheckKeyAccepted, d.checkKeyAccepted},
		{CheckPermissions, d.checkPermissions},
		{CheckConfidential, d.checkConfidential},
		{CheckRateLimit, d.checkRateLimit},
		{CheckDataFile, d.checkDataFile},
		{CheckIntegrity, d.checkIntegrity},
		{CheckEnvironment, d.checkEnvironment},
		{CheckDisk, d.checkDisk},
		{CheckLastSync, d.checkLastSync},
	}
	send := func(f Finding) {
		if progress == nil {
			return
		}
		select {
		case progress <- f:
		case <-ctx.Done():
		}
	}
	out := Diagnosis{Target: d.target}
	for _, c := range checks {
		send(Finding{ID: c.id, Title: c.id.Title(), Status: Running})
		var f Finding
		if ctx.Err() != nil {
			f = skipped("stopped before this check ran")
		} else {
			f = c.run(ctx)
		}
		f.ID, f.Title = c.id, c.id.Title()
		out.Findings = append(out.Findings, f)
		send(f)
	}
	return out
}

// doctor carries what earlier checks learned to later ones.
type doctor struct {
	ex     Examiner
	now    time.Time
	target TargetFacts

	keyUsable  bool
	reach      ReachFacts
	reached    bool
	available  bool
	keyOK      bool
	keyUsed    bool
	file       DataFileFacts
	fileOpened bool
}

func skipped(why string) Finding { return Finding{Status: Skip, Summary: "skipped: " + why} }

func (d *doctor) envTitle() string {
	if !d.target.LeverHost && d.target.Env == lever.Custom {
		return "the API root " + d.target.BaseURL
	}
	return "Lever " + d.target.Env.Title()
}

const (
	saveKeyHint  = `save the new key with 'leversync login --key-stdin' (or run 'leversync setup')`
	newKeyClicks = "in Lever: Settings > Integrations and API > API Credentials > Generate New Key"
	againHint    = "then run 'leversync doctor' again"
)

func (d *doctor) checkKey(ctx context.Context) Finding {
	k := d.ex.Key(ctx)
	order := "a key is taken from --key-stdin, else LEVER_API_KEY, else the key saved for the environment"
	ev := []string{order}
	switch {
	case k.Key.IsZero() && k.Source == KeyFromStdin:
		why := "standard input was empty"
		if k.LoadErr != nil {
			why = "standard input could not be read: " + k.LoadErr.Error()
		}
		return Finding{Status: Fail, Summary: "no API key: " + why, Evidence: ev,
			Fix: `pipe the key in, e.g. printf %s "$KEY" | leversync doctor --key-stdin`}
	case k.Key.IsZero() && k.LoadErr != nil:
		return Finding{Status: Fail, Summary: "the saved key could not be read: " + k.LoadErr.Error(), Evidence: ev,
			Fix: "unlock the system keyring (log in to the desktop session), or give the key with LEVER_API_KEY or --key-stdin"}
	case k.Key.IsZero():
		return Finding{Status: Fail,
			Summary:  fmt.Sprintf("no API key: none was given with --key-stdin or LEVER_API_KEY, and none is saved for %s", d.target.Env.Title()),
			Evidence: ev,
			Fix:      `save one with the wizard ('leversync') or with printf %s "$KEY" | leversync login --key-stdin, or set LEVER_API_KEY`}
	case k.Malformed != nil:
		fix := "set it again with only the key"
		switch k.Source {
		case KeyFromEnv:
			fix = "set LEVER_API_KEY to the key alone, exactly as Lever showed it"
		case KeyFromStdin:
			fix = "pipe only the key, exactly as Lever showed it"
		case KeySaved:
			fix = "save the key again, exactly as Lever showed it: 'leversync login --key-stdin' or 'leversync setup'"
		}
		return Finding{Status: Fail, Summary: k.Source.Describe() + " does not look like a Lever key",
			Evidence: append(ev, k.Malformed.Error()), Fix: fix}
	}
	d.keyUsable = true
	f := Finding{Status: Pass, Summary: "using " + k.Source.Describe(), Evidence: ev}
	if k.Source == KeySaved {
		f.Summary = fmt.Sprintf("using the key saved for %s", d.target.Env.Title())
		if k.SavedWhere != "" {
			f.Summary += " in " + k.SavedWhere
		}
	}
	var differ []string
	for _, o := range k.Others {
		same := "a different one, not used"
		if o.Same {
			same = "the same one"
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s is also set: %s", o.Source.Describe(), same))
		if !o.Same {
			differ = append(differ, o.Source.Describe())
		}
	}
	if len(differ) > 0 {
		f.Status = Note
		f.Summary += fmt.Sprintf("; %s is a different one, not used", strings.Join(differ, " and "))
		f.Fix = fmt.Sprintf("if %s is the right one, stop giving %s", strings.Join(differ, " or "), k.Source.Describe())
	}
	return f
}

// Describe names the key a source gives, e.g. "the key from LEVER_API_KEY".
func (s KeySource) Describe() string {
	switch s {
	case KeySaved:
		return "the saved key"
	case KeyPasted:
		return "the key pasted in the wizard"
	case KeyDemo:
		return "the demo key"
	}
	return "the key from " + string(s)
}

func (r ReachFacts) evidence() []string {
	var ev []string
	if len(r.Addrs) > 0 {
		ev = append(ev, r.Host+" resolved to "+strings.Join(r.Addrs, ", "))
	}
	if r.Proxy != "" {
		ev = append(ev, "through the proxy "+r.Proxy)
	} else {
		ev = append(ev, "no proxy used")
	}
	if len(r.ProxyEnv) > 0 {
		ev = append(ev, "proxy settings: "+strings.Join(r.ProxyEnv, ", "))
	} else {
		ev = append(ev, "HTTPS_PROXY and NO_PROXY are not set")
	}
	if r.CertFile != "" {
		ev = append(ev, "SSL_CERT_FILE="+r.CertFile)
	} else {
		ev = append(ev, "SSL_CERT_FILE is not set (the system's certificates are used)")
	}
	if r.Err != nil {
		ev = append(ev, "error: "+r.Err.Error())
	}
	return ev
}

func (d *doctor) checkNetwork(ctx context.Context) Finding {
	r := d.ex.Reach(ctx)
	d.reach = r
	ev := r.evidence()
	host := r.Host
	network := "check this machine's network connection; if your network needs a proxy, set HTTPS_PROXY to it (and NO_PROXY to the hosts that skip it), " + againHint
	switch r.Failure {
	case ReachOK:
	case ReachDNS:
		fix := network
		if !d.target.LeverHost {
			fix = "check the host in --base-url, then " + network
		}
		return Finding{Status: Fail, Summary: fmt.Sprintf("could not find %s: the name does not resolve", host), Evidence: ev, Fix: fix}
	case ReachProxy:
		return Finding{Status: Fail, Summary: fmt.Sprintf("the proxy %s did not pass the connection to %s through", r.Proxy, host), Evidence: ev,
			Fix: "check HTTPS_PROXY: is the proxy's address right, and is it running? Hosts that must not go through it belong in NO_PROXY; " + againHint}
	case ReachTLS:
		return Finding{Status: Fail, Summary: fmt.Sprintf("the secure (TLS) connection to %s is not trusted: its certificate is not one this machine knows", host), Evidence: ev,
			Fix: fmt.Sprintf("a proxy or security software on your network probably inspects HTTPS: ask your IT team for its root certificate and point SSL_CERT_FILE at that PEM file, or have %s bypass the proxy (NO_PROXY) or set HTTPS_PROXY to the proxy IT names; %s", host, againHint)}
	case ReachConnect:
		fix := "a firewall may block it, or the network needs a proxy: set HTTPS_PROXY if so (and check NO_PROXY); " + againHint
		if r.Loopback {
			fix = "nothing answers there: is the local server (a proxy, or 'leversync fake-lever') running, and is the port in --base-url right?"
		}
		return Finding{Status: Fail, Summary: fmt.Sprintf("could not connect to %s", host), Evidence: ev, Fix: fix}
	case ReachTimeout:
		return Finding{Status: Fail, Summary: fmt.Sprintf("%s did not answer in time", host), Evidence: ev, Fix: network}
	default:
		return Finding{Status: Fail, Summary: fmt.Sprintf("could not reach %s", host), Evidence: ev,
			Fix: "check the network, the proxy settings (HTTPS_PROXY, NO_PROXY) and --base-url; " + againHint}
	}
	d.reached = true
	ev = append(ev, fmt.Sprintf("a request without the key was answered %d in %s", r.Status, roundMillis(r.Elapsed)))
	if r.Scheme == "http" {
		return Finding{Status: Note, Summary: fmt.Sprintf("plain http to %s on this machine answered (fine for a local fake Lever or proxy; Lever itself is always https)", host), Evidence: ev}
	}
	return Finding{Status: Pass, Summary: fmt.Sprintf("%s answered over HTTPS in %s", host, roundMillis(r.Elapsed)), Evidence: ev}
}

func (d *doctor) checkMaintenance(context.Context) Finding {
	if !d.reached {
		return skipped("Lever could not be reached")
	}
	status := d.reach.Status
	ev := []string{fmt.Sprintf("%s answered %d %s to a request without the key", d.reach.Host, status, http.StatusText(status))}
	fix := "nothing to fix on your side: wait a while, " + againHint + "; a sync retries such answers, and one that stops resumes where it stopped"
	switch {
	case status == http.StatusServiceUnavailable:
		return Finding{Status: Fail, Summary: "Lever answered 503 Service Unavailable: it is down for maintenance", Evidence: ev, Fix: fix}
	case status >= 500:
		return Finding{Status: Fail, Summary: fmt.Sprintf("Lever answered %d %s: it is having trouble", status, http.StatusText(status)), Evidence: ev, Fix: fix}
	}
	d.available = true
	return Finding{Status: Pass, Summary: "Lever is answering (not in maintenance)", Evidence: ev}
}

func (d *doctor) checkKeyAccepted(ctx context.Context) Finding {
	switch {
	case !d.keyUsable:
		return skipped("there is no usable key (see " + CheckKey.Title() + ")")
	case !d.reached:
		return skipped("Lever could not be reached")
	case !d.available:
		return skipped("Lever is not available (see " + CheckMaintenance.Title() + ")")
	}
	err := d.ex.VerifyKey(ctx)
	d.keyUsed = true
	var ae *lever.APIError
	switch {
	case err == nil:
		d.keyOK = true
		return Finding{Status: Pass, Summary: d.envTitle() + " accepted the key"}
	case ctx.Err() != nil:
		return skipped("stopped before the key was checked")
	case errors.Is(err, lever.ErrUnauthorized):
		return d.rejected(ctx)
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return Finding{Status: Fail, Summary: fmt.Sprintf("%s has no Lever API", d.target.BaseURL), Evidence: []string{err.Error()},
			Fix: "--base-url must be the API root including /v1, like " + lever.Production.BaseURL()}
	}
	return Finding{Status: Warn, Summary: "could not tell whether the key is accepted", Evidence: []string{err.Error()},
		Fix: "this is usually passing trouble with Lever or the network: run 'leversync doctor' again in a few minutes"}
}

// rejected words a 401: on Lever's own host it asks Lever's other hosts
// whom the key belongs to; a key given for any other API root goes nowhere
// else.
func (d *doctor) rejected(ctx context.Context) Finding {
	revoked := fmt.Sprintf("copy the key again, whole, from where you saved it; if it is lost or was revoked, generate a new key (%s) and %s", newKeyClicks, saveKeyHint)
	if !d.target.LeverHost {
		return Finding{Status: Fail,
			Summary:  fmt.Sprintf("%s rejected the key (401): it was revoked or mistyped", d.envTitle()),
			Evidence: []string{"a key given for a custom API root is never sent anywhere else, so Lever's other environments were not asked"},
			Fix:      revoked + "; if the key is for Lever's Production or Sandbox, use --env without --base-url"}
	}
	f := Finding{Status: Fail}
	for _, a := range d.ex.OtherHosts(ctx) {
		switch {
		case a.Accepted:
			f.Evidence = append(f.Evidence, fmt.Sprintf("Lever %s accepted it", a.Env.Title()))
			if f.BelongsTo == "" {
				f.BelongsTo = a.Env
			}
		case a.Err != nil && errors.Is(a.Err, lever.ErrUnauthorized):
			f.Evidence = append(f.Evidence, fmt.Sprintf("Lever %s rejected it too (401)", a.Env.Title()))
		case a.Err != nil:
			f.Evidence = append(f.Evidence, fmt.Sprintf("Lever %s could not tell: %v", a.Env.Title(), a.Err))
		}
	}
	if f.BelongsTo != "" {
		f.Summary = fmt.Sprintf("this key belongs to Lever %s, not %s", f.BelongsTo.Title(), d.target.Env.Title())
		f.Fix = fmt.Sprintf("use it with --env %s (in the wizard, choose %s at the Data step); for %s, generate a key there", f.BelongsTo, f.BelongsTo.Title(), d.target.Env.Title())
		return f
	}
	f.Summary = fmt.Sprintf("%s rejected the key (401): it was revoked or mistyped", d.envTitle())
	f.Fix = revoked
	return f
}

func (d *doctor) checkPermissions(ctx context.Context) Finding {
	if !d.keyOK {
		return skipped("the key was not accepted")
	}
	perms := append(SyncReads(), permission.Write...)
	results := make(chan lever.ProbeResult)
	go d.ex.ProbeAll(ctx, perms, results)
	got := map[string]lever.ProbeResult{}
	for r := range results {
		got[r.Permission.Name] = r
	}
	if ctx.Err() != nil {
		return skipped("stopped before every permission was checked")
	}
	var missing, unknownReads, missingWrites, unknownWrites []string
	var ev []string
	for _, p := range perms {
		r, ok := got[p.Name]
		kind := "read"
		if p.Write {
			kind = "write"
		}
		detail := r.Detail
		if !ok {
			detail = "could not tell: not probed"
		}
		if p.Details {
			kind += ", used by sync --details"
		}
		ev = append(ev, fmt.Sprintf("%s (%s): %s", p.Name, kind, detail))
		switch {
		case r.Status == lever.Missing && !p.Write:
			missing = append(missing, p.Name)
		case r.Status != lever.Granted && !p.Write:
			unknownReads = append(unknownReads, p.Name)
		case r.Status == lever.Missing:
			missingWrites = append(missingWrites, p.Name)
		case r.Status != lever.Granted:
			unknownWrites = append(unknownWrites, p.Name)
		}
	}
	reads := len(perms) - len(permission.Write)
	switch {
	case len(missing) > 0:
		return Finding{Status: Fail,
			Summary:  fmt.Sprintf("the key lacks %d of the %d read permissions leversync uses: %s", len(missing), reads, quoteList(missing)),
			Evidence: ev, Missing: missing,
			Fix: fmt.Sprintf("Lever keys cannot be edited: generate a new key with these ticked: %s (%s; ticking \"Select all read\" covers them), then %s",
				quoteList(missing), newKeyClicks, saveKeyHint)}
	case len(unknownReads) > 0:
		return Finding{Status: Note, Summary: "could not tell for " + quoteList(unknownReads), Evidence: ev,
			Fix: "this is usually passing trouble with Lever or the network: run 'leversync doctor' again"}
	case len(missingWrites) == len(permission.Write):
		return Finding{Status: Note, Summary: fmt.Sprintf("all %d read permissions leversync uses are granted; the key has no write permission, which leversync does not need", reads), Evidence: ev}
	case len(missingWrites)+len(unknownWrites) > 0:
		s := fmt.Sprintf("all %d read permissions leversync uses are granted", reads)
		if len(missingWrites) > 0 {
			s += "; write permissions not granted (leversync does not need them): " + quoteList(missingWrites)
		}
		if len(unknownWrites) > 0 {
			s += "; could not tell for " + quoteList(unknownWrites)
		}
		return Finding{Status: Note, Summary: s, Evidence: ev}
	}
	return Finding{Status: Pass, Summary: fmt.Sprintf("all %d read permissions leversync uses are granted, and the %d write permissions look granted", reads, len(permission.Write)), Evidence: ev}
}

func (d *doctor) checkConfidential(ctx context.Context) Finding {
	if !d.keyOK {
		return skipped("the key was not accepted")
	}
	r := d.ex.ProbeConfidential(ctx)
	ev := []string{r.Detail}
	switch r.Status {
	case lever.Granted:
		return Finding{Status: Pass, Summary: `the key has "` + ConfidentialName + `": confidential jobs and candidates are synced`, Evidence: ev}
	case lever.Missing:
		return Finding{Status: Warn, Summary: `the key has no "` + ConfidentialName + `": confidential jobs and candidates are left out`, Evidence: ev,
			Fix: fmt.Sprintf(`if you need them, generate a new key with "%s" turned on (a key's toggle cannot be changed later; %s), then %s`, ConfidentialName, newKeyClicks, saveKeyHint)}
	}
	if ctx.Err() != nil {
		return skipped("stopped before confidential access was checked")
	}
	return Finding{Status: Note, Summary: "could not tell whether the key sees confidential data", Evidence: ev,
		Fix: "run 'leversync doctor' again"}
}

func (d *doctor) checkRateLimit(context.Context) Finding {
	if !d.keyUsed {
		return skipped("no request was made with the key")
	}
	t := d.ex.Traffic()
	if !d.keyOK && t.TooMany == 0 {
		return skipped("the key was not accepted, so too few requests were made to tell")
	}
	pace := "with no rate limit of its own"
	if t.Rate > 0 {
		pace = fmt.Sprintf("at no more than %g requests/s", t.Rate)
	}
	ev := []string{fmt.Sprintf("%d requests with the key, sent %s; %d answered 429 Too Many Requests, %d answered 502/503/504", t.Requests, pace, t.TooMany, t.Unavailable)}
	shared := fmt.Sprintf("another integration probably uses this key's budget (Lever allows %d requests/s per key)", lever.DefaultRate)
	ownKey := "give leversync a key of its own (" + newKeyClicks + "), or run the first sync while the other integration is idle"
	low := t.Rate > 0 && t.Rate < lever.DefaultRate
	switch {
	case t.GaveUp && low:
		return Finding{Status: Fail, Summary: fmt.Sprintf("Lever kept answering 429 Too Many Requests after retries although doctor sent %s: %s", pace, shared), Evidence: ev,
			Fix: ownKey + "; " + againHint}
	case t.TooMany > 0 && low:
		return Finding{Status: Warn, Summary: fmt.Sprintf("Lever answered 429 Too Many Requests %d times although doctor sent %s, under the key's limit of %d/s: %s", t.TooMany, pace, lever.DefaultRate, shared), Evidence: ev,
			Fix: "syncs still work, only slower; for full speed " + ownKey}
	case t.TooMany > 0:
		return Finding{Status: Note, Summary: fmt.Sprintf("Lever answered 429 Too Many Requests %d times; doctor sent %s, so this says nothing about other users of the key", t.TooMany, pace), Evidence: ev}
	}
	return Finding{Status: Pass, Summary: fmt.Sprintf("no 429 Too Many Requests in %d %s: nothing else seems to use this key's budget", t.Requests, plural(t.Requests, "request", "requests")), Evidence: ev}
}

func (d *doctor) checkDataFile(ctx context.Context) Finding {
	f := d.ex.DataFile(ctx)
	d.file = f
	path := f.Path
	ev := []string{"data file: " + path}
	if f.Err != nil {
		ev = append(ev, "error: "+f.Err.Error())
	}
	damaged := "it was left untouched: move it away, or delete it with 'leversync reset'; the next 'leversync sync' then starts over (nothing in Lever is affected)"
	switch f.Problem {
	case StoreInUse:
		who := "another leversync process"
		fix := "that is probably a sync or the wizard: wait for it to finish, or stop it"
		if f.HolderPID > 0 {
			who += fmt.Sprintf(" (pid %d)", f.HolderPID)
			fix += fmt.Sprintf(" (kill %d)", f.HolderPID)
		}
		return Finding{Status: Fail, Summary: fmt.Sprintf("the data file is in use by %s", who), Evidence: ev,
			Fix: fix + ", " + againHint + "; or pass another --db"}
	case StoreCorrupt:
		return Finding{Status: Fail, Summary: "the data file is damaged, or is not a leversync data file", Evidence: ev, Fix: damaged}
	case StoreSchema:
		if f.Schema > f.Known {
			return Finding{Status: Fail, Summary: fmt.Sprintf("the data file was written by a newer leversync (format %d; this one knows up to %d)", f.Schema, f.Known), Evidence: ev,
				Fix: "upgrade leversync, or pass another --db"}
		}
		return Finding{Status: Note, Summary: fmt.Sprintf("the data file has format %d; the next sync upgrades it to %d", f.Schema, f.Known), Evidence: ev,
			Fix: "run 'leversync sync' once"}
	case StoreUnreadable:
		return Finding{Status: Fail, Summary: "the data file could not be opened", Evidence: ev,
			Fix: "check that the file and its folder are yours and readable (the file should have mode 0600), or pass another --db"}
	}
	if !f.Exists {
		return Finding{Status: Note, Summary: "no data file yet: the first sync creates it", Evidence: ev}
	}
	d.fileOpened = true
	ev = append(ev, fmt.Sprintf("size %s; format version %d", formatBytes(f.Size), f.Schema))
	for _, r := range lever.AllResources {
		if n := f.Counts[r]; n > 0 {
			ev = append(ev, fmt.Sprintf("%s: %d", r, n))
		}
	}
	return Finding{Status: Pass, Summary: fmt.Sprintf("opens; %d candidates and %d jobs stored", f.Counts[lever.Opportunities], f.Counts[lever.Postings]), Evidence: ev}
}

// fileSkip is why a check of the file's content cannot run; "" when it can.
func (d *doctor) fileSkip() string {
	switch {
	case d.fileOpened:
		return ""
	case d.file.Problem == StoreOK && !d.file.Exists:
		return "no data file yet"
	case d.file.Problem == StoreSchema && d.file.Schema < d.file.Known:
		return "the data file needs the upgrade the next sync makes"
	}
	return "the data file did not open (see " + CheckDataFile.Title() + ")"
}

func (d *doctor) checkIntegrity(context.Context) Finding {
	if why := d.fileSkip(); why != "" {
		return skipped(why)
	}
	if d.file.Running {
		return skipped("a sync is writing to the file now; it is checked when no sync runs")
	}
	if err := d.file.IntegrityErr; err != nil {
		return Finding{Status: Fail, Summary: "the data file is damaged", Evidence: []string{err.Error()},
			Fix: "it was left untouched: move it away, or delete it with 'leversync reset'; the next 'leversync sync' then starts over (nothing in Lever is affected)"}
	}
	return Finding{Status: Pass, Summary: "every page of the file, and leversync's own counts and index, agree"}
}

// checkEnvironment tells in advance whether a sync would refuse the data
// file (store.Bind): filled from another environment, another API root, or
// another Lever account than the one the key opens.
func (d *doctor) checkEnvironment(ctx context.Context) Finding {
	if why := d.fileSkip(); why != "" {
		return skipped(why)
	}
	f, t := d.file, d.target
	if f.BoundEnv == "" {
		return Finding{Status: Note, Summary: fmt.Sprintf("not bound yet: the first sync binds it to %s", t.Env.Title())}
	}
	ev := []string{fmt.Sprintf("the file was filled from %s (%s)", f.BoundEnv.Title(), f.BoundURL)}
	emptyIt := "pass another --db, or empty this one with 'leversync reset' (the next sync fills it again)"
	if f.BoundEnv != t.Env {
		use := "--env " + string(f.BoundEnv)
		switch f.BoundEnv {
		case lever.Custom:
			use = "--base-url " + f.BoundURL
		case lever.Demo:
			use = "'leversync --demo'"
		}
		return Finding{Status: Fail, Summary: fmt.Sprintf("the data file holds %s data, and this is %s", f.BoundEnv.Title(), t.Env.Title()), Evidence: ev,
			Fix: fmt.Sprintf("to use this file, run with %s; for %s, %s", use, t.Env.Title(), emptyIt)}
	}
	// The demo's API root changes every run: a sync compares only its
	// environment and account.
	if t.Env != lever.Demo && f.BoundURL != "" && t.BaseURL != "" && f.BoundURL != t.BaseURL {
		return Finding{Status: Fail, Summary: fmt.Sprintf("the data file holds the data of the Lever account at %s, and this is %s", f.BoundURL, t.BaseURL), Evidence: ev,
			Fix: fmt.Sprintf("to use this file, run with --base-url %s; for %s, %s", f.BoundURL, t.BaseURL, emptyIt)}
	}
	same := "holds " + t.Env.Title() + " data, as expected"
	if len(f.BoundAccount) == 0 {
		return Finding{Status: Note, Summary: same + "; the file records no ids of its Lever account yet (an earlier leversync filled it): the next sync records them", Evidence: ev}
	}
	ev = append(ev, fmt.Sprintf("the file records %d %s of the account that filled it (its archive reasons)", len(f.BoundAccount), plural(int64(len(f.BoundAccount)), "id", "ids")))
	if !d.keyOK {
		return Finding{Status: Note, Summary: same + "; the Lever account that filled it was not compared (skipped: the key was not accepted)", Evidence: ev}
	}
	ids, err := d.ex.Account(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		return skipped("stopped before the account was compared")
	case err != nil:
		return Finding{Status: Note, Summary: same + "; could not ask Lever which account this key opens", Evidence: append(ev, "error: "+err.Error()),
			Fix: "this is usually passing trouble with Lever or the network: run 'leversync doctor' again"}
	case len(ids) == 0:
		return Finding{Status: Note, Summary: same + "; Lever listed no ids for the account this key opens, so it could not be compared (a sync accepts the file)", Evidence: ev}
	}
	matched := 0
	for _, id := range ids {
		if slices.Contains(f.BoundAccount, id) {
			matched++
		}
	}
	ev = append(ev, fmt.Sprintf("%d of the %d ids Lever lists for the account this key opens match them", matched, len(ids)))
	if matched == 0 {
		return Finding{Status: Fail, Summary: "the data file was filled from another Lever account than the one this key opens", Evidence: ev,
			Fix: "to use this file, use the key of the Lever account that filled it; for the account this key opens, " + emptyIt}
	}
	return Finding{Status: Pass, Summary: "holds " + t.Env.Title() + " data of the Lever account this key opens", Evidence: ev}
}

func (d *doctor) checkDisk(ctx context.Context) Finding {
	k := d.ex.Disk(ctx)
	room, limited := k.Free, false
	if k.Room >= 0 && (room < 0 || k.Room < room) {
		room, limited = k.Room, true
	}
	var ev []string
	if k.Free >= 0 {
		ev = append(ev, fmt.Sprintf("%s free on the disk holding %s", formatBytes(k.Free), k.Dir))
	}
	if k.Room >= 0 {
		ev = append(ev, fmt.Sprintf("the data file may grow by %s more under its size limit", formatBytes(k.Room)))
	}
	if k.Err != nil {
		ev = append(ev, "error: "+k.Err.Error())
	}
	where := "on the disk holding " + k.Dir
	if limited {
		where = "for the data file under its size limit"
	}
	switch {
	case room < 0:
		return Finding{Status: Note, Summary: "could not tell how much disk space is free", Evidence: ev}
	case room < minFreeDisk:
		return Finding{Status: Fail, Summary: fmt.Sprintf("only %s left %s: a sync would stop with \"disk full\"", formatBytes(room), where), Evidence: ev,
			Fix: "free some space there, or pass --db with a file on a disk with room; a sync that runs out of space stops safely and resumes where it stopped"}
	case room < lowFreeDisk:
		return Finding{Status: Note, Summary: fmt.Sprintf("%s left %s: enough for a small account; a large one (hundreds of thousands of candidates) needs more", formatBytes(room), where), Evidence: ev}
	}
	return Finding{Status: Pass, Summary: fmt.Sprintf("%s free %s", formatBytes(room), where), Evidence: ev}
}

func (d *doctor) checkLastSync(ctx context.Context) Finding {
	f := d.lastSync(ctx)
	s := d.file.Schedule
	if s == nil {
		return f
	}
	// A schedule keeps retrying what can heal by itself: its failures are a
	// warning, and the last run's own failure (if the file holds it) stays
	// a failure.
	every := humanDuration(s.Every)
	switch {
	case s.Running:
		f.Evidence = append(f.Evidence, fmt.Sprintf("scheduled every %s ('leversync sync --every', pid %d): a run is under way", every, s.PID))
	default:
		f.Evidence = append(f.Evidence, fmt.Sprintf("scheduled every %s ('leversync sync --every', pid %d): the next run starts in %s", every, s.PID, humanDuration(s.NextRun.Sub(d.now))))
	}
	if s.Failures == 0 {
		return f
	}
	runs := "the last scheduled run"
	if s.Failures > 1 {
		runs = fmt.Sprintf("the last %d scheduled runs", s.Failures)
	}
	if f.Status != Fail {
		f.Status = Warn
		f.Summary = fmt.Sprintf("%s failed: %s; the schedule retries in %s", runs, s.LastError, humanDuration(s.NextRun.Sub(d.now)))
	} else {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s failed; the schedule retries in %s", runs, humanDuration(s.NextRun.Sub(d.now))))
	}
	f.Fix = "fix what the checks above name; the schedule keeps retrying, waiting longer each time (up to an hour, or its interval if longer), and resumes where the last run stopped"
	return f
}

// lastSync judges the last run the data file records.
func (d *doctor) lastSync(context.Context) Finding {
	if why := d.fileSkip(); why != "" {
		if !d.file.Exists && d.file.Problem == StoreOK {
			return Finding{Status: Note, Summary: "no sync has run yet", Fix: "run 'leversync sync' (or 'leversync' for the wizard)"}
		}
		return skipped(why)
	}
	f := d.file
	switch {
	case f.Current != nil:
		return d.unfinished(*f.Current, f.Last == nil, f.Running, f.Progress)
	case f.Running:
		return Finding{Status: Pass, Summary: "a sync is starting"}
	case f.Last != nil:
		l := f.Last
		took := time.Duration(l.FinishedAt-l.StartedAt) * time.Millisecond
		summary := fmt.Sprintf("finished %s ago (took %s): %s", d.ago(l.FinishedAt), humanDuration(took), totals(l.Totals))
		ev := []string{"run " + l.ID + ", result " + l.Result}
		if len(l.Warnings) > 0 {
			for _, w := range l.Warnings {
				ev = append(ev, "warning: "+w)
			}
			return Finding{Status: Note, Summary: summary + ", with warnings: " + strings.Join(l.Warnings, "; "), Evidence: ev}
		}
		return Finding{Status: Pass, Summary: summary, Evidence: ev}
	}
	return Finding{Status: Note, Summary: "no sync has run yet", Fix: "run 'leversync sync' (or 'leversync' for the wizard)"}
}

// unfinished judges a run that has not finished: running now, failed, or
// stopped. Lever support is suggested only for a first sync older than a
// day, as Lever's own guide says.
func (d *doctor) unfinished(r syncer.RunState, first, running bool, p *InitialProgress) Finding {
	age := d.now.Sub(time.UnixMilli(r.StartedAt))
	which := "the last sync"
	if first {
		which = "the first sync"
	}
	ev := []string{"run " + r.ID + fmt.Sprintf(", started %s ago", humanDuration(age))}
	so := "nothing stored yet"
	if n := sum(r.Totals); n > 0 {
		so = totals(r.Totals) + " stored so far"
	}
	var estimate *Estimate
	if first && p != nil {
		e, ok, why := p.Estimate()
		switch {
		case ok:
			estimate = &e
			ev = append(ev, fmt.Sprintf("about %.0f%% of the candidates' creation-time range is read: %d of an estimated %d candidates", e.Share*100, e.Stored, e.Total))
			left := "at least " + humanDuration(e.Remaining)
			if e.Remaining < time.Minute {
				left = "under a minute of requests"
			}
			so += fmt.Sprintf("; the rest takes %s at Lever's rate limit (%d requests/s)", left, lever.DefaultRate)
		default:
			ev = append(ev, "no estimate of the time left: "+why)
		}
	}
	late := first && age > supportAfter
	support := "it has taken more than 24 hours, so if it does not finish, contact Lever support and send them the file from 'leversync doctor --report FILE'"
	f := Finding{Evidence: ev, Estimate: estimate}
	switch {
	case running && late:
		f.Status, f.Summary, f.Fix = Warn, fmt.Sprintf("%s has been running for %s: %s", which, humanDuration(age), so), support
	case running:
		f.Status, f.Summary = Pass, fmt.Sprintf("%s is running (started %s ago): %s", which, humanDuration(age), so)
	case r.Result == syncer.ResultFailed:
		f.Status, f.Summary = Fail, fmt.Sprintf("%s failed (started %s ago): %s", which, humanDuration(age), r.Error)
		f.Evidence = append(f.Evidence, so)
		f.Fix = "fix what the checks above name, then run 'leversync sync': it resumes where it stopped"
		if late {
			f.Fix += "; " + support
		}
	case late:
		f.Status, f.Summary = Warn, fmt.Sprintf("%s started %s ago and has not finished: %s", which, humanDuration(age), so)
		f.Fix = "run 'leversync sync' to resume it; " + support
	default:
		f.Status, f.Summary = Note, fmt.Sprintf("%s stopped before its end (started %s ago): %s", which, humanDuration(age), so)
		f.Fix = "run 'leversync sync': it resumes where it stopped"
	}
	return f
}

func (d *doctor) ago(ms int64) string { return humanDuration(d.now.Sub(time.UnixMilli(ms))) }

func sum(m map[lever.Resource]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// totals words a run's records per resource, candidates and jobs first.
func totals(m map[lever.Resource]int) string {
	if sum(m) == 0 {
		return "no records"
	}
	var parts []string
	order := append([]lever.Resource{lever.Opportunities, lever.Postings}, lever.AllResources...)
	seen := map[lever.Resource]bool{}
	for _, r := range order {
		if seen[r] || m[r] == 0 {
			continue
		}
		seen[r] = true
		name := strings.ReplaceAll(string(r), "_", " ")
		switch r {
		case lever.Opportunities:
			name = "candidates"
		case lever.Postings:
			name = "jobs"
		}
		parts = append(parts, fmt.Sprintf("%d %s", m[r], name))
	}
	return strings.Join(parts, ", ")
}

// humanDuration rounds a duration to what a person reads: "45 s",
// "12 min", "3 h 20 min", "2 days 4 h".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	d = d.Round(time.Hour)
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%d days", days)
	}
	return fmt.Sprintf("%d days %d h", days, h)
}

// formatBytes is a size in the largest unit that keeps it at least 1.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, u := float64(n), 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"bytes", "kB", "MB", "GB", "TB"}[u])
}

func roundMillis(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
