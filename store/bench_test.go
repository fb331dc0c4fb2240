package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
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

// BenchmarkCommitOverwritePage100 commits pages of 100 opportunities that
// replace stored ones with a newer version (updatedAt and stage changed, no
// personal data dropped), as an incremental sync does: each replaced record
// is decoded and compared, to tell whether the file needs a Scrub, and the
// search index is kept per record.
func BenchmarkCommitOverwritePage100(b *testing.B) {
	s := benchStore(b)
	const pages = 50
	for p := range pages {
		if err := s.Commit(benchPage(p, 100)); err != nil {
			b.Fatal(err)
		}
	}
	// As after a first sync: the search index is built, and kept per record.
	if err := s.FinishRun(syncer.RunState{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(opportunityJSON("x", 1, "p")) * 100))
	n := 0
	for b.Loop() {
		b.StopTimer()
		page := benchPage(n%pages, 100)
		for i := range page.Upserts {
			r := &page.Upserts[i]
			r.Raw = bytes.Replace(r.Raw, []byte(`"stage":"lead-new"`), []byte(fmt.Sprintf(`"stage":"stage-%d"`, n)), 1)
		}
		b.StartTimer()
		if err := s.Commit(page); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if done, err := s.Scrub(); err != nil || done {
		b.Fatalf("stage changes asked for a Scrub (%v, %v)", done, err)
	}
	b.ReportMetric(float64(n*100)/b.Elapsed().Seconds(), "records/s")
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

// BenchmarkScrub is the cost of the rewrite that follows a sync which
// removed personal data: a full sync of LEVERSYNC_BENCH_OPPORTUNITIES
// opportunities (default 20,000) from the fake Lever, with its reference
// lists, then, timed, one candidate deleted and Scrub.
//
//	LEVERSYNC_BENCH_OPPORTUNITIES=100000 go test -run '^$' -bench Scrub -benchtime 3x ./store/
func BenchmarkScrub(b *testing.B) {
	client := benchFake(b)
	s := benchStore(b)
	if _, err := syncer.NewEngine(client, s, syncer.Options{}).Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	ids, err := s.OpportunityIDs("", 0, b.N+1000)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	i := 0
	for b.Loop() {
		b.StopTimer()
		if err := s.Commit(syncer.Batch{Resource: lever.Opportunities, Deletes: []lever.Deletion{{ID: ids[i%len(ids)], DeletedAt: 1}}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if done, err := s.Scrub(); err != nil || !done {
			b.Fatalf("Scrub = %v, %v", done, err)
		}
		i++
		b.StopTimer()
		info, err := os.Stat(s.path)
		if err != nil {
			b.Fatal(err)
		}
		size = info.Size()
		b.StartTimer()
	}
	per := b.Elapsed().Seconds() / float64(i)
	b.ReportMetric(per, "s/scrub")
	b.ReportMetric(float64(size)/per/1e6, "MB/s")
	b.ReportMetric(float64(size)/1e6, "file-MB")
}
