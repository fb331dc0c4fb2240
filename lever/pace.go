package lever

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer is the client's token bucket, whose rate adapts to Lever's answers:
// a 429 cuts the rate (multiplicative decrease), every success raises it a
// little (additive increase) back towards the configured rate, which it
// never passes. Lever's limits "may vary with server load", so a server that
// allows less than the configured rate sees a few 429s while the rate
// converges, not a steady stream of them. The first cut is by a fixed
// factor; a later one goes to just under the rate Lever accepted lately
// when that is above the factor's; each cut halves the increase, so the
// rate probes above a limit it has met ever more patiently, and holds back
// what the round trip in flight overspent. Once Lever has refused, the
// bucket stops saving up a burst, so requests leave evenly. Requests that
// left together are answered together: the next one waits for the rest of
// their answers (settling), so a 429 among them is seen before it leaves.
// It also counts the attempts out and measures how long Lever takes to
// answer, so the sync can keep as many requests in flight as keep the
// bucket empty.
type pacer struct {
	lim *rate.Limiter
	max rate.Limit
	now func() time.Time

	mu   sync.Mutex
	cur  rate.Limit
	min  rate.Limit
	step rate.Limit // additive increase per second
	// decreasedAt is when the rate was last cut: a 429 to a request queued
	// before it reports the old rate and cuts nothing.
	decreasedAt time.Time
	increasedAt time.Time
	// cut is closed, and replaced, when the rate is cut: the requests
	// waiting for the old rate's tokens wait again at the new one.
	cut chan struct{}
	// accepted are the times of the answers other than 429 in the last
	// acceptedWindow: the rate Lever accepts when it refuses more.
	accepted []time.Time
	// latency is a moving average of answered attempts; 0 until the first.
	latency time.Duration
	// out holds when each attempt not yet ended was admitted.
	out []time.Time
	// group is when the group being answered was admitted, and settleUntil
	// when waiting for the rest of it stops (see settling); changed is
	// closed, and replaced, when an attempt ends.
	group, settleUntil time.Time
	changed            chan struct{}
}

const (
	// decreaseFactor is the multiplicative decrease on a 429.
	decreaseFactor = 0.6
	// increasePerSecond is the first additive increase, as a share of the
	// configured rate per second of successes; each cut halves it down to
	// minIncreasePerSecond.
	increasePerSecond    = 0.01
	minIncreasePerSecond = 0.001
	// acceptedMargin is how far under the accepted rate a cut goes.
	acceptedMargin = 0.95
	acceptedWindow = 2 * time.Second
	// minRateShare bounds the decrease.
	minRateShare = 0.05
	// latencyWeight is the weight of a new sample in the moving average.
	latencyWeight = 0.2
	// steadyBurst is the bucket's size once Lever has refused a request.
	steadyBurst = 2
	// hungAfter: an attempt out for this many round trips no longer counts
	// in capacity.
	hungAfter = 2
	// maxSettle bounds the wait for a group's answers (see settling).
	maxSettle = 250 * time.Millisecond
	// unlimitedInFlight is the capacity of a client without a rate limit
	// (tests and benchmarks): enough to keep two cores busy.
	unlimitedInFlight = 8
)

// newPacer builds the bucket. It holds one token fewer than burst: requests
// that leave together arrive spread out, and a server bucket of the same
// size, which refills only from its first arrival, would otherwise refuse
// the last of them.
func newPacer(limit rate.Limit, burst int) *pacer {
	p := &pacer{max: limit, cur: limit, now: time.Now, cut: make(chan struct{}), changed: make(chan struct{})}
	if limit != rate.Inf {
		burst = max(burst-1, 1)
		p.min = limit * minRateShare
		p.step = limit * increasePerSecond
	}
	p.lim = rate.NewLimiter(limit, burst)
	return p
}

// wait blocks until the bucket admits a request, and returns when it did:
// a request admitted before a cut left at the old rate, and its 429 says
// nothing of the new one. A request takes a token only when it leaves, so
// a cut holds back every request still waiting (a reservation taken at the
// old rate would leave at it, and cancelling one gives tokens back). It
// refuses a wait for tokens that would outlast ctx's deadline, and does not
// settle past it.
func (p *pacer) wait(ctx context.Context) (admitted time.Time, err error) {
	for {
		p.mu.Lock()
		cut, changed := p.cut, p.changed
		now := p.now()
		deadline, hasDeadline := ctx.Deadline()
		settle := p.settling(now)
		if hasDeadline && now.Add(settle).After(deadline) {
			settle = 0 // settling is worth less than the request itself
		}
		ok := settle == 0 && p.lim.AllowN(now, 1)
		if ok {
			p.out = append(p.out, now)
		}
		p.mu.Unlock()
		if ok {
			return now, nil
		}
		delay := settle
		if settle == 0 {
			need := 1 - p.lim.TokensAt(now)
			delay = time.Duration(need / float64(p.lim.Limit()) * float64(time.Second))
		}
		if hasDeadline && now.Add(delay).After(deadline) {
			return now, errors.New("the rate limit admits no request before the deadline")
		}
		t := time.NewTimer(max(delay, time.Millisecond))
		select {
		case <-t.C:
		case <-cut:
			t.Stop()
		case <-changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return now, ctx.Err()
		}
	}
}

// ended records that the attempt wait admitted at queued is over, answered
// or not. The first answer to a group starts its settling.
func (p *pacer) ended(queued time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.out, queued); i >= 0 {
		p.out = slices.Delete(p.out, i, i+1)
	}
	now := p.now()
	if p.max != rate.Inf && !now.Before(p.settleUntil) && p.groupOut(queued) {
		p.group, p.settleUntil = queued, now.Add(min(p.latency/4, maxSettle))
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// settling is how long a request waits for the rest of a group of
// attempts that are being answered: 0 when none is. A group left together
// on tokens saved up (admitted less than a quarter of the configured
// interval apart, so requests paced at any rate the bucket allows are
// never one), and its answers come back together too: a request sent on
// the first of them would leave before a 429 among the last is seen, into
// a Lever bucket the group has just emptied. The wait ends when the group
// has ended, or a quarter of the round trip (at most maxSettle) after its
// first answer. Called with mu held.
func (p *pacer) settling(now time.Time) time.Duration {
	if !now.Before(p.settleUntil) || !p.groupOut(p.group) {
		return 0
	}
	return p.settleUntil.Sub(now)
}

// groupOut reports whether an attempt admitted with the one admitted at
// queued, as one group, has not ended. Called with mu held.
func (p *pacer) groupOut(queued time.Time) bool {
	gap := time.Duration(float64(time.Second) / float64(p.max) / 4)
	return slices.ContainsFunc(p.out, func(q time.Time) bool {
		d := q.Sub(queued)
		return d > -gap && d < gap
	})
}

// answered records an attempt, admitted by the bucket at queued (what wait
// returned), that Lever answered with status after took.
func (p *pacer) answered(queued time.Time, took time.Duration, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.latency == 0 {
		p.latency = took
	} else {
		p.latency += time.Duration(latencyWeight * float64(took-p.latency))
	}
	switch {
	case status == 429:
		// Lever's bucket is empty: the tokens left in ours would only buy
		// more 429s (ours starts full and refills at our rate, which may be
		// above Lever's).
		if tokens := int(p.lim.TokensAt(now)); tokens > 0 {
			p.lim.ReserveN(now, tokens)
		}
		if !queued.After(p.decreasedAt) {
			return
		}
		if p.cur == rate.Inf {
			// No limit was set, but the server has one: take Lever's.
			p.max, p.cur = DefaultRate, DefaultRate
			p.min, p.step = p.max*minRateShare, p.max*increasePerSecond
		}
		// Until Lever first refuses, what it accepted includes its bucket's
		// burst and overstates its rate: the first cut is the factor's.
		// After a refusal its bucket is empty, and what it accepts is its
		// rate: a later cut goes just under it.
		next := p.cur * decreaseFactor
		if got := p.acceptedRate(now); !p.decreasedAt.IsZero() && got < p.cur {
			next = max(next, got*acceptedMargin)
		}
		// The requests sent in the last round trip left at the old rate,
		// and Lever is judging them now: hold back what they overspent,
		// so its bucket refills before ours sends again.
		overspent := int(float64(p.cur-max(next, p.min)) * p.latency.Seconds())
		p.cur = max(next, p.min)
		p.step = max(p.step/2, p.max*minIncreasePerSecond)
		p.decreasedAt, p.increasedAt = now, now
		p.lim.SetLimitAt(now, p.cur)
		// Lever's bucket is smaller or slower than ours: from now on the
		// requests leave evenly. Answers come back together, and with
		// tokens saved up they would send the next requests together, in
		// waves that Lever's empty bucket meets with 429s.
		p.lim.SetBurstAt(now, steadyBurst)
		for range overspent {
			p.lim.ReserveN(now, 1)
		}
		close(p.cut)
		p.cut = make(chan struct{})
	case p.max != rate.Inf:
		p.accepted = append(trimWindow(p.accepted, now), now)
		if p.cur >= p.max || status < 200 || status >= 300 {
			return
		}
		dt := min(now.Sub(p.increasedAt), time.Second)
		p.increasedAt = now
		p.cur = min(p.cur+p.step*rate.Limit(dt.Seconds()), p.max)
		p.lim.SetLimitAt(now, p.cur)
	}
}

// acceptedRate is the rate of answers other than 429 over the last
// acceptedWindow.
func (p *pacer) acceptedRate(now time.Time) rate.Limit {
	p.accepted = trimWindow(p.accepted, now)
	return rate.Limit(float64(len(p.accepted)) / acceptedWindow.Seconds())
}

// trimWindow drops the times acceptedWindow or more before now.
func trimWindow(times []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-acceptedWindow)) {
		cut++
	}
	return times[cut:]
}

// capacity is how many requests are worth having in flight: enough that
// the bucket stays empty, which is the budget used in full; more would only
// wait in the bucket. That is what the bucket admits within one observed
// round trip (the tokens it holds now plus its rate times the latency), and
// at least the attempts already out plus those tokens and one more to wait
// for the next: before the first answer the latency is unknown, and the
// tokens that the first requests took are still out, so a full bucket
// leaves at once rather than half of it.
func (p *pacer) capacity() int {
	now := p.now()
	p.mu.Lock()
	cur, latency := p.cur, p.latency
	// An attempt out for over twice the round trip is not coming back soon
	// (Lever or the network hangs): it does not make room for another.
	sent := 0
	for _, q := range p.out {
		if latency == 0 || now.Sub(q) <= hungAfter*latency {
			sent++
		}
	}
	p.mu.Unlock()
	if cur == rate.Inf {
		return unlimitedInFlight
	}
	tokens := max(p.lim.TokensAt(now), 0)
	n := max(tokens+float64(cur)*latency.Seconds(), float64(sent)+tokens+1)
	// A hair under whole numbers rounds down: the average only nears its
	// value.
	return max(int(math.Ceil(n-0.01)), 1)
}
