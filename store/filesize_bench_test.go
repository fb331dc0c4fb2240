package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
)

// BenchmarkFileSize runs a full sync of LEVERSYNC_BENCH_OPPORTUNITIES
// opportunities (default 20,000) from the fake Lever, with its reference
// lists, into a new file, and reports the file's size on disk per stored
// record and as a share of the raw JSON it holds ("of-raw": the issue's
// target is at most 0.5 at 100,000 opportunities).
//
//	LEVERSYNC_BENCH_OPPORTUNITIES=100000 go test -run '^$' -bench FileSize -benchtime 1x ./store/
func BenchmarkFileSize(b *testing.B) {
	client := benchFake(b)
	var size, raw, records int64
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(b.TempDir(), "size"+strconv.Itoa(i)+".db")
		st, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := syncer.NewEngine(client, st, syncer.Options{}).Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		// As every sync does after a full read (app.Start).
		if _, err := st.Pack(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		raw, records = 0, 0
		for _, r := range lever.AllResources {
			if err := st.Export(r, false, func(_ string, v []byte) error { raw += int64(len(v)); records++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		size = info.Size()
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/float64(records), "file-B/record")
	b.ReportMetric(float64(raw)/float64(records), "raw-B/record")
	b.ReportMetric(float64(size)/float64(raw), "of-raw")
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// benchFake starts a fake Lever of LEVERSYNC_BENCH_OPPORTUNITIES
// opportunities (default 20,000), without latency or rate limit, for the
// benchmark's whole run, and returns a client of it.
func benchFake(b *testing.B) *lever.Client {
	b.Helper()
	n := 20000
	if v := os.Getenv("LEVERSYNC_BENCH_OPPORTUNITIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("LEVERSYNC_BENCH_OPPORTUNITIES=%q: want a positive number", v)
		}
	}
	fake, err := fakelever.Start(fakelever.Config{Seed: 1, Opportunities: n, Rate: -1}, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fake.Close() })
	client, err := lever.NewClient(lever.Options{BaseURL: fake.URL(), Key: lever.NewAPIKey(fakelever.KeyFull), Rate: -1})
	if err != nil {
		b.Fatal(err)
	}
	return client
}
