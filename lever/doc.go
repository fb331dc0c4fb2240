// Package lever is the client of Lever's Data API v1: hosts and
// environments, the masked API key, auth, the shared rate limiter, retries,
// typed errors, pagination (Pages, the one loop that follows page tokens,
// used by the sync engine too), the records the sync keeps (kept as raw
// JSON with their keys), and the permission probes. It imports neither the
// sync engine, the store nor the UI.
package lever
