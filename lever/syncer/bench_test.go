package syncer_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// BenchmarkSyncEndToEnd is a full sync from the fake Lever (no latency, no
// rate limit) through the client and engine into a bbolt store on disk.
func BenchmarkSyncEndToEnd(b *testing.B) {
	const opportunities = 20000
	fake, err := fakelever.Start(fakelever.Config{Seed: 1, Opportunities: opportunities, Rate: -1}, "")
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	client, err := lever.NewClient(lever.Options{BaseURL: fake.URL(), Key: lever.NewAPIKey(fakelever.KeyFull), Rate: -1})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	records := 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		st, err := store.Open(filepath.Join(dir, "bench"+string(rune('a'+i%26))+".db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		state, err := syncer.NewEngine(client, st, syncer.Options{}).Run(context.Background(), nil)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range state.Totals {
			records += n
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
