package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestHumanPrinterPlainLines: without a terminal, progress comes as plain
// lines (no carriage returns or escapes), and the end says what was stored.
func TestHumanPrinterPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := newHumanPrinter(&out, false)
	p.event(syncer.Event{Type: syncer.EventSyncStarted, Run: &syncer.RunState{}})
	p.event(syncer.Event{Type: syncer.EventPageStored, Phase: "opportunities", Total: 1200})
	p.event(syncer.Event{Type: syncer.EventRetry, Status: 429, Attempt: 1, WaitMS: 1000})
	p.event(syncer.Event{Type: syncer.EventPhaseDone, Phase: "opportunities", Total: 2500})
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

func TestHumanPrinterUpdatesOneLineOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newHumanPrinter(&out, true)
	p.event(syncer.Event{Type: syncer.EventPageStored, Phase: "postings", Total: 100})
	p.event(syncer.Event{Type: syncer.EventPageStored, Phase: "postings", Total: 200})
	if got := strings.Count(out.String(), "\r\x1b[K"); got != 2 {
		t.Errorf("want 2 in-place updates, got %d: %q", got, out.String())
	}
	if strings.Contains(out.String(), "\n") {
		t.Errorf("in-place updates printed new lines: %q", out.String())
	}
}
