package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// benchPage is a page of n opportunities of realistic size (about 2 KB of
// JSON each) with ids unique to page p.
func benchPage(p, n int) syncer.Batch {
	page := syncer.Batch{Resource: lever.Opportunities, Checkpoint: syncer.Checkpoint{Stream: "opportunities", Offset: fmt.Sprint(p + 1)}}
	for i := range n {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", p, i)
		page.Upserts = append(page.Upserts, opportunity(id, time.Now().UnixMilli(), fmt.Sprintf("posting-%d", i%40)))
	}
	return page
}

func benchStore(b *testing.B) *Store {
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkCommitPage100 commits pages of 100 opportunities, one Commit
// (one transaction, one fsync) per page, as the sync engine does.
func BenchmarkCommitPage100(b *testing.B) {
	s := benchStore(b)
	b.SetBytes(int64(len(opportunityJSON("x", 1, "p")) * 100))
	pages := 0
	for b.Loop() {
		b.StopTimer()
		page := benchPage(pages, 100)
		b.StartTimer()
		if err := s.Commit(page); err != nil {
			b.Fatal(err)
		}
		pages++
	}
	b.ReportMetric(float64(pages*100)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkCommitPerRecord is the slow way, for comparison: one transaction
// per record.
func BenchmarkCommitPerRecord(b *testing.B) {
	s := benchStore(b)
	n := 0
	var page syncer.Batch
	for b.Loop() {
		if n%100 == 0 {
			b.StopTimer()
			page = benchPage(n/100, 100)
			b.StartTimer()
		}
		rec := page.Upserts[n%100]
		if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Upserts: []lever.Record{rec}, Checkpoint: page.Checkpoint}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
