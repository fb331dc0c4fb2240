package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
)

// progressPrinter shows a headless sync's events.
type progressPrinter interface {
	event(syncer.Event)
	finish(syncer.RunState, error)
}

// jsonPrinter writes each event as one JSON line (the schema is in the
// README).
type jsonPrinter struct{ enc *json.Encoder }

func newJSONPrinter(w io.Writer) *jsonPrinter { return &jsonPrinter{enc: json.NewEncoder(w)} }

func (p *jsonPrinter) event(ev syncer.Event) { _ = p.enc.Encode(ev) }

func (p *jsonPrinter) finish(syncer.RunState, error) {}

// humanPrinter keeps one updating line on a terminal, and prints a plain
// line every few seconds (and on every phase change or warning) otherwise.
// What it prints comes from the progress model: it prints what changed
// between the model's snapshots.
type humanPrinter struct {
	w        io.Writer
	terminal bool
	every    time.Duration
	last     time.Time
	model    *progress.Model
	shown    progress.Snapshot
	lineOpen bool
	// lastLine is the last status line printed; printed is the last line
	// of any kind.
	lastLine, printed string
}

func newHumanPrinter(w io.Writer, terminal bool) *humanPrinter {
	return &humanPrinter{w: w, terminal: terminal, every: 5 * time.Second, model: progress.New()}
}

func (p *humanPrinter) event(ev syncer.Event) {
	p.model.Apply(ev)
	s := p.model.Snapshot()
	before := p.shown
	p.shown = s

	if s.Started && !before.Started {
		p.line("sync started: " + syncKind(s))
	}
	if s.Retries > before.Retries && s.LastRetry != nil {
		r := s.LastRetry
		// Requests throttled together retry alike: one line says it, and
		// the status line counts them all.
		if l := fmt.Sprintf("retrying after %s (attempt %d), waiting %s", r.Cause(), r.Attempt, r.Wait()); l != p.printed {
			p.line(l)
		}
	}
	for _, w := range s.Warnings[len(before.Warnings):] {
		p.line("warning: " + lever.PlainText(w))
	}
	// Errors are not printed here: the command prints the error itself
	// when it ends.
	phaseDone := false
	for _, c := range s.PhaseChanges(before) {
		phaseDone = phaseDone || c.Phase.State == progress.Done
	}
	if phaseDone || pages(s) > pages(before) {
		p.status(s, phaseDone)
	}
}

// syncKind is "full sync" or "incremental sync (changes since ...)".
func syncKind(s progress.Snapshot) string {
	if s.Run.UpdatedSince > 0 {
		return "incremental sync (changes since " + time.UnixMilli(s.Run.UpdatedSince).UTC().Format(time.RFC3339) + ")"
	}
	return "full sync"
}

func (p *humanPrinter) finish(st syncer.RunState, err error) {
	p.model.Finish(st, err)
	s := p.model.Snapshot()
	p.endLine()
	elapsed := s.Elapsed().Round(100 * time.Millisecond)
	for _, l := range keptLines(s) {
		fmt.Fprintln(p.w, l)
	}
	if err != nil {
		fmt.Fprintf(p.w, "sync stopped after %s: %s\n", elapsed, summary(s, false))
		return
	}
	fmt.Fprintf(p.w, "sync %s in %s: %s (%d requests)\n", progress.ResultWord(s.Result()), elapsed, summary(s, true), s.Requests)
	for _, w := range s.Run.Warnings {
		fmt.Fprintf(p.w, "warning: %s\n", w)
	}
}

// keptLines says which reference lists the run left unread, keeping the
// copy an earlier sync read: a line per age, such as "kept from an
// earlier sync: stages, users (read 12 min ago; read again at 1 h, or for
// a new entry)".
func keptLines(s progress.Snapshot) []string {
	var reasons []string
	names := map[string][]string{}
	for _, ph := range s.Phases {
		if ph.State != progress.Kept {
			continue
		}
		if _, ok := names[ph.Reason]; !ok {
			reasons = append(reasons, ph.Reason)
		}
		names[ph.Reason] = append(names[ph.Reason], ph.Name)
	}
	lines := make([]string, 0, len(reasons))
	for _, r := range reasons {
		sort.Strings(names[r])
		lines = append(lines, fmt.Sprintf("kept from an earlier sync: %s (%s)", strings.Join(names[r], ", "), r))
	}
	return lines
}

// resultWord is a run's result as the command line says it.
func resultWord(r string) string { return progress.ResultWord(r) }

// thousands formats 1234567 as 1,234,567.
func thousands(n int) string { return progress.Thousands(n) }

// status prints the running totals: in place on a terminal, else at most
// every few seconds (or when forced by a phase change).
func (p *humanPrinter) status(s progress.Snapshot, force bool) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r\x1b[K%s", summary(s, false))
		p.lineOpen, p.printed = true, ""
		return
	}
	if !force && time.Since(p.last) < p.every {
		return
	}
	line := summary(s, false)
	if line == p.lastLine {
		return // a phase ended with nothing new to count
	}
	p.last, p.lastLine = time.Now(), line
	p.line(line)
}

func (p *humanPrinter) line(s string) {
	p.endLine()
	fmt.Fprintln(p.w, s)
	p.printed = s
}

func (p *humanPrinter) endLine() {
	if p.lineOpen {
		fmt.Fprintln(p.w)
		p.lineOpen = false
	}
}

// pages is how many page_stored events the snapshot has seen.
func pages(s progress.Snapshot) int {
	n := 0
	for _, ph := range s.Phases {
		n += ph.Pages
	}
	return n
}

// summary is "opportunities 1,200 · postings 40 · 1 retry": each phase that
// has stored a page, or with final, the engine's totals per resource once
// it has them.
func summary(s progress.Snapshot, final bool) string {
	counts := map[string]int{}
	for _, ph := range s.Phases {
		if ph.Pages > 0 || ph.Records > 0 {
			counts[ph.Name] = ph.Records
		}
	}
	if final && len(s.Run.Totals) > 0 {
		counts = map[string]int{}
		for r, n := range s.Run.Totals {
			counts[string(r)] = n
		}
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names)+2)
	for _, n := range names {
		parts = append(parts, n+" "+progress.Thousands(counts[n]))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing stored yet")
	}
	if s.Retries > 0 {
		parts = append(parts, progress.Count(s.Retries, "retry", "retries"))
	}
	return strings.Join(parts, " · ")
}
