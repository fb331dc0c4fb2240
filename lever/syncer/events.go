package syncer

import (
	"sync"
	"time"
)

// eventPump delivers events to the consumer's channel from its own
// goroutine, so the sync never waits for the consumer. While the consumer
// lags, consecutive page_stored events of a stream are merged into one and
// retries into the latest; other events queue in order.
type eventPump struct {
	out      chan<- Event
	now      func() time.Time
	requests func() int64

	mu        sync.Mutex
	queue     []Event
	delivered int

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

const (
	// maxQueuedEvents bounds the queue; beyond it progress is dropped.
	maxQueuedEvents = 4096
	// finalFlush is how long Run's end waits for a live consumer to take
	// the last events.
	finalFlush = time.Second
)

func newEventPump(out chan<- Event, now func() time.Time, requests func() int64) *eventPump {
	p := &eventPump{out: out, now: now, requests: requests, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if out == nil {
		close(p.done)
		return p
	}
	go p.loop()
	return p
}

// emit queues ev without blocking.
func (p *eventPump) emit(ev Event) {
	if p.out == nil {
		return
	}
	if ev.Time == 0 {
		ev.Time = p.now().UnixMilli()
	}
	if ev.Requests == 0 && p.requests != nil {
		ev.Requests = p.requests()
	}
	p.mu.Lock()
	if !p.coalesceLocked(ev) {
		if len(p.queue) >= maxQueuedEvents && isProgress(ev) {
			p.mu.Unlock()
			return
		}
		p.queue = append(p.queue, ev)
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func isProgress(ev Event) bool { return ev.Type == EventPageStored || ev.Type == EventRetry }

// coalesceLocked merges ev into a queued progress event of the same kind
// and stream, looking back only past other progress events so the order
// against phase and warning events is kept.
func (p *eventPump) coalesceLocked(ev Event) bool {
	if !isProgress(ev) {
		return false
	}
	for i := len(p.queue) - 1; i >= 0; i-- {
		q := &p.queue[i]
		if !isProgress(*q) {
			return false
		}
		if q.Type != ev.Type || q.Stream != ev.Stream {
			continue
		}
		if ev.Type == EventPageStored {
			ev.Records += q.Records
			ev.Deleted += q.Deleted
		}
		*q = ev
		return true
	}
	return false
}

func (p *eventPump) pop() (Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return Event{}, false
	}
	ev := p.queue[0]
	p.queue = p.queue[1:]
	return ev, true
}

func (p *eventPump) pushFront(ev Event) {
	p.mu.Lock()
	p.queue = append([]Event{ev}, p.queue...)
	p.mu.Unlock()
}

func (p *eventPump) loop() {
	defer close(p.done)
	for {
		ev, ok := p.pop()
		if !ok {
			select {
			case <-p.wake:
				continue
			case <-p.stop:
				return
			}
		}
		select {
		case p.out <- ev:
			p.mu.Lock()
			p.delivered++
			p.mu.Unlock()
		case <-p.stop:
			p.pushFront(ev)
			return
		}
	}
}

// close stops the pump. A consumer that has taken events gets a short
// while to take the rest; an absent one gets none. Nothing is sent after
// close returns, so the caller may then close the channel.
func (p *eventPump) close() {
	if p.out == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.mu.Lock()
	live := p.delivered > 0
	p.mu.Unlock()
	deadline := time.NewTimer(finalFlush)
	defer deadline.Stop()
	for {
		ev, ok := p.pop()
		if !ok {
			return
		}
		if !live {
			select {
			case p.out <- ev:
			default:
			}
			continue
		}
		select {
		case p.out <- ev:
		case <-deadline.C:
			return
		}
	}
}
