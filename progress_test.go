package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress/progresstest"
)

// TestHumanPrinterPlainLines: without a terminal, progress comes as plain
// lines (no carriage returns or escapes), and the end says what was stored.
func TestHumanPrinterPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := newHumanPrinter(&out, false)
	p.event(syncer.Event{Type: syncer.EventSyncStarted, Run: &syncer.RunState{}})
	p.event(syncer.Event{Type: syncer.EventPageStored, Phase: "opportunities", Resource: lever.Opportunities, Records: 100, Total: 1200})
	p.event(syncer.Event{Type: syncer.EventRetry, Status: 429, Attempt: 1, WaitMS: 1000, Message: "/opportunities"})
	p.event(syncer.Event{Type: syncer.EventPhaseDone, Phase: "opportunities", Resource: lever.Opportunities, Total: 2500})
	p.event(syncer.Event{Type: syncer.EventWarning, Message: "no confidential access"})
	p.finish(syncer.RunState{Result: syncer.ResultWarnings, Totals: map[lever.Resource]int{lever.Opportunities: 2500}, Warnings: []string{"no confidential access"}}, nil)
	got := out.String()
	for _, want := range []string{"sync started: full sync", "retrying after HTTP 429 (attempt 1), waiting 1s", "opportunities 2,500 · 1 retry", "sync done with warnings", "warning: no confidential access"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.ContainsAny(got, "\r\x1b") {
		t.Errorf("plain output has terminal control characters: %q", got)
	}
}

// TestHumanPrinterFoldsRetriesAlike: requests throttled in one wave retry
// alike; one line says so, and the count says how many.
func TestHumanPrinterFoldsRetriesAlike(t *testing.T) {
	var out bytes.Buffer
	p := newHumanPrinter(&out, false)
	p.event(syncer.Event{Type: syncer.EventSyncStarted, Run: &syncer.RunState{}})
	for _, path := range []string{"/stages", "/tags", "/tags"} {
		p.event(syncer.RetryEvent(lever.RetryInfo{Path: path, Status: 429, Attempt: 1, Wait: 20 * time.Millisecond}))
	}
	p.event(syncer.RetryEvent(lever.RetryInfo{Path: "/stages", Status: 429, Attempt: 2, Wait: 40 * time.Millisecond}))
	p.event(syncer.RetryEvent(lever.RetryInfo{Path: "/tags", Status: 429, Attempt: 1, Wait: 20 * time.Millisecond}))
	p.finish(syncer.RunState{Result: syncer.ResultOK}, nil)
	want := "sync started: full sync\n" +
		"retrying after HTTP 429 (attempt 1), waiting 20ms\n" +
		"retrying after HTTP 429 (attempt 2), waiting 40ms\n" +
		"retrying after HTTP 429 (attempt 1), waiting 20ms\n"
	if got := out.String(); !strings.HasPrefix(got, want) || !strings.Contains(got, "5 retries") {
		t.Errorf("got:\n%s\nwant it to start with:\n%s\nand count 5 retries", got, want)
	}
}

func TestHumanPrinterUpdatesOneLineOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newHumanPrinter(&out, true)
	p.event(syncer.Event{Type: syncer.EventPageStored, Phase: "postings", Resource: lever.Postings, Total: 100})
	p.event(syncer.Event{Type: syncer.EventPageStored, Phase: "postings", Resource: lever.Postings, Total: 200})
	if got := strings.Count(out.String(), "\r\x1b[K"); got != 2 {
		t.Errorf("want 2 in-place updates, got %d: %q", got, out.String())
	}
	if strings.Contains(out.String(), "\n") {
		t.Errorf("in-place updates printed new lines: %q", out.String())
	}
}

// TestHumanPrinterRealSyncs prints what the engine emits in real runs
// against the fake Lever.
func TestHumanPrinterRealSyncs(t *testing.T) {
	cases := []struct {
		name string
		sc   progresstest.Scenario
		want []string
		// last is the final line, as a pattern.
		last string
	}{
		{name: "full", sc: progresstest.Full(), want: []string{"sync started: full sync\n", "opportunities 1,200"},
			last: `^sync done in [0-9.]+m?s: archive_reasons 8 · opportunities 1,200 · postings 40 · requisitions 20 · sources 12 · stages 9 · tags 15 · users 12 \([0-9]+ requests\)$`},
		{name: "throttled", sc: progresstest.Throttled(), want: []string{"retrying after HTTP 429 (attempt 1), waiting", " retr"},
			last: `^sync done in [0-9.]+m?s: archive_reasons 8 · .* · users 12 · [0-9,]+ retr(y|ies) \([0-9]+ requests\)$`},
		{name: "no confidential access", sc: progresstest.NoConfidential(),
			want: []string{"warning: the key has no access to confidential data; confidential jobs and candidates are left out\n"},
			last: `^warning: the key has no access to confidential data; confidential jobs and candidates are left out$`},
		{name: "incremental", sc: progresstest.Deletions(), want: []string{"sync started: incremental sync (changes since 20", "deletions 3", "opportunities 5",
			"\nkept from an earlier sync: archive_reasons, requisitions, sources, stages, tags, users (read under 1 min ago; read again at 1 h, or for a new entry)\nsync done in "},
			// The reference lists, read moments before, are kept.
			last: `^sync done in [0-9.]+m?s: opportunities 5 · postings 0 \([0-9]+ requests\)$`},
		{name: "failed", sc: progresstest.Failed(), want: []string{"sync started: full sync"},
			last: `^sync stopped after [0-9.]+m?s: (nothing stored yet|[a-z_]+ [0-9,]+( · [a-z_]+ [0-9,]+)*)$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := progresstest.Record(t, c.sc)
			var out bytes.Buffer
			p := newHumanPrinter(&out, false)
			p.every = 0 // every status line, so counts can be checked
			for _, ev := range rec.Events {
				p.event(ev)
			}
			p.finish(rec.State, rec.Err)
			got := out.String()
			for _, want := range c.want {
				if !strings.Contains(got, want) {
					t.Errorf("output lacks %q:\n%s", want, got)
				}
			}
			lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
			if last := lines[len(lines)-1]; !regexp.MustCompile(c.last).MatchString(last) {
				t.Errorf("last line %q does not match %s\n%s", last, c.last, got)
			}
			if strings.Contains(got, "error") {
				t.Errorf("the printer printed the error, which the command prints:\n%s", got)
			}
			// A status line says something new, or is not printed.
			for i := 1; i < len(lines); i++ {
				if lines[i] == lines[i-1] {
					t.Errorf("line %d repeats the one before, %q:\n%s", i+1, lines[i], got)
				}
			}
		})
	}
}

func TestJSONPrinterWritesTheEvents(t *testing.T) {
	rec := progresstest.Record(t, progresstest.Deletions())
	var out bytes.Buffer
	p := newJSONPrinter(&out)
	for _, ev := range rec.Events {
		p.event(ev)
	}
	p.finish(rec.State, rec.Err)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != len(rec.Events) {
		t.Fatalf("%d lines for %d events", len(lines), len(rec.Events))
	}
	for i, l := range lines {
		want, err := json.Marshal(rec.Events[i])
		if err != nil {
			t.Fatal(err)
		}
		if l != string(want) {
			t.Errorf("line %d is %s, want %s", i+1, l, want)
		}
	}
}

func TestPrinterWords(t *testing.T) {
	if thousands(1234567) != "1,234,567" || resultWord(syncer.ResultWarnings) != "done with warnings" || resultWord(syncer.ResultOK) != "done" {
		t.Error("the command line's words are not the progress model's")
	}
}
