// Package lever speaks Lever's Data API v1: the HTTP client (hosts, auth,
// pagination, rate limit, retries, typed errors), the resource types, the
// permission probes, and the sync engine that pages through resources and
// hands each page to a Sink. It imports neither the store nor the UI.
package lever
