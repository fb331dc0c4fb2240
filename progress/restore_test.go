package progress_test

import (
	"encoding/json"
	"testing"

	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/progress/progresstest"
)

func asJSON(t *testing.T, s progress.Snapshot) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRestoreContinuesLikeTheModel is what a watcher does: it receives a
// snapshot as JSON part-way through a real run, restores a model from it and
// applies the remaining events; it must end where a model that saw every
// event ends.
func TestRestoreContinuesLikeTheModel(t *testing.T) {
	for name, sc := range map[string]progresstest.Scenario{
		"throttled": progresstest.Throttled(),
		"deletions": progresstest.Deletions(),
		"details":   progresstest.Details(),
	} {
		t.Run(name, func(t *testing.T) {
			rec := progresstest.Record(t, sc)
			want := fold(rec)
			n := len(rec.Events)
			for _, cut := range []int{0, 1, n / 3, n / 2, n - 1, n} {
				before := progress.New()
				for _, ev := range rec.Events[:cut] {
					before.Apply(ev)
				}
				var received progress.Snapshot
				if err := json.Unmarshal([]byte(asJSON(t, before.Snapshot())), &received); err != nil {
					t.Fatal(err)
				}
				m := progress.Restore(received)
				for _, ev := range rec.Events[cut:] {
					m.Apply(ev)
				}
				m.Finish(rec.State, rec.Err)
				if got := m.Snapshot(); asJSON(t, got) != asJSON(t, want) {
					t.Errorf("restored after %d of %d events, the model ends at\n%s\nwant\n%s", cut, n, asJSON(t, got), asJSON(t, want))
				}
			}
		})
	}
}

// TestRestoreLeavesTheSnapshotAlone: the restored model works on its own
// copy, so the snapshot a caller keeps (a watch's Initial) never changes.
func TestRestoreLeavesTheSnapshotAlone(t *testing.T) {
	rec := progresstest.Record(t, progresstest.NoConfidential())
	half := progress.New()
	for _, ev := range rec.Events[:len(rec.Events)/2] {
		half.Apply(ev)
	}
	s := half.Snapshot()
	if len(s.Phases) == 0 {
		t.Fatal("half a run has no phases; the test checks nothing")
	}
	before := asJSON(t, s)
	m := progress.Restore(s)
	for _, ev := range rec.Events[len(rec.Events)/2:] {
		m.Apply(ev)
	}
	m.Finish(rec.State, rec.Err)
	if asJSON(t, s) != before {
		t.Errorf("applying events to the restored model changed the snapshot it came from:\n%s\nwas\n%s", asJSON(t, s), before)
	}
	if asJSON(t, m.Snapshot()) == before {
		t.Error("the restored model did not move on; the test checks nothing")
	}
}
