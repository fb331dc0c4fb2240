package fakelever

import "net/http"

type faultKind int

const (
	faultNone faultKind = iota
	faultUnavailable
	faultDrop
	faultTruncate
)

// fault decides, deterministically from the seed and the request's sequence
// number, whether this request fails and how.
func (s *Server) fault() faultKind {
	if s.cfg.Faults <= 0 {
		return faultNone
	}
	n := s.reqSeq.Add(1)
	r := newRNG(s.cfg.Seed, kindFault, int(n))
	if !r.chance(s.cfg.Faults) {
		return faultNone
	}
	return faultKind(1 + r.intn(3))
}

// Fault is a failure Config.Inject puts on one request.
type Fault int

// The faults Config.Inject can choose.
const (
	FaultNone Fault = iota
	// Fault503 answers 503 Service Unavailable.
	Fault503
	// FaultReset drops the connection without an answer.
	FaultReset
	// FaultTruncate promises the whole body, sends half and hangs up.
	FaultTruncate
	// Fault429 answers 429 with Retry-After: 1; Fault429Bare without it.
	Fault429
	Fault429Bare
	// FaultHTML answers a web page with status 200, as a proxy or captive
	// portal does.
	FaultHTML
	// FaultSlow answers after Config.SlowBy, or when the client leaves.
	FaultSlow
	// FaultBadToken rejects the request's page token as expired.
	FaultBadToken
)

// injected answers a fault Config.Inject chose; handled is false when the
// request goes on as usual.
func (s *Server) injected(w http.ResponseWriter, r *http.Request, f Fault) (handled bool) {
	switch f {
	case Fault503:
		s.write(w, errResp(http.StatusServiceUnavailable, "ServiceUnavailable", "Lever is temporarily unavailable; retry with backoff"))
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case Fault429, Fault429Bare:
		resp := errResp(http.StatusTooManyRequests, "TooManyRequests", "Too many requests for this API key; slow down and retry with exponential backoff")
		if f == Fault429 {
			resp.header = http.Header{"Retry-After": {"1"}}
		}
		s.write(w, resp)
	case FaultHTML:
		body := []byte("<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case FaultSlow:
		if !s.sleep(r.Context(), s.cfg.SlowBy) {
			panic(http.ErrAbortHandler)
		}
		return false
	case FaultBadToken:
		if r.URL.Query().Get("offset") == "" {
			return false
		}
		s.write(w, badRequest(invalidToken+": the token has expired; start again from the first page"))
	default:
		return false
	}
	s.count(func(st *Stats) { st.Faults++ })
	return true
}

// Restart makes every page token issued so far invalid, as a Lever whose
// servers restarted with new keys.
func (s *Server) Restart() { s.epoch.Add(1) }
