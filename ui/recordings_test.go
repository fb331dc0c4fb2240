package ui

import (
	"flag"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress/progresstest"
)

var record = flag.Bool("record", false, "record the syncs in testdata/sync again, from the engine against the fake Lever")

// syncRecordings are the syncs the UI tests replay. Each is recorded from
// the engine against the fake Lever at Lever's pace (progresstest.Paced),
// so its rates and waits are ones the product shows:
//
//	go test ./ui -run TestRecordedSyncs -record
var syncRecordings = map[string]func() progresstest.Scenario{
	// done: a first sync with a key that reads everything.
	"done": progresstest.Full,
	// again: a full re-read after a complete sync, with 429s retried: the
	// file's candidates are the evidence for an estimate.
	"again": progresstest.FullAgain,
	// changes: an incremental sync after a complete one, with records
	// updated and deleted in Lever in between.
	"changes": progresstest.Deletions,
	// failed: a key that lacks two permissions the sync needs.
	"failed": progresstest.Failed,
	// slow: a first sync whose key Lever lets make fewer requests than the
	// client may (another integration spends the budget): 429s, and a run
	// slower than Lever allows.
	"slow": progresstest.Slow,
	// warnings: a first sync with a key without confidential access, a
	// client faster than Lever allows (429s and retries), and two
	// opportunities deleted in Lever just before it.
	"warnings": func() progresstest.Scenario {
		sc := progresstest.Throttled()
		sc.Key = fakelever.KeyNoConfidential
		sc.Mutate = func(f *fakelever.Server) { f.DeleteOpportunities(2) }
		return sc
	},
}

func recordingPath(name string) string { return filepath.Join("testdata", "sync", name+".jsonl") }

// recorded loads a recorded sync.
func recorded(t testing.TB, name string) progresstest.Recording {
	t.Helper()
	rec, err := progresstest.Read(recordingPath(name))
	if err != nil {
		t.Fatalf("%v (go test ./ui -run TestRecordedSyncs -record writes it)", err)
	}
	return rec
}

// TestRecordedSyncs records the fixtures with -record, and otherwise checks
// that the engine still emits what they hold: the same result, totals,
// warnings, phases and kinds of event (a sync without Lever's pace is
// enough to tell).
func TestRecordedSyncs(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(syncRecordings)) {
		scenario := syncRecordings[name]
		t.Run(name, func(t *testing.T) {
			if *record {
				rec := progresstest.Record(t, progresstest.Paced(scenario()))
				if rec.Err != nil && name != "failed" {
					t.Fatalf("recording %s: %v", name, rec.Err)
				}
				if err := rec.Write(recordingPath(name)); err != nil {
					t.Fatal(err)
				}
			}
			saved := recorded(t, name)
			live := progresstest.Record(t, scenario())
			if saved.State.Result == syncer.ResultFailed {
				// Which refused list fails the run first, and what was
				// stored before, depends on timing: check the kind of
				// failure.
				if live.State.Result != syncer.ResultFailed || !strings.Contains(live.State.Error, "lacks the Read permission") ||
					!strings.Contains(saved.State.Error, "lacks the Read permission") {
					t.Errorf("recorded failure %q, the engine now gives %q (%s)", saved.State.Error, live.State.Error, live.State.Result)
				}
				return
			}
			if saved.State.Result != live.State.Result || !maps.Equal(saved.State.Totals, live.State.Totals) ||
				!slices.Equal(saved.State.Warnings, live.State.Warnings) {
				t.Errorf("recorded run %+v, the engine now gives %+v", saved.State, live.State)
			}
			if got, want := shape(saved), shape(live); !maps.Equal(got, want) {
				t.Errorf("recorded events %v, the engine now emits %v", got, want)
			}
		})
	}
}

// shape is what a sync's events say apart from timing: which kinds of
// event came for each phase, and the tombstones per resource. Retries are
// timing: whether a throttled run meets a 429 depends on how fast the
// client's adaptive rate settles.
func shape(rec progresstest.Recording) map[string]int {
	out := map[string]int{}
	for _, ev := range rec.Events {
		if ev.Type == syncer.EventRetry {
			continue
		}
		out[string(ev.Type)+" "+ev.Phase] = 1
		if ev.Deleted > 0 {
			out["deleted "+string(ev.Resource)] += ev.Deleted
		}
	}
	return out
}
