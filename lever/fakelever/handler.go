package fakelever

import (
	"bufio"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leversync/leversync/lever/permission"
)

// response is a finished reply, built before anything is written so faults
// can truncate it.
type response struct {
	status int
	body   []byte
	header http.Header
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errResp(status int, code, msg string) response {
	return response{status: status, body: marshal(errorBody{code, msg})}
}

func badRequest(msg string) response { return errResp(http.StatusBadRequest, "BadRequestError", msg) }

func notFound(what, id string) response {
	return errResp(http.StatusNotFound, "ResourceNotFound", what+" "+id+" was not found")
}

var (
	respUnauthorized = func() response {
		return errResp(http.StatusUnauthorized, "UnauthorizedError", "A valid API key was not provided")
	}
	respForbidden = func() response {
		return errResp(http.StatusForbidden, "ForbiddenError", "Your Lever account settings don't authorize you to perform the requested operation. Talk to a Super Admin about changing your permissions.")
	}
)

func dataResp(raw []byte) response {
	b := make([]byte, 0, len(raw)+10)
	b = append(b, `{"data":`...)
	b = append(b, raw...)
	b = append(b, '}')
	return response{status: http.StatusOK, body: b}
}

// ServeHTTP answers like Lever: auth, rate limit, permissions, then data,
// with latency and faults as configured.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", s.cfg.Now().UTC().Format(http.TimeFormat))
	path, sandbox, ok := apiPath(r.URL.Path)
	pattern := r.Method + " " + pathPattern(path)
	if !ok {
		pattern = r.Method + " " + r.URL.Path
	}
	s.count(func(st *Stats) { st.Requests++; st.ByPath[pattern]++ })
	if r.Method != http.MethodGet {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		req := WriteRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
		s.count(func(st *Stats) { st.Writes = append(st.Writes, req) })
	}
	if !s.sleep(r.Context(), s.cfg.Latency) {
		// The client left or the server is closing: hang up, answer nothing.
		panic(http.ErrAbortHandler)
	}
	if !ok {
		s.write(w, errResp(http.StatusNotFound, "ResourceNotFound", "No API route matches "+r.URL.Path+"; the API root is /v1 (or /sandbox/v1)"))
		return
	}
	key, _, hasAuth := r.BasicAuth()
	grant := s.keys[key]
	if !hasAuth || grant == nil || grant.info.Sandbox != sandbox {
		s.write(w, respUnauthorized())
		return
	}
	arrived, inWindow, allowed := s.allow(key)
	if !allowed {
		s.count(func(st *Stats) {
			st.Served429++
			st.MaxArrivedInOneSecond = max(st.MaxArrivedInOneSecond, arrived)
		})
		resp := errResp(http.StatusTooManyRequests, "TooManyRequests", "Too many requests for this API key; slow down and retry with exponential backoff")
		if s.seq429.Add(1)%2 == 1 {
			resp.header = http.Header{"Retry-After": {"1"}}
		}
		s.write(w, resp)
		return
	}
	now := time.Now()
	s.count(func(st *Stats) {
		st.MaxInOneSecond = max(st.MaxInOneSecond, inWindow)
		st.MaxArrivedInOneSecond = max(st.MaxArrivedInOneSecond, arrived)
		st.Accepted++
		if st.FirstAccepted.IsZero() {
			st.FirstAccepted = now
		}
		st.LastAccepted = now
		span := st.AcceptedByPath[pattern]
		span.add(now)
		st.AcceptedByPath[pattern] = span
	})

	if s.cfg.Inject != nil && s.injected(w, r, s.cfg.Inject(path, r.URL.Query())) {
		return
	}
	fault := s.fault()
	if fault == faultUnavailable {
		s.count(func(st *Stats) { st.Faults++ })
		s.write(w, errResp(http.StatusServiceUnavailable, "ServiceUnavailable", "Lever is temporarily unavailable; retry with backoff"))
		return
	}
	if fault == faultDrop {
		s.count(func(st *Stats) { st.Faults++ })
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	resp := s.route(r, path, grant)
	if fault == faultTruncate {
		s.count(func(st *Stats) { st.Faults++ })
		s.writeTruncated(w, resp)
		return
	}
	s.write(w, resp)
}

// apiPath strips the API root: "/v1/x" or "/sandbox/v1/x".
func apiPath(p string) (rest string, sandbox, ok bool) {
	switch {
	case strings.HasPrefix(p, "/v1/"):
		return p[len("/v1"):], false, true
	case strings.HasPrefix(p, "/sandbox/v1/"):
		return p[len("/sandbox/v1"):], true, true
	}
	return "", false, false
}

func (s *Server) write(w http.ResponseWriter, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// writeTruncated promises the whole body, sends about half and hangs up.
func (s *Server) writeTruncated(w http.ResponseWriter, resp response) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		s.write(w, resp)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeRawResponse(buf, w.Header(), resp)
	_ = buf.Flush()
}

func writeRawResponse(buf *bufio.ReadWriter, h http.Header, resp response) {
	_, _ = buf.WriteString("HTTP/1.1 " + strconv.Itoa(resp.status) + " " + http.StatusText(resp.status) + "\r\n")
	_, _ = buf.WriteString("Date: " + h.Get("Date") + "\r\n")
	_, _ = buf.WriteString("Content-Type: application/json; charset=utf-8\r\n")
	_, _ = buf.WriteString("Content-Length: " + strconv.Itoa(len(resp.body)) + "\r\n")
	_, _ = buf.WriteString("Connection: close\r\n\r\n")
	_, _ = buf.Write(resp.body[:len(resp.body)/2])
}

// route dispatches an authenticated, rate-limited request.
func (s *Server) route(r *http.Request, path string, g *keyGrant) response {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if perm, ok := permission.ForRequest(r.Method, path); ok {
		if g.missing[perm.Name] {
			return respForbidden()
		}
		if perm.Write {
			// The fake never changes data on a write: any body is "invalid".
			return badRequest("Invalid request body: the fake Lever accepts no writes")
		}
	}
	if r.Method != http.MethodGet {
		return errResp(http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not supported on "+path)
	}
	q, resp, ok := parseQuery(r, path, g)
	if !ok {
		return resp
	}
	switch len(segs) {
	case 1:
		switch segs[0] {
		case "opportunities":
			return s.listOpportunities(q)
		case "postings":
			return s.listPostings(q)
		case "users":
			return s.listUsers(q)
		case "requisitions":
			return s.listRequisitions(q)
		case "stages":
			return s.pageSlice("stages", s.listed("stages", rawAll(s.data.stages), func(k int) string { return s.data.stages[k].ID }), q)
		case "archive_reasons":
			return s.listArchiveReasons(q)
		case "sources":
			src := s.data.sources()
			return s.pageSlice("sources", s.listed("sources", rawAll(src), func(k int) string { return src[k].Text }), q)
		case "tags":
			tags := s.data.tags()
			items := s.listed("tags", rawAll(tags), func(k int) string { return tags[k].Text })
			if s.cfg.MalformedTag && len(items) > 1 {
				items = slices.Insert(items, 1, []byte(`{"text":"","count":1}`))
			}
			return s.pageSlice("tags", items, q)
		}
	case 2:
		if segs[1] == "deleted" {
			switch segs[0] {
			case "opportunities":
				return s.listDeleted("opportunities/deleted", s.oppDel, s.data.oppID, q)
			case "postings":
				return s.listDeleted("postings/deleted", s.postDel, s.data.postingID, q)
			}
			break
		}
		return s.getOne(segs[0], segs[1], q)
	case 3:
		return s.listDetail(segs[1], segs[2], q)
	}
	return errResp(http.StatusNotFound, "ResourceNotFound", "No API route matches "+path)
}

// listed drops from items the ones RemoveFromList took out; key names
// item k.
func (s *Server) listed(resource string, items [][]byte, key func(k int) string) [][]byte {
	out := items[:0:0]
	for k, it := range items {
		if !s.removed.has(resource, key(k)) {
			out = append(out, it)
		}
	}
	return out
}

func rawAll[T any](xs []T) [][]byte {
	out := make([][]byte, len(xs))
	for k, x := range xs {
		out[k] = marshal(x)
	}
	return out
}
