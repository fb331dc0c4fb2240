package app

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
)

// ReportContents says what a support bundle holds, so the user can read it
// before sending it.
const ReportContents = "the leversync version and operating system; the Lever environment, API root and data file path; " +
	"every check with its evidence and fix; the last runs (times, results, record counts, warnings and errors); " +
	"and the number of records stored per kind. The API key (plain or Base64) and candidates' personal data " +
	"(names, emails, phone numbers, links, note text) are redacted, and no record is copied into it"

// WriteReport writes the support bundle of diag to path, readable only by
// the user (mode 0600; an existing file is replaced).
func (d *Doctor) WriteReport(path, version string, diag steps.Diagnosis) error {
	red := d.redactor()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("leversync support bundle")
	line("")
	line("Written %s by leversync %s on %s/%s (%s).", time.Now().UTC().Format(time.RFC3339), version, runtime.GOOS, runtime.GOARCH, runtime.Version())
	line("It holds %s.", ReportContents)
	line("Read it before you send it.")
	line("")
	line("== Lever")
	line("environment: %s", diag.Target.Env.Title())
	line("API root: %s", diag.Target.BaseURL)
	line("data file: %s", d.cfg.DBPath)
	line("")
	line("== Checks")
	for _, f := range diag.Findings {
		line("[%s] %s: %s", f.Status, f.Title, f.Summary)
		for _, e := range f.Evidence {
			line("    %s", e)
		}
		if f.Fix != "" {
			line("    fix: %s", f.Fix)
		}
	}
	line("")
	line("== Data file")
	s := d.stats
	if !s.read {
		line("not read (see the checks above)")
	} else {
		line("size: %d bytes", s.size)
		for _, r := range lever.AllResources {
			line("%s: %d stored, %d deleted in Lever", r, s.counts[r], s.deleted[r])
		}
	}
	line("")
	line("== Runs")
	writeRun(line, "run in progress (unfinished)", s.current)
	writeRun(line, "last finished run", s.last)

	text := red.Replace(b.String())
	text = emailPattern.ReplaceAllString(text, "[email]")
	return writePrivate(path, []byte(text))
}

func writeRun(line func(string, ...any), name string, r *syncer.RunState) {
	if r == nil {
		line("%s: none", name)
		return
	}
	at := func(ms int64) string {
		if ms == 0 {
			return "-"
		}
		return time.UnixMilli(ms).UTC().Format(time.RFC3339)
	}
	line("%s: %s", name, r.ID)
	line("    full: %t, details: %t, started %s (Lever's clock %s), finished %s, result %q", r.Full, r.Details, at(r.StartedAt), at(r.ServerStartedAt), at(r.FinishedAt), r.Result)
	line("    updated since %s, deletions since %s", at(r.UpdatedSince), at(r.DeletedSince))
	var totals []string
	for _, res := range lever.AllResources {
		if n, ok := r.Totals[res]; ok {
			totals = append(totals, fmt.Sprintf("%s %d", res, n))
		}
	}
	line("    records: %s", strings.Join(totals, ", "))
	for _, w := range r.Warnings {
		line("    warning: %s", w)
	}
	if r.Error != "" {
		line("    error: %s", r.Error)
	}
}

var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// redactor replaces the key, in every form a request carries it, and the
// personal data of the stored candidates.
func (d *Doctor) redactor() *strings.Replacer {
	secrets := map[string]string{}
	for _, k := range []lever.APIKey{d.cfg.Key, d.cfg.EnvKey} {
		if k.IsZero() {
			continue
		}
		plain := k.Reveal()
		for _, form := range []string{plain, plain + ":"} {
			secrets[base64.StdEncoding.EncodeToString([]byte(form))] = "[redacted key]"
			secrets[base64.URLEncoding.EncodeToString([]byte(form))] = "[redacted key]"
			secrets[base64.RawStdEncoding.EncodeToString([]byte(form))] = "[redacted key]"
		}
		secrets[plain] = "[redacted key]"
		secrets[url.QueryEscape(plain)] = "[redacted key]"
	}
	for _, p := range d.personalData() {
		if _, ok := secrets[p]; !ok {
			secrets[p] = "[redacted]"
		}
	}
	olds := make([]string, 0, len(secrets))
	for s := range secrets {
		olds = append(olds, s)
	}
	// Longest first, so a name inside a longer text never leaves the rest.
	slices.SortFunc(olds, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(olds))
	for _, s := range olds {
		pairs = append(pairs, s, secrets[s])
	}
	return strings.NewReplacer(pairs...)
}

// minRedacted is the shortest value redacted by exact match; shorter ones
// would blank out ordinary words.
const minRedacted = 3

// personalData lists the stored candidates' names, emails, phones, links,
// headlines and locations, and the text of their notes, for redaction. An
// unreadable file gives none: the bundle copies no record anyway.
func (d *Doctor) personalData() []string {
	if d.cfg.DBPath == "" {
		return nil
	}
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= minRedacted {
			out = append(out, s)
		}
	}
	collect := func(st *store.Store) error {
		err := st.Export(lever.Opportunities, false, func(_ string, raw []byte) error {
			var o struct {
				Name     string   `json:"name"`
				Headline string   `json:"headline"`
				Location string   `json:"location"`
				Emails   []string `json:"emails"`
				Links    []string `json:"links"`
				Phones   []struct {
					Value string `json:"value"`
				} `json:"phones"`
			}
			if json.Unmarshal(raw, &o) != nil {
				return nil
			}
			add(o.Name)
			add(o.Headline)
			add(o.Location)
			for _, e := range o.Emails {
				add(e)
			}
			for _, l := range o.Links {
				add(l)
			}
			for _, p := range o.Phones {
				add(p.Value)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return st.Export(lever.Notes, false, func(_ string, raw []byte) error {
			var n struct {
				Text   string `json:"text"`
				Fields []struct {
					Value any `json:"value"`
				} `json:"fields"`
			}
			if json.Unmarshal(raw, &n) != nil {
				return nil
			}
			add(n.Text)
			for _, f := range n.Fields {
				if s, ok := f.Value.(string); ok {
					add(s)
				}
			}
			return nil
		})
	}
	if r := d.cfg.running; r != nil {
		if ran, _ := r.WithStore(collect); ran {
			return out
		}
	}
	st, err := store.Open(d.cfg.DBPath, store.Options{ReadOnly: true, Timeout: d.cfg.Store.Timeout})
	if err != nil {
		return nil
	}
	defer st.Close()
	_ = collect(st)
	return out
}

// CheckReportPath says why path cannot take a support bundle, before any
// check runs: what is already there and is not a regular file (a folder, a
// device, a pipe, a symbolic link) is never replaced, and the folder must
// exist. A regular file there is replaced.
func CheckReportPath(path string) error {
	if info, err := os.Lstat(path); err == nil && !info.Mode().IsRegular() {
		what := "not a regular file (a device, a pipe or a socket)"
		switch {
		case info.IsDir():
			what = "a folder"
		case info.Mode()&fs.ModeSymlink != 0:
			what = "a symbolic link"
		}
		return &fs.PathError{Op: "write the report to", Path: path, Err: fmt.Errorf("it is %s, which is never replaced: name a new file", what)}
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil {
		return fmt.Errorf("write the report in %s: %w; name a file in a folder that exists", dir, err)
	} else if !info.IsDir() {
		return &fs.PathError{Op: "write the report in", Path: dir, Err: errors.New("it is not a folder: name a file in a folder that exists")}
	}
	return nil
}

// writePrivate writes b to path with mode 0600, through a temporary file
// in the same folder so a reader never sees half of it. What is at path
// is checked just before it is replaced (the command checked it before
// the doctor's checks ran, too).
func writePrivate(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".leversync-report-*")
	if err != nil {
		return fmt.Errorf("write the report in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write the report: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write the report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err := CheckReportPath(path); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}
