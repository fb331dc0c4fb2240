// Package syncer is the sync engine: it reads a Lever account (reference
// lists, postings, opportunities in created_at windows split while reading,
// deletions, optional per-candidate detail) with lever.Pages, keeping as many
// requests in flight as the client's rate limiter admits at the latency it
// observes; commits each page with its stream's checkpoint to a Sink (one
// goroutine commits, the pages of several streams to a transaction; a Sink
// that is a Preparer prepares each page on its stream's goroutine first);
// and reports progress as Events. It knows Lever only through lever.Lister
// and the store only through Sink.
package syncer
