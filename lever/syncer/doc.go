// Package syncer is the sync engine: it plans the reads of a Lever account
// (reference lists, postings, opportunities in created_at windows,
// deletions, optional per-candidate detail), pages them with lever.Pages
// concurrently under the client's one rate limiter, commits each page with
// its stream's checkpoint to a Sink, and reports progress as Events. It
// knows Lever only through lever.Lister and the store only through Sink.
package syncer
