package progress

// Slowdown is the evidence that a sync runs slower than Lever allows: its
// recent request rate against the client's ceiling, and the refusals and
// failures that held it back.
type Slowdown struct {
	// Rate is the requests per second over the last Window seconds;
	// Ceiling the client's.
	Rate    float64
	Window  int
	Ceiling float64
	// RateLimited counts the requests Lever refused with a 429; Retries
	// every retried request, those included.
	RateLimited int
	Retries     int
}

const (
	// slowAfterMS is how long a run goes before its rate says anything:
	// the first seconds are planning reads and the client's first burst.
	slowAfterMS = 10_000
	// slowShare is the part of the ceiling under which a run is slow.
	slowShare = 0.5
)

// Slower reports whether the running sync is slower than Lever allows at
// now (ms, the engine's clock): it has run at least 10 s, its recent
// request rate is under half the client's ceiling, and Lever refused
// requests (429) or requests failed and were retried. The engine keeps the
// rate budget full at any latency, so a low rate alone is only a run's
// tail (the last slow lists); with refusals it means another integration
// spends the same key's budget, with failures that Lever or the network
// is failing. A paused or finished run, or one without a ceiling, is never
// slower.
func (s Snapshot) Slower(now int64) (Slowdown, bool) {
	if !s.Started || s.Finished || s.Paused || s.RateLimit <= 0 {
		return Slowdown{}, false
	}
	if now-s.StartedAt < slowAfterMS || (s.RateLimited == 0 && s.Retries == 0) {
		return Slowdown{}, false
	}
	rate := s.RecentRequestRate(now, rateWindow)
	if rate >= slowShare*s.RateLimit {
		return Slowdown{}, false
	}
	window := int(min(int64(rateWindow), s.secondsTouched(now)))
	return Slowdown{Rate: rate, Window: window, Ceiling: s.RateLimit, RateLimited: s.RateLimited, Retries: s.Retries}, true
}
