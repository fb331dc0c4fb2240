package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/leversync/leversync/lever"
)

// cyclingLever is the scripted Lever except on one path, whose pages link
// A -> B -> A, as a broken server might: a loop that only compares a token
// with the one just used never ends on it.
type cyclingLever struct {
	*scriptedLever
	path string

	mu    sync.Mutex
	pages int
}

func (c *cyclingLever) ListPage(ctx context.Context, path string, q url.Values, offset string) (lever.Page, error) {
	if path != c.path {
		return c.scriptedLever.ListPage(ctx, path, q, offset)
	}
	c.mu.Lock()
	c.pages++
	n := c.pages
	c.mu.Unlock()
	if n > 20 {
		// Fail rather than hang when the cycle goes unnoticed.
		return lever.Page{}, fmt.Errorf("GET %s: still paging after %d pages", path, n-1)
	}
	next := map[string]string{"": "A", "A": "B", "B": "A"}[offset]
	rec := json.RawMessage(fmt.Sprintf(`{"id":"rec-%d","text":"Record %d"}`, n, n))
	return lever.Page{Data: []json.RawMessage{rec}, HasNext: true, Next: next}, nil
}

func TestSyncStopsOnAPageTokenCycle(t *testing.T) {
	for name, c := range map[string]struct {
		path string
		o    Options
	}{
		"list stream":  {"/stages", Options{}},
		"detail fetch": {"/opportunities/opp-00003/notes", Options{Details: true}},
	} {
		t.Run(name, func(t *testing.T) {
			api := &cyclingLever{scriptedLever: newScriptedLever(), path: c.path}
			api.dataset(20)
			_, err := testEngine(api, newMemSink(), c.o).Run(context.Background(), nil)
			if !errors.Is(err, lever.ErrPaginationLoop) {
				t.Fatalf("Run = %v, want ErrPaginationLoop", err)
			}
			// "", A, B: B's next token A was used two pages earlier.
			if api.pages != 3 {
				t.Errorf("%d pages read from %s, want 3", api.pages, c.path)
			}
		})
	}
}

func TestSyncGivesUpAfterRepeatedInvalidOffsets(t *testing.T) {
	api := newScriptedLever()
	api.dataset(20)
	api.before = func(_ context.Context, c listCall) error {
		if c.Path == "/users" && c.Offset != "" {
			return fmt.Errorf("GET /users: %w", lever.ErrInvalidOffset)
		}
		return nil
	}
	_, err := testEngine(api, newMemSink(), Options{}).Run(context.Background(), nil)
	if !errors.Is(err, lever.ErrInvalidOffset) {
		t.Fatalf("Run = %v, want ErrInvalidOffset once restarts run out", err)
	}
	// Each pass reads the first page and is refused the second.
	if got, want := len(api.callsTo("/users")), 2*(maxOffsetRestarts+1); got != want {
		t.Errorf("%d requests to /users, want %d", got, want)
	}
}

func TestSyncDetailsRestartOnInvalidOffsetAndSkip404(t *testing.T) {
	api := newScriptedLever()
	api.dataset(20)
	const notes = "/opportunities/opp-00004/notes"
	for i := range 25 {
		api.lists[notes] = append(api.lists[notes], map[string]any{"id": fmt.Sprintf("note-%02d", i)})
	}
	var refused bool
	api.before = func(_ context.Context, c listCall) error {
		switch {
		case c.Path == notes && c.Offset != "" && !refused:
			refused = true // one detail fetch at a time asks for this path
			return fmt.Errorf("GET %s: %w", notes, lever.ErrInvalidOffset)
		case c.Path == "/opportunities/opp-00005/interviews":
			return &lever.APIError{Status: 404, Method: "GET", Path: c.Path, Message: "opportunity deleted"}
		}
		return nil
	}
	sink := newMemSink()
	st, err := testEngine(api, sink, Options{Details: true}).Run(context.Background(), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !refused {
		t.Fatal("no page token was refused; the test proves nothing")
	}
	if n := len(api.callsTo(notes)); n != 5 {
		t.Errorf("%d requests for %s, want 5 (two pages, then three from the start)", n, notes)
	}
	// The abandoned pass's notes are not counted twice.
	if got := len(sink.raw(lever.Notes)); got != 25 || st.Totals[lever.Notes] != 25 {
		t.Errorf("stored %d notes, totals %d, want 25", got, st.Totals[lever.Notes])
	}
}
