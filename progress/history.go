package progress

import (
	"regexp"
	"strings"

	"github.com/leversync/leversync/lever/syncer"
)

// record notes the run's counts in the history at the event's second.
// Callers hold m.mu.
func (m *Model) record(at int64) {
	if at <= 0 {
		return
	}
	s := &m.s
	sec := at / 1000
	now := Second{At: sec, Requests: s.Requests, Records: s.Records()}
	if n := len(s.History); n > 0 && s.History[n-1].At >= sec {
		last := &s.History[n-1]
		last.Requests = max(last.Requests, now.Requests)
		last.Records = max(last.Records, now.Records)
		return
	}
	s.History = append(s.History, now)
	// Drop what is older than HistorySeconds, in one go now and then
	// rather than one element per event.
	if first := s.History[0].At; sec-first > 2*HistorySeconds {
		i := 0
		for i < len(s.History) && sec-s.History[i].At > HistorySeconds {
			i++
		}
		s.History = append(s.History[:0], s.History[i:]...)
	}
}

// RequestRates is the requests of each of the last n seconds up to the
// second of now (ms, the engine's clock), oldest first; seconds without
// events had none.
func (s Snapshot) RequestRates(now int64, n int) []float64 {
	out := make([]float64, n)
	if len(s.History) == 0 || n <= 0 {
		return out
	}
	end := now / 1000
	start := end - int64(n) + 1
	// cum is the requests made by the end of second sec.
	i := 0
	var prev int64
	for i < len(s.History) && s.History[i].At < start {
		prev = s.History[i].Requests
		i++
	}
	if i == 0 {
		// The run began inside the window: count from its first second.
		prev = 0
	}
	for k := range n {
		sec := start + int64(k)
		cur := prev
		for i < len(s.History) && s.History[i].At <= sec {
			cur = s.History[i].Requests
			i++
		}
		out[k] = float64(cur - prev)
		prev = cur
	}
	return out
}

// RecentRequestRate is the requests per second over the last window
// seconds before now (ms), or over the run so far if it is younger.
func (s Snapshot) RecentRequestRate(now int64, window int) float64 {
	if len(s.History) == 0 || window <= 0 {
		return 0
	}
	total := 0.0
	for _, r := range s.RequestRates(now, int(min(int64(window), s.secondsTouched(now)))) {
		total += r
	}
	return total / float64(min(int64(window), s.secondsElapsed(now)))
}

// RecentRecordRate is the records stored per second over the last window
// seconds before now (ms), or over the run so far if it is younger.
func (s Snapshot) RecentRecordRate(now int64, window int) float64 {
	if len(s.History) == 0 || window <= 0 {
		return 0
	}
	from := now/1000 - min(int64(window), s.secondsTouched(now))
	base := 0
	for _, h := range s.History {
		if h.At > from {
			break
		}
		base = h.Records
	}
	last := s.History[len(s.History)-1].Records
	return float64(last-base) / float64(min(int64(window), s.secondsElapsed(now)))
}

// secondsTouched is how many of the history's one-second buckets the run
// has touched by now: a run that began at 1.9 s and is now at 2.1 s has
// touched two, though less than a second has passed.
func (s Snapshot) secondsTouched(now int64) int64 { return now/1000 - s.StartedAt/1000 + 1 }

// secondsElapsed is the whole seconds the run has lasted by now; a run
// younger than a second counts one.
func (s Snapshot) secondsElapsed(now int64) int64 { return max((now-s.StartedAt)/1000, 1) }

var (
	// streamOfError finds the stream the engine names in a failure:
	// "sync requisitions: ...", "sync opportunities/created/1-2: ...".
	streamOfError = regexp.MustCompile(`^sync ([a-z_]+)(/[^:]*)?: `)
	// missingPermission finds the permission a 403 names.
	missingPermission = regexp.MustCompile(`lacks the (?:Read |Write )?permission "([^"]+)"`)
)

// failPhase marks the phase an engine failure names: skipped when Lever
// refused it for a missing permission, failed otherwise. Callers hold m.mu.
func (m *Model) failPhase(msg string) {
	match := streamOfError.FindStringSubmatch(msg)
	if match == nil {
		return
	}
	name := match[1]
	if name == "deleted" {
		name = syncer.PhaseDeletions
	}
	i, ok := m.index[name]
	if !ok {
		return
	}
	p := &m.s.Phases[i]
	if p.State == Done {
		return
	}
	if perm := missingPermission.FindStringSubmatch(msg); perm != nil {
		p.State, p.Reason = Skipped, perm[1]
		return
	}
	p.State = Failed
	p.Reason = strings.TrimPrefix(msg, match[0])
}
