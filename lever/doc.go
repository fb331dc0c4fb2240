// Package lever is the client of Lever's Data API v1: hosts and
// environments, the masked API key, auth, the shared rate limiter, retries,
// typed errors, pagination, the record types the sync keeps, and the
// permission probes. It imports neither the sync engine, the store nor the
// UI.
package lever
