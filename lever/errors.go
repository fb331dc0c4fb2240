package lever

import (
	"errors"
	"fmt"
)

// Errors a user must act on. Match them with errors.Is / errors.As.
var (
	// ErrUnauthorized: Lever answered 401; the key is wrong, revoked, or
	// belongs to the other environment.
	ErrUnauthorized = errors.New("the API key was rejected by Lever (401): check that it was copied whole and belongs to this environment (production or sandbox)")
	// ErrForbidden matches every *PermissionError.
	ErrForbidden = errors.New("the API key lacks a permission (403)")
	// ErrRateLimited: 429s persisted after every retry.
	ErrRateLimited = errors.New("rate limited: Lever kept answering 429 Too Many Requests after retries")
	// ErrUnavailable: 5xx or network failures persisted after every retry.
	ErrUnavailable = errors.New("unavailable: Lever or the network did not answer after retries")
	// ErrInvalidOffset: the page token expired or was not Lever's; the caller
	// restarts that window from its first page.
	ErrInvalidOffset = errors.New("the page token was rejected by Lever (Invalid offset token)")
	// ErrNotLeverAPI: the API root answered, but not like Lever's API: not
	// found (404), a redirect, a web page or JSON of another shape. The API
	// root is most likely wrong; retrying will not help.
	ErrNotLeverAPI = errors.New("the API root does not answer like Lever's API")
	// ErrPaginationLoop: hasNext was true but next was empty or repeated.
	ErrPaginationLoop = errors.New("pagination did not advance: Lever repeated or omitted the next page token")
)

// wrongRootHint is what to check when the API root does not answer like
// Lever's.
const wrongRootHint = "check the API root; it should look like https://api.lever.co/v1"

// APIError is a non-2xx answer, with Lever's {"code","message"} body when
// there was one. It never holds the key or the Authorization header.
type APIError struct {
	Status  int
	Code    string
	Message string
	Method  string
	Path    string // path only: no query, no host
	// Location is where a redirect (3xx) pointed, without its query.
	Location string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	s := fmt.Sprintf("Lever answered %d on %s %s: %s", e.Status, e.Method, e.Path, msg)
	switch {
	case e.Status >= 300 && e.Status < 400:
		to := "another address"
		if e.Location != "" {
			to = e.Location
		}
		return fmt.Sprintf("the API root answered %d on %s %s, a redirect to %s, which leversync does not follow (the key stays with the API root it was given): %s", e.Status, e.Method, e.Path, to, wrongRootHint)
	case e.Status == 404:
		return fmt.Sprintf("the API root answered 404 on %s %s (%s), a path Lever's API has: %s", e.Method, e.Path, msg, wrongRootHint)
	}
	if e.Status == 401 {
		s += ". The API key was rejected: check that it was copied whole and belongs to this environment (production or sandbox), or generate a new one in Lever (Settings > Integrations and API > API Credentials)"
	}
	return s
}

// Unwrap maps the status to the sentinel a caller acts on.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == 401:
		return ErrUnauthorized
	case e.Status == 429:
		return ErrRateLimited
	case e.Status == 404, e.Status >= 300 && e.Status < 400:
		return ErrNotLeverAPI
	case e.Status >= 500:
		return ErrUnavailable
	}
	return nil
}

// PermissionError is a 403: the key works but lacks the named permission.
type PermissionError struct {
	// Permission is the checkbox as Lever's key screen names it, e.g.
	// "find all opportunities"; "" when the endpoint is unknown.
	Permission string
	// Write is true for a write permission.
	Write  bool
	Method string
	Path   string
	// Message is Lever's own message.
	Message string
}

func (e *PermissionError) Error() string {
	p := e.Permission
	if p == "" {
		p = "the permission for this endpoint"
	}
	kind := "Read"
	if e.Write {
		kind = "Write"
	}
	return fmt.Sprintf("the API key lacks the %s permission %q (403 on %s %s): permissions cannot be edited after a key is created, so generate a new key in Lever with it", kind, p, e.Method, e.Path)
}

func (e *PermissionError) Is(target error) bool { return target == ErrForbidden }
