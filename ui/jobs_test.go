package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// jobsModel is a model on a set-up machine showing the Jobs page of a real
// synced file, after its (recorded) sync has finished.
func jobsModel(t *testing.T, svc steps.Services) Model {
	t.Helper()
	rec := recorded(t, "done")
	m := fed(t, rec, len(rec.Events), 100, 30)
	m.jobs.svc = svc
	m.cfg.Services = svc
	m.sync.svc = svc
	m.jobs.loading = false // the read Init asked for went nowhere
	m = drive(m, run(m.jobs.load())...)
	if !m.jobs.loaded {
		t.Fatalf("the jobs were not read: %v", m.jobs.loadErr)
	}
	return m
}

type countingServices struct {
	fakeServices
	searches atomic.Int32
	starts   atomic.Int32
}

func (c *countingServices) SearchCandidates(ctx context.Context, q string, limit int) ([]steps.Candidate, bool, error) {
	c.searches.Add(1)
	return c.fakeServices.SearchCandidates(ctx, q, limit)
}

func (c *countingServices) StartSync(ctx context.Context, s steps.State, key lever.APIKey) (steps.SyncRun, error) {
	c.starts.Add(1)
	return c.fakeServices.StartSync(ctx, s, key)
}

func TestJobsPageKeys(t *testing.T) {
	svc := &countingServices{fakeServices: fakeServices{sync: recorded(t, "done"), data: syncedData(t)}}
	m := jobsModel(t, svc)
	if m.page != pageJobs || !strings.Contains(view(m), "40 jobs · sorted by title") {
		t.Fatalf("a finished sync does not show the Jobs page:\n%s", view(m))
	}

	// Typing filters; the command letters are letters once a filter has
	// begun; backspace and esc undo it.
	m = drive(m, press("e"), press("n"), press("g"), press("r"), press("s"))
	if v := view(m); !strings.Contains(v, "Filter: engrs") || svc.starts.Load() != 0 {
		t.Fatalf("r and s typed into a filter did not filter:\n%s", v)
	}
	m = drive(m, tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyBackspace})
	v := view(m)
	if !strings.Contains(v, "Filter: eng") || !strings.Contains(v, "10 of 40 jobs") {
		t.Fatalf("backspace did not widen the filter:\n%s", v)
	}
	for _, line := range strings.Split(v, "\n")[4:14] {
		if !strings.Contains(strings.ToLower(line), "eng") {
			t.Errorf("a row does not match the filter: %q", line)
		}
	}
	m = drive(m, press("esc"))
	if v := view(m); !strings.Contains(v, "40 jobs") || strings.Contains(v, "Filter:") {
		t.Fatalf("esc did not clear the filter:\n%s", v)
	}

	// s sorts by the number of candidates, most first.
	m = drive(m, press("s"))
	if !strings.Contains(view(m), "sorted by candidates") || m.jobs.shown[0].Candidates < m.jobs.shown[len(m.jobs.shown)-1].Candidates {
		t.Fatalf("s did not sort by candidates:\n%s", view(m))
	}

	// enter opens the selected job's candidates; esc goes back.
	m = drive(m, press("down"))
	job := m.jobs.shown[m.jobs.table.Cursor()]
	m = drive(m, press("enter"))
	v = view(m)
	if m.jobs.view != viewCandidates || !strings.Contains(v, job.Title) || !strings.Contains(v, progress.Count(job.Candidates, "candidate", "candidates")+" · esc back") {
		t.Fatalf("enter did not open %q with its %d candidates:\n%s", job.Title, job.Candidates, v)
	}
	m = drive(m, press("esc"))
	if m.jobs.view != viewJobs || m.jobs.shown[m.jobs.table.Cursor()].ID != job.ID {
		t.Fatal("esc did not go back to the jobs with the job still selected")
	}

	// / searches across jobs as the user types; only the latest answer
	// shows; esc goes back.
	m = drive(m, press("/"), press("g"), press("r"), press("a"))
	v = view(m)
	if !strings.Contains(v, "Search candidates: gra") || !strings.Contains(v, "match “gra”") || svc.searches.Load() != 3 {
		t.Fatalf("the search did not follow the typing (%d searches):\n%s", svc.searches.Load(), v)
	}
	stale := m.jobs.update(searchMsg{seq: m.jobs.searchSeq - 1, query: "gr", found: nil})
	if stale != nil || m.jobs.query != "gra" {
		t.Fatal("an older search's answer replaced the latest")
	}
	m = drive(m, press("esc"))
	if m.jobs.view != viewJobs {
		t.Fatal("esc did not leave the search")
	}

	// r starts an incremental sync in place; the header follows it.
	m = drive(m, press("r"))
	if svc.starts.Load() != 1 {
		t.Fatalf("r started %d syncs", svc.starts.Load())
	}
	// tab goes to the dashboard and back.
	m = drive(m, tab())
	if m.page != pageSync {
		t.Fatal("tab did not open the dashboard")
	}
	m = drive(m, tab())
	if m.page != pageJobs {
		t.Fatal("tab did not come back to the jobs")
	}
}

// TestProgressBarMirrorsTheSync: the terminal's progress indicator is busy
// while a sync runs without an estimate, a share with one, a warning while
// paused, an error when it failed, and gone when it is done.
func TestProgressBarMirrorsTheSync(t *testing.T) {
	state := func(m Model) string {
		pb := m.View().ProgressBar
		if pb == nil {
			return "none"
		}
		if pb.State == tea.ProgressBarDefault || pb.State == tea.ProgressBarWarning {
			if pb.Value <= 0 || pb.Value >= 100 {
				return pb.State.String() + " without a share"
			}
		}
		return pb.State.String()
	}
	first, again, failed := recorded(t, "done"), recorded(t, "again"), recorded(t, "failed")
	cases := []struct {
		name string
		m    Model
		want string
	}{
		{"first sync", fed(t, first, firstPage(first)+5, 100, 30), "Indeterminate"},
		{"estimated", fed(t, again, midOpportunities(again), 100, 30), "Default"},
		{"failed", fed(t, failed, len(failed.Events), 100, 30), "Error"},
		{"done", fed(t, first, len(first.Events), 100, 30), "none"},
	}
	paused := fed(t, again, midOpportunities(again), 100, 30)
	paused = update(paused, pausedMsg{gen: paused.sync.gen, paused: true})
	cases = append(cases, struct {
		name string
		m    Model
		want string
	}{"paused", paused, "Warning"})
	for _, c := range cases {
		if got := state(c.m); got != c.want {
			t.Errorf("%s: progress bar %s, want %s", c.name, got, c.want)
		}
	}
}
