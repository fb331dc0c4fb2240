package lever_test

import (
	"context"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
)

// BenchmarkClientDecode pages every opportunity of a fake Lever with no
// latency and no rate limit on either side, decoding each record as the sync
// does, and reports records/s: the client's own ceiling, far above the
// 1,000 records/s Lever's rate limit allows.
func BenchmarkClientDecode(b *testing.B) {
	const n = 5000
	fake := startFake(b, fakelever.Config{Seed: 1, Opportunities: n, Rate: -1})
	c := fakeClient(b, fake.URL(), fakelever.KeyFull, nil)
	ctx := context.Background()
	records := 0
	for b.Loop() {
		for page, err := range lever.Pages(ctx, c, "/opportunities", allOpportunities, "") {
			if err != nil {
				b.Fatal(err)
			}
			for i := range page.Data {
				if _, err := page.Record(i, lever.Opportunities, ""); err != nil {
					b.Fatal(err)
				}
				records++
			}
		}
	}
	if records%n != 0 {
		b.Fatalf("%d records is not a multiple of %d", records, n)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
