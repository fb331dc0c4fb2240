package progress

import (
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// Left is what a run still has to do, estimated only from evidence: the
// candidates the data file held after the last finished sync (Lever gives
// no total), and for the detail phase the stored candidates, each of which
// costs a request per kind of detail.
type Left struct {
	// Requests is the requests still to make for the work the estimate
	// covers; Done the requests already made for it.
	Requests int64
	Done     int64
	// Time is Requests at the recent request rate.
	Time time.Duration
	// Basis says what the estimate rests on, for its label.
	Basis string
}

// Share is the part of the estimated work done, from 0 to 1.
func (l Left) Share() float64 {
	if l.Requests+l.Done <= 0 {
		return 0
	}
	return float64(l.Done) / float64(l.Requests+l.Done)
}

// rateWindow is the seconds over which the recent request rate is taken.
const rateWindow = 30

// EstimateLeft estimates what the run still has to do at now (ms, the
// engine's clock). ok is false when there is no evidence: a first sync
// before its candidates are all read (Lever does not say how many there
// are), an incremental read of changes, or no request rate yet.
func (s Snapshot) EstimateLeft(now int64) (left Left, ok bool) {
	if !s.Started || s.Finished {
		return Left{}, false
	}
	rate := s.RecentRequestRate(now, rateWindow)
	if rate <= 0 {
		return Left{}, false
	}
	opps, hasOpps := s.Phase(string(lever.Opportunities))
	// The candidates the account has, as far as the evidence goes.
	expected := -1
	switch {
	case hasOpps && opps.State == Done:
		expected = s.InFile[lever.Opportunities]
	case s.Run.UpdatedSince == 0 && s.LastRun != nil && s.InFileBefore[lever.Opportunities] > 0:
		expected = s.InFileBefore[lever.Opportunities]
	}

	if hasOpps && opps.State != Done {
		if s.Run.UpdatedSince > 0 || expected < 0 || opps.Records > expected {
			return Left{}, false
		}
		leftRecords := int64(expected - opps.Records)
		left.Requests += (leftRecords + lever.DefaultPageLimit - 1) / lever.DefaultPageLimit
		left.Done += int64(opps.Records) / lever.DefaultPageLimit
		left.Basis = Thousands(expected) + " candidates last sync"
	}

	if details, ok := s.Phase(syncer.PhaseDetails); ok && s.Run.Details && !s.DetailsOff && details.State != Done {
		n := expected
		if s.Run.UpdatedSince > 0 && s.LastRun != nil && s.LastRun.Details {
			// Only the candidates that changed get their detail again.
			n = opps.Records
		}
		if n < 0 {
			return Left{}, false
		}
		need := int64(n) * int64(len(lever.DetailResources))
		var done int64
		if details.State != Waiting {
			done = s.Requests - details.RequestsBefore
		}
		left.Requests += max(need-done, 0)
		left.Done += min(done, need)
		basis := Thousands(len(lever.DetailResources)) + " detail requests per candidate"
		if left.Basis != "" {
			basis = left.Basis + ", " + basis
		}
		left.Basis = basis
	}
	if left.Basis == "" {
		return Left{}, false
	}
	left.Time = time.Duration(float64(left.Requests) / rate * float64(time.Second))
	return left, true
}
