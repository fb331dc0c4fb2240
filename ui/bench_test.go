package ui

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// BenchmarkDashboardFrame is the cost of one frame of the dashboard at
// 120x40 mid-sync: Update with a delivery of events, then View.
func BenchmarkDashboardFrame(b *testing.B) {
	rec := recorded(b, "again")
	n := midOpportunities(rec)
	m := fed(&testing.T{}, rec, n, 120, 40)
	m.page = pageSync
	gen := m.sync.gen
	ev := rec.Events[n-2]
	for ev.Type != syncer.EventPageStored {
		ev = rec.Events[n-3]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e := ev
		e.Total += i
		e.Time += int64(i)
		next, _ := m.Update(syncEventsMsg{gen: gen, events: []syncer.Event{e}})
		m = next.(Model)
		_ = m.View()
	}
}

// jobsPageMidSync is the Jobs page of a synced file at 120x40 while a
// sync runs (its header counts), and a page_stored event of that sync.
func jobsPageMidSync(b *testing.B) (Model, syncer.Event) {
	svc := syncedData(&testing.T{})
	rec := recorded(b, "again")
	n := midOpportunities(rec)
	m := fed(&testing.T{}, rec, n, 120, 40)
	m.jobs.svc, m.jobs.loading = svc, false
	m = drive(m, run(m.jobs.load())...)
	if !m.jobs.loaded || m.page != pageJobs {
		b.Fatal("the Jobs page did not load")
	}
	ev := rec.Events[n-2]
	for ev.Type != syncer.EventPageStored {
		ev = rec.Events[n-3]
	}
	return m, ev
}

// BenchmarkJobsFrame is a frame of the Jobs page at 120x40 during a sync:
// Update with a delivery of events, then View.
func BenchmarkJobsFrame(b *testing.B) {
	m, ev := jobsPageMidSync(b)
	gen := m.sync.gen
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e := ev
		e.Total += i
		next, _ := m.Update(syncEventsMsg{gen: gen, events: []syncer.Event{e}})
		m = next.(Model)
		_ = m.View()
	}
}

// BenchmarkJobsKey is a key that moves the selection on the Jobs page at
// 120x40, then View: the table lays out the rows around the cursor again.
func BenchmarkJobsKey(b *testing.B) {
	m, _ := jobsPageMidSync(b)
	keys := []tea.Msg{press("down"), press("up")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		next, _ := m.Update(keys[i%2])
		m = next.(Model)
		_ = m.View()
	}
}

// eventRate and eventSeconds are the load of BenchmarkDashboardCPU: a
// progress event every 10µs for 10 s.
const (
	eventRate    = 100_000
	eventSeconds = 10
)

// BenchmarkDashboardCPU measures what drawing the dashboard costs while a
// sync reports 100,000 progress events a second for 10 s: the process's
// CPU time with the dashboard program consuming them, minus a baseline in
// the same run that feeds the same events to the progress model alone.
// Run it with -benchtime 1x: one iteration takes 20 s.
func BenchmarkDashboardCPU(b *testing.B) {
	rec := recorded(b, "again")
	var template syncer.Event
	for _, ev := range rec.Events {
		if ev.Type == syncer.EventPageStored && ev.Phase == string(lever.Opportunities) {
			template = ev
		}
	}
	for range b.N {
		base, baseEvents := cpuWhile(func(events <-chan syncer.Event) {
			m := progress.New()
			for ev := range events {
				m.Apply(ev)
			}
		}, template)
		drawn, drawnEvents := cpuWhile(func(events <-chan syncer.Event) {
			runDashboard(b, events)
		}, template)
		b.ReportMetric(float64(baseEvents)/eventSeconds, "events/s-baseline")
		b.ReportMetric(float64(drawnEvents)/eventSeconds, "events/s-dashboard")
		b.ReportMetric(base.Seconds()/eventSeconds*100, "%core-baseline")
		b.ReportMetric(drawn.Seconds()/eventSeconds*100, "%core-dashboard")
		b.ReportMetric((drawn-base).Seconds()/eventSeconds*100, "%core-rendering")
	}
}

// cpuWhile feeds eventRate events a second for eventSeconds to consume,
// and returns the process's CPU time meanwhile and the events sent.
func cpuWhile(consume func(<-chan syncer.Event), template syncer.Event) (time.Duration, int) {
	events := make(chan syncer.Event, 1<<16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		consume(events)
	}()
	before := cpuTime()
	sent := 0
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	for now := range tick.C {
		if now.Sub(start) >= eventSeconds*time.Second {
			break
		}
		// Catch up to the rate: the ticker may skip.
		due := int(now.Sub(start).Seconds() * eventRate)
		for ; sent < due; sent++ {
			ev := template
			ev.Time = now.UnixMilli()
			ev.Total = sent
			ev.Requests = int64(sent / 100)
			events <- ev
		}
	}
	tick.Stop()
	close(events)
	<-done
	return cpuTime() - before, sent
}

// runDashboard runs the real program, drawing the dashboard to nowhere at
// 120x40, on a sync whose events come from events; it returns when they
// end.
func runDashboard(b *testing.B, events <-chan syncer.Event) {
	svc := &streamServices{run: &streamRun{events: events, done: make(chan struct{})}}
	m := NewModel(Config{Services: svc}, setUp())
	m.page = pageSync
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(io.Discard),
		tea.WithWindowSize(120, 40), tea.WithFPS(maxFPS), tea.WithoutSignalHandler())
	go func() {
		<-svc.run.done
		p.Quit()
	}()
	if _, err := p.Run(); err != nil {
		b.Fatal(err)
	}
}

// streamServices starts one sync whose events arrive from a channel.
type streamServices struct {
	fakeServices
	run *streamRun
}

func (s *streamServices) StartSync(context.Context, steps.State, lever.APIKey) (steps.SyncRun, error) {
	return s.run, nil
}

type streamRun struct {
	fakeRun
	events <-chan syncer.Event
	done   chan struct{}
}

func (r *streamRun) Events() <-chan syncer.Event { return r.events }

// Wait reports the run's end once its events are all read.
func (r *streamRun) Wait() (syncer.RunState, error) {
	close(r.done)
	return syncer.RunState{Result: syncer.ResultOK}, nil
}

func (r *streamRun) Before() (map[lever.Resource]int, *syncer.RunState) { return nil, nil }
func (r *streamRun) SetPaused(bool)                                     {}
func (r *streamRun) SetDetails(bool) bool                               { return false }

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDashboardIdle measures the dashboard of a sync that reports
// nothing for 10 s (waiting on Lever, or paused): the process's CPU time,
// and its voluntary context switches a second, a count of its wake-ups.
// Run it with -benchtime 1x.
func BenchmarkDashboardIdle(b *testing.B) {
	for range b.N {
		events := make(chan syncer.Event)
		before, switches := cpuTime(), contextSwitches()
		go func() {
			time.Sleep(eventSeconds * time.Second)
			close(events)
		}()
		runDashboard(b, events)
		b.ReportMetric((cpuTime()-before).Seconds()/eventSeconds*100, "%core")
		b.ReportMetric(float64(contextSwitches()-switches)/eventSeconds, "switches/s")
	}
}

// contextSwitches is the process's voluntary context switches so far.
func contextSwitches() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Nvcsw
}
