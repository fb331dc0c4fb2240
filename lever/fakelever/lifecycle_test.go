package fakelever

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFaultsAtConfiguredFraction(t *testing.T) {
	t.Parallel()
	const n, fraction = 600, 0.3
	s, _ := start(t, Config{Seed: 21, Opportunities: 50, Rate: -1, Faults: fraction})
	tr := &http.Transport{DisableKeepAlives: true} // no silent retry of a dropped reused connection
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var unavailable, dropped, truncated int
	for range n {
		req, _ := http.NewRequest("GET", s.URL()+"/opportunities?limit=5", nil)
		req.SetBasicAuth(KeyFull, "")
		resp, err := c.Do(req)
		if err != nil {
			dropped++
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("truncated body error %v", err)
			}
			truncated++
		case resp.StatusCode == 503:
			var e apiError
			if json.Unmarshal(body, &e) != nil || e.Code == "" {
				t.Errorf("503 body %s", body)
			}
			unavailable++
		case resp.StatusCode != 200 || !json.Valid(body):
			t.Fatalf("status %d body %.80s", resp.StatusCode, body)
		}
	}
	st := s.Stats()
	got := unavailable + dropped + truncated
	if int64(got) != st.Faults || st.Requests != n {
		t.Errorf("observed %d faults, server counted %d of %d requests", got, st.Faults, st.Requests)
	}
	if f := float64(got) / n; f < fraction-0.08 || f > fraction+0.08 {
		t.Errorf("fault fraction %.3f, want about %.2f", f, fraction)
	}
	for name, k := range map[string]int{"503": unavailable, "dropped": dropped, "truncated": truncated} {
		if k < got/6 {
			t.Errorf("%s: %d of %d faults; want roughly a third each", name, k, got)
		}
	}
}

func TestNoFaultsByDefault(t *testing.T) {
	s, c := start(t, Config{Seed: 21, Opportunities: 50, Rate: -1})
	for range 100 {
		get(t, c, s.URL(), KeyFull, "/opportunities", "limit=5").envelope(t)
	}
	if s.Stats().Faults != 0 {
		t.Fatal("faults without Config.Faults")
	}
}

func TestCloseIsPromptAndLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := Start(Config{Seed: 1, Opportunities: 10, Latency: time.Hour}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", s.URL()+"/stages", nil)
		req.SetBasicAuth(KeyFull, "")
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Stats().Requests == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5 s of a request waiting on latency")
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("the in-flight request succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight request did not end after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestLatencyIsAdded(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 10, Rate: -1, Latency: 150 * time.Millisecond})
	t0 := time.Now()
	get(t, c, s.URL(), KeyFull, "/stages", "").envelope(t)
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Fatalf("response after %v, before the configured latency", d)
	}
}

func TestStartRefusesBusyAddress(t *testing.T) {
	s, _ := start(t, Config{Opportunities: 10})
	addr := s.URL()[len("http://") : len(s.URL())-len("/v1")]
	if _, err := Start(Config{}, addr); err == nil {
		t.Fatal("Start on a busy address succeeded")
	}
}
