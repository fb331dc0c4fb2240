package fakelever

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkPageOpportunities pages through a million opportunities (expand
// applications, every confidentiality) by calling the handler directly, and
// reports records generated per second.
//
//	go test -run '^$' -bench PageOpportunities -benchtime 2000x ./lever/fakelever
func BenchmarkPageOpportunities(b *testing.B) {
	s := New(Config{Seed: 1, Opportunities: 1_000_000, Rate: -1})
	records := 0
	offset := ""
	b.ReportAllocs()
	for b.Loop() {
		q := url.Values{"confidentiality": {"all"}, "expand": {"applications"}}
		if offset != "" {
			q.Set("offset", offset)
		}
		req := httptest.NewRequest("GET", "/v1/opportunities?"+q.Encode(), nil)
		req.SetBasicAuth(KeyFull, "")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		// Read only the envelope's tail, so the figure is the server's cost.
		body := w.Body.Bytes()
		cut := bytes.LastIndex(body, []byte(`],"hasNext":`))
		var e struct {
			HasNext bool
			Next    string
		}
		if cut < 0 || json.Unmarshal(append([]byte("{"), body[cut+2:]...), &e) != nil {
			b.Fatalf("bad envelope tail: %.200s", body[max(cut, 0):])
		}
		records += 100
		if offset = e.Next; !e.HasNext {
			offset = ""
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
