package lever

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// testClock is a settable clock for the pacer, safe to read from a
// goroutine that waits in it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestPacer(limit rate.Limit, burst int) (*pacer, *testClock) {
	// From now: the waits' deadlines are on the real clock.
	clk := &testClock{t: time.Now()}
	p := newPacer(limit, burst)
	p.now = clk.now
	p.lim = rate.NewLimiter(limit, p.lim.Burst())
	p.lim.SetLimitAt(clk.now(), limit)
	return p, clk
}

func TestPacerCutsOn429AndClimbsBackToTheConfiguredRate(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	queued := clk.now()
	clk.advance(300 * time.Millisecond)
	p.answered(queued, 300*time.Millisecond, 429)
	if p.cur != 10*decreaseFactor {
		t.Fatalf("after a 429 the rate is %v, want %v", p.cur, 10*decreaseFactor)
	}
	if got := p.lim.Limit(); got != p.cur {
		t.Errorf("the bucket runs at %v, the pacer says %v", got, p.cur)
	}
	// Requests queued before the cut come back at the old rate: their
	// 429s cut nothing more.
	p.answered(queued, 300*time.Millisecond, 429)
	if p.cur != 10*decreaseFactor {
		t.Errorf("a 429 to a request queued before the cut cut again: %v", p.cur)
	}
	// Successes raise the rate a little at a time, never above the
	// configured rate.
	last := p.cur
	for i := range 600 {
		clk.advance(200 * time.Millisecond)
		p.answered(clk.now(), 300*time.Millisecond, 200)
		if p.cur < last || p.cur > 10 {
			t.Fatalf("success %d: rate %v after %v", i, p.cur, last)
		}
		last = p.cur
	}
	if last != 10 {
		t.Errorf("after two minutes of successes the rate is %v, want back at 10", last)
	}
}

// TestPacerCutsToJustUnderWhatLeverAccepts: Lever's first refusal cuts by
// the whole factor, since what it accepted until then includes its
// bucket's burst; once it has refused, a cut goes just under the rate it
// accepts rather than by the whole factor; and every cut halves the climb
// that follows.
func TestPacerCutsToJustUnderWhatLeverAccepts(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	eightASecond := func() {
		for range 16 {
			clk.advance(125 * time.Millisecond)
			p.answered(clk.now(), 100*time.Millisecond, 200)
		}
	}
	// Lever accepts 8 a second for two seconds while we send 10, then
	// refuses for the first time.
	eightASecond()
	p.answered(clk.now(), 100*time.Millisecond, 429)
	if want := rate.Limit(10 * decreaseFactor); p.cur != want {
		t.Fatalf("rate %v after Lever's first refusal, want the factor's %v", p.cur, want)
	}
	// Back at 10 after a while, Lever again accepts 8 a second.
	for p.cur < 10 {
		clk.advance(time.Second)
		p.answered(clk.now(), 100*time.Millisecond, 200)
	}
	eightASecond()
	step := p.step
	p.answered(clk.now(), 100*time.Millisecond, 429)
	if want := rate.Limit(8 * acceptedMargin); p.cur < want-0.01 || p.cur > want+0.01 {
		t.Errorf("rate %v after a later 429 with 8/s accepted, want %v", p.cur, want)
	}
	if p.step != step/2 {
		t.Errorf("the climb after a cut is %v/s, want half of %v", p.step, step)
	}
	// Nothing accepted lately: the factor applies, down to the floor.
	for range 100 {
		clk.advance(5 * time.Second)
		p.answered(clk.now(), 100*time.Millisecond, 429)
	}
	if p.cur != p.min || p.min <= 0 {
		t.Errorf("rate %v after many 429s, want the floor %v", p.cur, p.min)
	}
	if p.step != p.max*minIncreasePerSecond {
		t.Errorf("climb %v after many cuts, want the floor %v", p.step, p.max*minIncreasePerSecond)
	}
}

// TestPacerCapacity: the requests worth having in flight are the tokens in
// the bucket plus the rate times the observed latency, and before the
// latency is known, the whole bucket: what the first requests took is
// still out.
func TestPacerCapacity(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	if got := p.capacity(); got != 20 {
		t.Errorf("capacity before any answer = %d, want the bucket's 19 tokens and one to wait for the next", got)
	}
	var out []time.Time
	for range 10 {
		out = append(out, admit(t, p))
	}
	if got := p.capacity(); got != 20 {
		t.Errorf("capacity with 10 requests out before any answer = %d, want 20: the other 9 tokens leave at once too", got)
	}
	clk.advance(time.Second)
	for _, q := range out {
		answer(p, q, 200)
	}
	if got := p.capacity(); got != 29 {
		t.Errorf("capacity at 1s latency with a full bucket = %d, want 19 + 10", got)
	}
	for range 19 {
		p.lim.AllowN(clk.now(), 1)
	}
	if got := p.capacity(); got != 10 {
		t.Errorf("capacity at 1s latency with an empty bucket = %d, want 10", got)
	}
	// The average follows the latency.
	for range 50 {
		p.answered(clk.now(), 300*time.Millisecond, 200)
	}
	if got := p.capacity(); got != 3 {
		t.Errorf("capacity at 300ms latency with an empty bucket = %d, want 3", got)
	}
	if got := newPacer(rate.Inf, 20).capacity(); got != unlimitedInFlight {
		t.Errorf("capacity without a limit = %d, want %d", got, unlimitedInFlight)
	}
}

// TestPacerCapacityLeavesOutHungAttempts: attempts out for over twice the
// round trip (Lever hangs) do not make room for more.
func TestPacerCapacityLeavesOutHungAttempts(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	first := admit(t, p)
	clk.advance(time.Second)
	answer(p, first, 200)
	for range 19 {
		admit(t, p)
	}
	if got := p.capacity(); got != 20 {
		t.Fatalf("capacity with 19 requests just out = %d, want 19 + 0 tokens + 1", got)
	}
	// None answers for 3 s; the bucket refills meanwhile.
	clk.advance(3 * time.Second)
	if got := p.capacity(); got != 29 {
		t.Errorf("capacity with 19 requests hung for 3 round trips = %d, want the bucket's 19 tokens + 10 a round trip, as if none were out", got)
	}
}

// admit is a wait the bucket must admit at once.
func admit(t *testing.T, p *pacer) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q, err := p.wait(ctx)
	if err != nil {
		t.Fatalf("the bucket did not admit a request: %v", err)
	}
	return q
}

// waitInBackground starts a wait and returns where its admission arrives.
func waitInBackground(p *pacer) <-chan time.Time {
	next := make(chan time.Time, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if q, err := p.wait(ctx); err == nil {
			next <- q
		}
		close(next)
	}()
	return next
}

// answer records Lever's answer to the attempt admitted at q, a second
// after it left.
func answer(p *pacer, q time.Time, status int) {
	p.answered(q, time.Second, status)
	p.ended(q)
}

// stillWaiting fails with why if next is admitted within d.
func stillWaiting(t *testing.T, next <-chan time.Time, d time.Duration, why string) {
	t.Helper()
	select {
	case <-next:
		t.Fatal(why)
	case <-time.After(d):
	}
}

// leaves waits for next's admission and returns it; it fails with why if
// none comes within 5 s.
func leaves(t *testing.T, next <-chan time.Time, why string) time.Time {
	t.Helper()
	select {
	case q, ok := <-next:
		if !ok {
			t.Fatal("the wait failed")
		}
		return q
	case <-time.After(5 * time.Second):
		t.Fatal(why)
	}
	return time.Time{}
}

// TestPacerSettlesOnAGroupsAnswers: requests that left together on saved
// tokens are answered together. A request sent on the first answer would
// leave before a 429 among the last is seen: it waits for the group, and
// after the 429, for the cut rate.
func TestPacerSettlesOnAGroupsAnswers(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	group := make([]time.Time, 5)
	for i := range group {
		group[i] = admit(t, p)
	}
	clk.advance(time.Second)
	answer(p, group[0], 200)
	next := waitInBackground(p)
	for _, q := range group[1:4] {
		stillWaiting(t, next, 50*time.Millisecond, "a request left while its group was being answered, before a 429 among it could be seen")
		answer(p, q, 200)
	}
	answer(p, group[4], 429)
	stillWaiting(t, next, 100*time.Millisecond, "the request left on tokens saved before the 429")
	cutAt := clk.now()
	clk.advance(2 * time.Second)
	if q := leaves(t, next, "the request never left after the cut rate refilled the bucket"); !q.After(cutAt) {
		t.Errorf("admitted at %v, want after the cut at %v", q, cutAt)
	}
}

// TestPacerSettlesNoLongerThanAQuarterOfTheRoundTrip: a group member that
// hangs holds the next request back only briefly.
func TestPacerSettlesNoLongerThanAQuarterOfTheRoundTrip(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	group := []time.Time{admit(t, p), admit(t, p)}
	clk.advance(time.Second)
	answer(p, group[0], 200)
	next := waitInBackground(p)
	stillWaiting(t, next, 50*time.Millisecond, "left before the settling time")
	clk.advance(time.Second/4 + time.Millisecond)
	leaves(t, next, "a hung member of the group held the next request for good")
}

// TestPacerDoesNotSettlePastTheDeadline: a request whose deadline comes
// before its group's answers would leaves at once rather than fail.
func TestPacerDoesNotSettlePastTheDeadline(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	group := []time.Time{admit(t, p), admit(t, p)}
	clk.advance(time.Second)
	answer(p, group[0], 200)
	ctx, cancel := context.WithDeadline(context.Background(), clk.now().Add(100*time.Millisecond))
	defer cancel()
	if ctx.Err() != nil {
		t.Fatal("the deadline passed before the test could wait")
	}
	if _, err := p.wait(ctx); err != nil {
		t.Errorf("a request due within the settling time was refused: %v", err)
	}
}

// TestPacerSettlingOutlastsAnUnrelatedAnswer: an answer to a request that
// left on its own, paced, does not end the wait for a group.
func TestPacerSettlingOutlastsAnUnrelatedAnswer(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	group := []time.Time{admit(t, p), admit(t, p), admit(t, p)}
	clk.advance(200 * time.Millisecond)
	paced := admit(t, p)
	clk.advance(time.Second)
	answer(p, group[0], 200)
	next := waitInBackground(p)
	answer(p, paced, 200)
	stillWaiting(t, next, 100*time.Millisecond, "an answer outside the group ended the wait for it")
	for _, q := range group[1:] {
		answer(p, q, 200)
	}
	leaves(t, next, "the request did not leave once its group had ended")
}

// TestPacedRequestsDoNotSettle: requests that left an interval apart are
// not a group; an answer sends the next at once.
func TestPacedRequestsDoNotSettle(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	first := admit(t, p)
	clk.advance(100 * time.Millisecond)
	admit(t, p)
	clk.advance(time.Second)
	answer(p, first, 200)
	leaves(t, waitInBackground(p), "a request waited for one that left an interval after the answered one")
}

func TestPacerWithoutALimitTakesLeversOnA429(t *testing.T) {
	p, clk := newTestPacer(rate.Inf, 20)
	p.answered(clk.now(), 100*time.Millisecond, 200)
	if p.cur != rate.Inf {
		t.Fatalf("rate %v after a success, want no limit", p.cur)
	}
	clk.advance(time.Second)
	p.answered(clk.now(), 100*time.Millisecond, 429)
	if p.max != DefaultRate || p.cur != DefaultRate*decreaseFactor || p.lim.Limit() != p.cur {
		t.Errorf("after a 429 without a limit: max %v, rate %v, bucket %v; want Lever's %v cut to %v", p.max, p.cur, p.lim.Limit(), DefaultRate, DefaultRate*decreaseFactor)
	}
}

// TestPacerHoldsBackWhatACutOverspent: the requests of the last round trip
// left at the old rate, and Lever is still judging them; a cut takes their
// surplus, and whatever our bucket held, from the bucket, so Lever's
// refills before we send again.
func TestPacerHoldsBackWhatACutOverspent(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	p.answered(clk.now(), time.Second, 200) // a round trip of 1s
	if got := p.lim.TokensAt(clk.now()); got < 18 {
		t.Fatalf("the bucket holds %v before the cut, want it full", got)
	}
	clk.advance(100 * time.Millisecond)
	p.answered(clk.now(), time.Second, 429)
	// Cut from 10 to 6 at 1s: 4 requests overspent, and the bucket emptied.
	if got := p.lim.TokensAt(clk.now()); got > -3.9 || got < -4.1 {
		t.Errorf("the bucket holds %v after the cut, want 4 tokens owed", got)
	}
}

// TestPacerSendsEvenlyOnceLeverRefuses: while Lever accepts everything the
// bucket keeps its burst; once Lever has refused a request, it saves up no
// more than steadyBurst, so the answers that come back together do not
// send the next requests out in a wave.
func TestPacerSendsEvenlyOnceLeverRefuses(t *testing.T) {
	p, clk := newTestPacer(10, 20)
	ctx := t.Context()
	for range 19 {
		if _, err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(time.Second)
	p.answered(clk.now(), time.Second, 200)
	clk.advance(10 * time.Second)
	if got := p.lim.TokensAt(clk.now()); got < 19 {
		t.Errorf("the bucket refilled to %v while Lever accepted everything, want its 19", got)
	}
	p.answered(clk.now(), time.Second, 429)
	clk.advance(10 * time.Second)
	if got := p.lim.TokensAt(clk.now()); got > steadyBurst {
		t.Errorf("the bucket saved up %v tokens in 10s after a 429, want at most %d", got, steadyBurst)
	}
}
