package ui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/steps"
)

func TestRunSetupStartsOverAccessibly(t *testing.T) {
	done := stateAt(steps.StepSync)
	done.Completed = true
	f := &fakeServices{loaded: &done}
	var out bytes.Buffer
	err := Run(context.Background(), Config{Services: f, Setup: true, Accessible: true, In: strings.NewReader("q\n"), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Step 1 of 10: Before you start") {
		t.Fatalf("setup did not start at step 1:\n%s", out.String())
	}
}

// TestRunQuitsOnCtrlCThenY drives Run with raw terminal bytes.
func TestRunQuitsOnCtrlCThenY(t *testing.T) {
	s := stateAt(steps.StepData)
	f := &fakeServices{loaded: &s}
	var out bytes.Buffer
	errc := make(chan error, 1)
	go func() {
		errc <- Run(context.Background(), Config{Services: f, In: strings.NewReader("\x03y"), Out: &out})
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not quit after ctrl+c, y")
	}
	if !strings.Contains(out.String(), "Step 5 of 10") {
		t.Error("Run did not resume at the saved step")
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	r, w := io.Pipe()
	defer w.Close()
	go func() { errc <- Run(ctx, Config{Services: &fakeServices{}, In: r, Out: &bytes.Buffer{}}) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("a cancelled run reported success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
}
