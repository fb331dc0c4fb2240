package fakelever

import (
	"sync"
	"testing"
	"time"
)

func TestRateLimit429(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 10, Rate: 2, Burst: 5})
	var ok, limited, withRetryAfter int
	for range 30 {
		r := get(t, c, s.URL(), KeyFull, "/stages", "")
		switch r.status {
		case 200:
			ok++
		case 429:
			r.apiError(t, 429, "TooManyRequests")
			limited++
			if r.header.Get("Retry-After") == "1" {
				withRetryAfter++
			}
			if r.header.Get("Date") == "" {
				t.Error("429 without Date")
			}
		default:
			t.Fatalf("status %d", r.status)
		}
	}
	if ok < 5 || limited == 0 {
		t.Fatalf("%d accepted, %d limited", ok, limited)
	}
	if withRetryAfter == 0 || withRetryAfter == limited {
		t.Errorf("Retry-After on %d of %d 429s; want some with and some without", withRetryAfter, limited)
	}
	st := s.Stats()
	if st.Served429 != int64(limited) || st.Requests != 30 || st.ByPath["GET /stages"] != 30 {
		t.Errorf("stats %+v, want %d 429s of 30", st, limited)
	}
	// Every request reached the limiter within the second; only the
	// accepted ones count as accepted.
	if st.Accepted != int64(ok) || st.MaxArrivedInOneSecond < st.MaxInOneSecond || st.MaxArrivedInOneSecond <= ok {
		t.Errorf("accepted %d (want %d), %d arrived and %d accepted in one second", st.Accepted, ok, st.MaxArrivedInOneSecond, st.MaxInOneSecond)
	}
	if st.FirstAccepted.IsZero() || st.LastAccepted.Before(st.FirstAccepted) {
		t.Errorf("first accepted %v, last %v", st.FirstAccepted, st.LastAccepted)
	}
	if span := st.AcceptedByPath["GET /stages"]; span.Accepted != st.Accepted || span.First != st.FirstAccepted || span.Last != st.LastAccepted {
		t.Errorf("accepted on /stages %+v, want all %d from %v to %v", span, st.Accepted, st.FirstAccepted, st.LastAccepted)
	}
	// Buckets are per key: another key is not limited yet.
	get(t, c, s.URL(), KeyReadOnly, "/stages", "").envelope(t)
	s.ResetStats()
	if st := s.Stats(); st.Requests != 0 || len(st.ByPath) != 0 || st.MaxInOneSecond != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
}

func TestMaxInOneSecondNeverAboveRatePlusBurst(t *testing.T) {
	t.Parallel()
	const rate, burst = 10, 20
	s, c := start(t, Config{Seed: 1, Opportunities: 10, Rate: rate, Burst: burst})
	deadline := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				get(t, c, s.URL(), KeyFull, "/stages", "")
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.MaxInOneSecond > rate+burst {
		t.Fatalf("MaxInOneSecond %d > rate+burst %d", st.MaxInOneSecond, rate+burst)
	}
	if st.MaxInOneSecond < burst || st.Served429 == 0 {
		t.Fatalf("MaxInOneSecond %d, %d 429s: the limiter was not exercised", st.MaxInOneSecond, st.Served429)
	}
}

func TestUnlimitedRate(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 10, Rate: -1, Burst: 1})
	for range 60 {
		get(t, c, s.URL(), KeyFull, "/stages", "").envelope(t)
	}
	if st := s.Stats(); st.Served429 != 0 || st.MaxInOneSecond < 2 {
		t.Fatalf("stats %+v", st)
	}
}
