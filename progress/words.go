package progress

import (
	"strconv"
	"strings"
	"time"

	"github.com/leversync/leversync/lever/syncer"
)

// Thousands writes n with comma separators: 1234567 is "1,234,567".
func Thousands(n int) string { return thousands(int64(n)) }

func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Count is n and the noun that agrees with it: Count(1, "retry",
// "retries") is "1 retry", Count(1200, "record", "records") "1,200 records".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// PhaseName is a sync phase as people say it: "archive reasons".
func PhaseName(phase string) string { return strings.ReplaceAll(phase, "_", " ") }

// ResultWord is a run's result as the command line says it (the last line
// of leversync sync, leversync status): "done", "done with warnings",
// "failed", "interrupted".
func ResultWord(result string) string {
	switch result {
	case syncer.ResultOK, "":
		return "done"
	case syncer.ResultWarnings:
		return "done with warnings"
	}
	return result
}

// ResultPhrase is a run's result as the wizard says it, after "result: " or
// "Sync done: ": "everything synced", "synced, with warnings", "failed",
// "interrupted; the next run resumes".
func ResultPhrase(result string) string {
	switch result {
	case syncer.ResultOK:
		return "everything synced"
	case syncer.ResultWarnings:
		return "synced, with warnings"
	case syncer.ResultInterrupted:
		return "interrupted; the next run resumes"
	case "":
		return "finished"
	}
	return result
}

// Interval writes d without zero minutes or seconds: "1h", "15m", "1h30m",
// "90ms"; the schedule's interval as the user gave it.
func Interval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
