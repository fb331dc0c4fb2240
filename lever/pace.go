package lever

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer is the client's token bucket, whose rate adapts to Lever's answers:
// a 429 cuts the rate by a factor (multiplicative decrease), every success
// raises it a little (additive increase) back towards the configured rate,
// which it never passes. Lever's limits "may vary with server load", so a
// server that allows less than the configured rate sees a few 429s while the
// rate converges, not a steady stream of them. It also measures how long
// Lever takes to answer, so the sync can keep as many requests in flight as
// the bucket admits in that time.
type pacer struct {
	lim *rate.Limiter
	max rate.Limit

	mu   sync.Mutex
	cur  rate.Limit
	min  rate.Limit
	step rate.Limit // additive increase per second
	// decreasedAt is when the rate was last cut: a 429 to a request sent
	// before it reports the old rate and cuts nothing.
	decreasedAt time.Time
	increasedAt time.Time
	// latency is a moving average of answered attempts; 0 until the first.
	latency time.Duration
}

const (
	// decreaseFactor is the multiplicative decrease on a 429.
	decreaseFactor = 0.7
	// increasePerSecond is the additive increase, as a share of the
	// configured rate per second of successes.
	increasePerSecond = 0.01
	// minRateShare bounds the decrease.
	minRateShare = 0.05
	// latencyWeight is the weight of a new sample in the moving average.
	latencyWeight = 0.2
	// unlimitedInFlight is the capacity of a client without a rate limit
	// (tests and benchmarks): enough to keep two cores busy.
	unlimitedInFlight = 8
)

// newPacer builds the bucket. It holds one token fewer than burst: requests
// that leave together arrive spread out, and a server bucket of the same
// size, which refills only from its first arrival, would otherwise refuse
// the last of them.
func newPacer(limit rate.Limit, burst int) *pacer {
	p := &pacer{max: limit, cur: limit}
	if limit != rate.Inf {
		burst = max(burst-1, 1)
		p.min = limit * minRateShare
		p.step = limit * increasePerSecond
	}
	p.lim = rate.NewLimiter(limit, burst)
	return p
}

// wait blocks until the bucket admits a request and returns when it did.
func (p *pacer) wait(ctx context.Context) (time.Time, error) {
	err := p.lim.Wait(ctx)
	return time.Now(), err
}

// answered records an attempt sent at sent that Lever answered with status
// after took.
func (p *pacer) answered(sent time.Time, took time.Duration, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.latency == 0 {
		p.latency = took
	} else {
		p.latency += time.Duration(latencyWeight * float64(took-p.latency))
	}
	now := time.Now()
	switch {
	case status == 429:
		if !sent.After(p.decreasedAt) {
			return
		}
		if p.cur == rate.Inf {
			// No limit was set, but the server has one: take Lever's.
			p.max, p.cur = DefaultRate, DefaultRate
			p.min, p.step = p.max*minRateShare, p.max*increasePerSecond
		}
		p.cur = max(p.cur*decreaseFactor, p.min)
		p.decreasedAt, p.increasedAt = now, now
		p.lim.SetLimitAt(now, p.cur)
	case status >= 200 && status < 300 && p.cur < p.max && p.cur != rate.Inf:
		dt := min(now.Sub(p.increasedAt), time.Second)
		p.increasedAt = now
		p.cur = min(p.cur+p.step*rate.Limit(dt.Seconds()), p.max)
		p.lim.SetLimitAt(now, p.cur)
	}
}

// capacity is how many requests the bucket admits within one observed
// round trip: the tokens it holds now plus its rate times the latency.
// Keeping that many in flight keeps the bucket empty, which is the budget
// used in full; more would only wait in the bucket.
func (p *pacer) capacity() int {
	p.mu.Lock()
	cur, latency := p.cur, p.latency
	p.mu.Unlock()
	if cur == rate.Inf {
		return unlimitedInFlight
	}
	n := max(p.lim.Tokens(), 0) + float64(cur)*latency.Seconds()
	return max(int(math.Ceil(n)), 1)
}
