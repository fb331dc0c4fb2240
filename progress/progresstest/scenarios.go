package progresstest

import (
	"net/url"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
)

// Data is the fake Lever account the scenarios sync: small enough to sync
// in well under a second without a rate limit, large enough that
// opportunities take several pages in each created_at window.
var Data = fakelever.Config{Opportunities: 1200, Postings: 40, Users: 12}

// unlimited is a client and a fake without rate limits, retrying at once.
var unlimited = lever.Options{Rate: -1, MaxRetries: 3, BaseBackoff: time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}

func base(key string) Scenario {
	fake := Data
	fake.Rate = -1
	return Scenario{Fake: fake, Key: key, Client: unlimited}
}

// Full is a first sync with a key that reads everything.
func Full() Scenario { return base(fakelever.KeyFull) }

// NoConfidential is a first sync with a key without confidential access:
// the engine warns, and the result is "warnings".
func NoConfidential() Scenario { return base(fakelever.KeyNoConfidential) }

// Throttled is a first sync by a client faster than the fake Lever's rate
// limit, so some requests are answered 429 and retried.
func Throttled() Scenario {
	sc := base(fakelever.KeyFull)
	sc.Fake.Rate, sc.Fake.Burst = 50, 5
	sc.Client.MaxRetries = 20
	return sc
}

// Deletions is an incremental sync after a full one, with records updated
// and deleted in Lever in between.
func Deletions() Scenario {
	sc := base(fakelever.KeyFull)
	sc.Prior = []Stop{nil}
	sc.Mutate = func(f *fakelever.Server) {
		f.UpdateOpportunities(5)
		f.DeleteOpportunities(2)
		f.DeletePostings(1)
	}
	return sc
}

// FullAgain is a full re-read (sync --full) after a complete sync, by a
// client faster than Lever allows: the candidates the file holds from the
// first sync are the evidence for an estimate of what is left, and 429s
// are retried.
func FullAgain() Scenario {
	sc := Throttled()
	sc.Prior = []Stop{nil}
	sc.Sync.Full = true
	return sc
}

// Failed is a sync with a key that lacks two permissions the sync needs:
// it fails with a permission error.
func Failed() Scenario { return base(fakelever.KeyMissingTwo) }

// Interrupted is a first sync cancelled right after Lever answers the
// first page of opportunities, which is the last page it stores.
func Interrupted() Scenario {
	sc := base(fakelever.KeyFull)
	sc.Stop = afterOpportunitiesPage
	return sc
}

// Resumed is the run after Interrupted: it resumes the interrupted one.
func Resumed() Scenario {
	sc := base(fakelever.KeyFull)
	sc.Prior = []Stop{afterOpportunitiesPage}
	return sc
}

// Details is a first sync that also fetches every opportunity's notes,
// interviews and offers.
func Details() Scenario {
	sc := base(fakelever.KeyFull)
	sc.Fake.Opportunities = 150
	sc.Sync.Details = true
	return sc
}

// afterOpportunitiesPage stops at the first page of an opportunities
// window (the planning reads ask for one record).
func afterOpportunitiesPage(path string, q url.Values, p lever.Page) bool {
	return path == "/opportunities" && q.Get("limit") == "" && len(p.Data) > 0
}

// Paced makes sc run at the product's pace: the client with its defaults
// (Lever's documented 10 requests a second, bursts of 20). A Throttled
// scenario's client runs at twice that against a fake Lever enforcing
// Lever's limit, so its 429s come with Lever's Retry-After. Recordings
// shown in golden frames use it, so their rates and waits are ones the
// product shows. A fake Lever that allows less than Lever's documented
// rate (Slow) is kept: it is what the product's client meets there.
func Paced(sc Scenario) Scenario {
	throttled := sc.Fake.Rate >= lever.DefaultRate
	sc.Client = lever.Options{}
	if throttled {
		sc.Fake.Rate, sc.Fake.Burst = lever.DefaultRate, lever.DefaultBurst
		sc.Client.Rate, sc.Client.Burst = 2*lever.DefaultRate, lever.DefaultBurst
	}
	return sc
}

// Slow is a first sync by the product's client (10 requests a second)
// against a Lever that lets its key make 3 a second, bursts of 3: what a
// sync sees when another integration spends the same key's budget. Lever
// refuses requests (429), the client slows down, and the run, with more
// candidates than Data, lasts well over 10 s.
func Slow() Scenario {
	sc := base(fakelever.KeyFull)
	sc.Fake.Rate, sc.Fake.Burst = 2, 2
	sc.Client = lever.Options{}
	return sc
}
