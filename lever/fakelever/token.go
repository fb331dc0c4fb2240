package fakelever

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// pageToken is the position after the last record of a page: the sort key
// and id of that record, not a numeric offset, so records deleted or updated
// between pages shift nothing.
type pageToken struct {
	key    int64
	id     string
	issued int64 // ms, for TokenMaxAge
}

// encodeToken renders a token the way Lever does today: a URL-encoded JSON
// array, here [1, sortKey, "id", issuedMs, "signature"].
func (s *Server) encodeToken(scope string, key int64, id string) string {
	issued := s.cfg.Now().UnixMilli()
	arr := []any{1, key, id, issued, s.sign(scope, key, id, issued)}
	b, _ := json.Marshal(arr)
	return url.QueryEscape(string(b))
}

func (s *Server) sign(scope string, key int64, id string, issued int64) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(scope + "|" + strconv.FormatInt(key, 10) + "|" + id + "|" + strconv.FormatInt(issued, 10) + "|" + strconv.FormatInt(s.epoch.Load(), 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:22]
}

const invalidToken = "Invalid offset token"

// decodeToken accepts the token raw (as Lever sent it) or URL-decoded once
// more, and rejects anything this server did not issue for scope or that is
// older than TokenMaxAge.
func (s *Server) decodeToken(scope, raw string) (*pageToken, response, bool) {
	bad := func(why string) (*pageToken, response, bool) {
		return nil, badRequest(invalidToken + ": " + why + "; start again from the first page"), false
	}
	t := raw
	for range 2 {
		if !strings.HasPrefix(t, "%") {
			break
		}
		u, err := url.QueryUnescape(t)
		if err != nil {
			return bad("the token is not URL-encoded JSON")
		}
		t = u
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(t), &arr); err != nil || len(arr) != 5 {
		return bad("the token was not issued by this API")
	}
	var (
		ver         int
		tok         pageToken
		sig         string
		errs        [5]error
		versionSeen = string(arr[0])
	)
	errs[0] = json.Unmarshal(arr[0], &ver)
	errs[1] = json.Unmarshal(arr[1], &tok.key)
	errs[2] = json.Unmarshal(arr[2], &tok.id)
	errs[3] = json.Unmarshal(arr[3], &tok.issued)
	errs[4] = json.Unmarshal(arr[4], &sig)
	for _, err := range errs {
		if err != nil {
			return bad("the token was not issued by this API")
		}
	}
	if versionSeen != "1" || !hmac.Equal([]byte(sig), []byte(s.sign(scope, tok.key, tok.id, tok.issued))) {
		return bad("the token was not issued by this API for this list")
	}
	if age := s.cfg.Now().UnixMilli() - tok.issued; age > s.cfg.TokenMaxAge.Milliseconds() {
		return bad("the token has expired")
	}
	return &tok, response{}, true
}
