package fakelever

import (
	"net/url"
	"testing"
	"time"
)

// FuzzOffsetToken: any offset either fails as "Invalid offset token" or is
// one this server issued; it never panics.
func FuzzOffsetToken(f *testing.F) {
	s := New(Config{Seed: 1, Opportunities: 10, Now: func() time.Time { return time.UnixMilli(1_760_000_000_000) }})
	good := s.encodeToken("opportunities", 123, "abc")
	f.Add(good)
	f.Add(url.QueryEscape(good))
	f.Add("%5B1%2C1750233409740%2C%2248dd4e94%22%5D")
	f.Add("0.1414895548650.a6070140-33db-407c-91f5-2760e15c8e94")
	f.Add("%%%")
	f.Add(`[1,2,"x",3,"y"]`)
	f.Fuzz(func(t *testing.T, raw string) {
		tok, resp, ok := s.decodeToken("opportunities", raw)
		if ok {
			if tok == nil || tok.key != 123 || tok.id != "abc" {
				t.Fatalf("accepted %q as %+v", raw, tok)
			}
			return
		}
		if resp.status != 400 {
			t.Fatalf("rejected %q with %d", raw, resp.status)
		}
	})
}
