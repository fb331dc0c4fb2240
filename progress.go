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
type humanPrinter struct {
	w        io.Writer
	terminal bool
	every    time.Duration
	last     time.Time
	totals   map[string]int
	requests int64
	retries  int
	started  time.Time
	lineOpen bool
}

func newHumanPrinter(w io.Writer, terminal bool) *humanPrinter {
	return &humanPrinter{w: w, terminal: terminal, every: 5 * time.Second, totals: map[string]int{}, started: time.Now()}
}

func (p *humanPrinter) event(ev syncer.Event) {
	if ev.Requests > p.requests {
		p.requests = ev.Requests
	}
	switch ev.Type {
	case syncer.EventSyncStarted:
		what := "full sync"
		if ev.Run != nil && ev.Run.UpdatedSince > 0 {
			what = "incremental sync (changes since " + time.UnixMilli(ev.Run.UpdatedSince).UTC().Format(time.RFC3339) + ")"
		}
		p.line("sync started: " + what)
	case syncer.EventPageStored:
		if ev.Phase != "" {
			p.totals[ev.Phase] = ev.Total
		}
		p.status(false)
	case syncer.EventRetry:
		p.retries++
		what := "network error"
		if ev.Status != 0 {
			what = fmt.Sprintf("HTTP %d", ev.Status)
		}
		p.line(fmt.Sprintf("retrying after %s (attempt %d), waiting %s", what, ev.Attempt, time.Duration(ev.WaitMS)*time.Millisecond))
	case syncer.EventWarning:
		p.line("warning: " + lever.PlainText(ev.Message))
	case syncer.EventError:
		// The command prints the error itself when it ends.
	case syncer.EventPhaseDone:
		if ev.Phase != "" && ev.Total > 0 {
			p.totals[ev.Phase] = ev.Total
		}
		p.status(true)
	}
}

func (p *humanPrinter) finish(st syncer.RunState, err error) {
	p.endLine()
	elapsed := time.Since(p.started).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Fprintf(p.w, "sync stopped after %s: %s\n", elapsed, p.summary())
		return
	}
	totals := map[string]int{}
	for r, n := range st.Totals {
		totals[string(r)] = n
	}
	if len(totals) > 0 {
		p.totals = totals
	}
	fmt.Fprintf(p.w, "sync %s in %s: %s (%d requests)\n", resultWord(st.Result), elapsed, p.summary(), p.requests)
	for _, w := range st.Warnings {
		fmt.Fprintf(p.w, "warning: %s\n", lever.PlainText(w))
	}
}

func resultWord(r string) string {
	switch r {
	case syncer.ResultWarnings:
		return "done with warnings"
	case syncer.ResultOK, "":
		return "done"
	}
	return r
}

// status prints the running totals: in place on a terminal, else at most
// every few seconds (or when forced by a phase change).
func (p *humanPrinter) status(force bool) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r\x1b[K%s", p.summary())
		p.lineOpen = true
		return
	}
	if !force && time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	fmt.Fprintln(p.w, p.summary())
}

func (p *humanPrinter) line(s string) {
	p.endLine()
	fmt.Fprintln(p.w, s)
}

func (p *humanPrinter) endLine() {
	if p.lineOpen {
		fmt.Fprintln(p.w)
		p.lineOpen = false
	}
}

// summary is "opportunities 1,200 · postings 40 · 35 requests".
func (p *humanPrinter) summary() string {
	names := make([]string, 0, len(p.totals))
	for n := range p.totals {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names)+2)
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %s", n, thousands(p.totals[n])))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing stored yet")
	}
	switch {
	case p.retries == 1:
		parts = append(parts, "1 retry")
	case p.retries > 1:
		parts = append(parts, fmt.Sprintf("%d retries", p.retries))
	}
	return strings.Join(parts, " · ")
}

// thousands formats 1234567 as 1,234,567.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
