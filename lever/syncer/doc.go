// Package syncer is the sync engine: it reads a Lever account (reference
// lists, postings, opportunities in created_at windows split while reading,
// deletions, optional per-candidate detail) with lever.Pages, keeping as many
// requests in flight as the client's rate limiter admits at the latency it
// observes; commits each page with its stream's checkpoint to a Sink; and
// reports progress as Events. It knows Lever only through lever.Lister and
// the store only through Sink.
package syncer
