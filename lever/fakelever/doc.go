// Package fakelever is a Lever look-alike HTTP server for tests, the demo
// mode and "leversync fake-lever". It follows Lever's Data API as the real
// one behaves: the {"data","hasNext","next"} envelope, opaque URL-encoded
// JSON-array page tokens that expire, limit 1..100, the confidentiality,
// distributionChannel, includeDeactivated and updated_at rules, per-key
// permissions (from lever/permission) and confidential access, a sandbox root
// where production keys are refused, a per-key token bucket with 429s, and
// injectable latency and faults.
//
// Data is generated on demand from a seed and each record's index, so a
// million opportunities cost no memory; only test mutations (updates,
// deletions) are kept. Lists are in createdAt-descending order and page
// tokens carry the last record's sort key, so paging never skips or repeats
// a record while others change.
//
// Postings: without distributionChannel, published internal-only postings
// are hidden, as on Lever. distributionChannel=public&distributionChannel=internal
// (or the union of the default list and distributionChannel=internal) returns
// every posting; postings without any channel (closed, draft) always pass the
// channel filter. updated_at_* combines only with confidentiality and then
// applies no channel rule.
package fakelever
