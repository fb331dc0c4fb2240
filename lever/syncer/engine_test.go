package syncer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"

	"go.uber.org/goleak"
)

var testNow = time.Date(2026, 11, 28, 1, 0, 2, 0, time.UTC)

func testEngine(l lever.Lister, s Sink, o Options) *Engine {
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	return NewEngine(l, s, o)
}

// collect reads every event until the returned stop is called.
func collectEvents(t *testing.T) (chan Event, func() []Event) {
	t.Helper()
	ch := make(chan Event, 16)
	var evs []Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			evs = append(evs, ev)
		}
	}()
	return ch, func() []Event { close(ch); <-done; return evs }
}

func assertStored(t *testing.T, sink *memSink, want map[lever.Resource]map[string]string) {
	t.Helper()
	for _, res := range lever.ListResources {
		got := sink.raw(res)
		if len(got) != len(want[res]) {
			t.Errorf("%s: stored %d records, want %d", res, len(got), len(want[res]))
		}
		for id, raw := range want[res] {
			if got[id] != raw {
				t.Errorf("%s %s: stored %q, want %q", res, id, got[id], raw)
			}
		}
	}
}

func TestSyncFullStoresEveryRecord(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	want := api.dataset(230)
	sink := newMemSink()
	ch, stop := collectEvents(t)

	st, err := testEngine(api, sink, Options{}).Run(context.Background(), ch)
	evs := stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertStored(t, sink, want)
	if st.Result != ResultOK || st.FinishedAt == 0 {
		t.Errorf("result %q finished %d, want ok and a finish time", st.Result, st.FinishedAt)
	}
	if st.ServerStartedAt != api.serverTime.UnixMilli() {
		t.Errorf("ServerStartedAt = %d, want Lever's clock %d", st.ServerStartedAt, api.serverTime.UnixMilli())
	}
	if st.UpdatedSince != 0 {
		t.Errorf("first sync UpdatedSince = %d, want 0 (unfiltered)", st.UpdatedSince)
	}
	if got := st.Totals[lever.Opportunities]; got != 230 {
		t.Errorf("Totals[opportunities] = %d, want 230", got)
	}
	if sink.current != nil || sink.last == nil || sink.last.ID != st.ID {
		t.Errorf("run not finished in the sink: current %v last %v", sink.current, sink.last)
	}
	for _, c := range api.callsTo("/opportunities") {
		if c.Query.Get("limit") == "1" {
			continue // planning the windows
		}
		if c.Query.Get("updated_at_start") != "" {
			t.Errorf("first sync filtered opportunities on updated_at: %v", c.Query)
		}
		if c.Query.Get("expand") != "applications" || c.Query.Get("confidentiality") != "all" {
			t.Errorf("opportunities asked without expand=applications and confidentiality=all: %v", c.Query)
		}
	}
	if len(sink.records[lever.Opportunities]["opp-00007"].PostingIDs) != 1 {
		t.Errorf("opportunity posting ids not decoded: %+v", sink.records[lever.Opportunities]["opp-00007"])
	}
	types := map[EventType]int{}
	for _, ev := range evs {
		types[ev.Type]++
	}
	for _, typ := range []EventType{EventSyncStarted, EventPhaseStarted, EventPageStored, EventPhaseDone, EventSyncDone} {
		if types[typ] == 0 {
			t.Errorf("no %s event in %v", typ, types)
		}
	}
	if last := evs[len(evs)-1]; last.Type != EventSyncDone || last.Run == nil || last.Run.Result != ResultOK {
		t.Errorf("last event = %+v, want sync_done with the run", last)
	}
}

func TestWindowsFromBoundsCoverWithoutGapsOrOverlaps(t *testing.T) {
	started := testNow.UnixMilli()
	cases := [][]int64{
		nil,
		{1},
		{0, 5, 9},
		{started / 4, started / 2, started * 3 / 4},
		{started - 1},
		{10, 10, 5, 20},            // repeated and decreasing: skipped
		{-5, started, started + 9}, // outside [0, startedAt): skipped
	}
	for _, bounds := range cases {
		ws := windowsFromBounds(bounds, started)
		if ws[0].start != 0 || ws[len(ws)-1].end != started || !ws[len(ws)-1].last {
			t.Errorf("bounds %v: windows %v do not span [0, %d]", bounds, ws, started)
		}
		for i, w := range ws {
			if w.start > w.end {
				t.Errorf("bounds %v: empty window %v", bounds, w)
			}
			if i > 0 && w.start != ws[i-1].end+1 {
				t.Errorf("bounds %v: gap or overlap between %v and %v", bounds, ws[i-1], w)
			}
			if i < len(ws)-1 && w.last {
				t.Errorf("bounds %v: window %d of %d marked last", bounds, i, len(ws))
			}
		}
		// An older version saved the boundaries; a run it left resumes
		// with the same windows.
		saved := make([]string, len(bounds))
		for i, b := range bounds {
			saved[i] = fmt.Sprint(b)
		}
		restored, err := parseWindows(strings.Join(saved, ","), started)
		if err != nil || len(restored) != len(ws) {
			t.Fatalf("bounds %v: restored %d windows (%v), want %d", bounds, len(restored), err, len(ws))
		}
		for i, w := range restored {
			if w.start != ws[i].start || w.end != ws[i].end || w.open != ws[i].last {
				t.Errorf("bounds %v: restored window %d is %+v, want %+v", bounds, i, w, ws[i])
			}
		}
	}
}

func TestDeletionWindowsAreAtMostThirtyDays(t *testing.T) {
	day := int64(24 * 3600 * 1000)
	for _, span := range []int64{0, 1, day, 30*day - 1, 30 * day, 30*day + 1, 95 * day} {
		since := testNow.UnixMilli() - span
		ws := deletionWindows(since, testNow.UnixMilli())
		if ws[0].start != since || ws[len(ws)-1].end != testNow.UnixMilli() {
			t.Errorf("span %d: %v does not cover it", span, ws)
		}
		for i, w := range ws {
			if w.end-w.start >= 30*day || w.end < w.start {
				t.Errorf("span %d: window %v is longer than 30 days or empty", span, w)
			}
			if i > 0 && w.start != ws[i-1].end+1 {
				t.Errorf("span %d: gap or overlap at %v", span, w)
			}
		}
	}
}

// TestSyncFullReadSplitsIntoDisjointWindows: a full read starts with one
// window, without planning requests, and splits it while reading into
// windows whose ranges cover every creation time exactly once; each
// opportunity is counted by exactly one window, and the split costs few
// requests beyond one per page.
func TestSyncFullReadSplitsIntoDisjointWindows(t *testing.T) {
	api := newScriptedLever()
	want := api.dataset(300)
	// Pages that take a moment, as Lever's do: answered at once, one
	// window could read them all before another is scheduled to split it.
	api.before = func(ctx context.Context, c listCall) error {
		if c.Path == "/opportunities" {
			time.Sleep(2 * time.Millisecond)
		}
		return nil
	}
	sink := newMemSink()
	st, err := testEngine(api, sink, Options{}).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertStored(t, sink, want)
	if st.Totals[lever.Opportunities] != 300 {
		t.Errorf("Totals[opportunities] = %d, want 300: a record counted twice or not at all", st.Totals[lever.Opportunities])
	}
	calls := api.callsTo("/opportunities")
	if calls[0].Query.Has("created_at_end") || calls[0].Query.Get("created_at_start") != "0" || calls[0].Query.Get("limit") != "" {
		t.Errorf("first request %v: want the one window over everything, no probe", calls[0].Query)
	}
	// The last list of windows, and each window's range [stopAt, end].
	seen := sink.lastCheckpoints()
	ws, err := parseWindows(seen[windowsStream].Cursor, st.StartedAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) < 3 {
		t.Fatalf("%d windows (%q); want the read split while it went", len(ws), seen[windowsStream].Cursor)
	}
	type span struct{ lo, hi int64 }
	var spans []span
	records := 0
	for _, w := range ws {
		cp, ok := seen[w.name(st.StartedAt)]
		if !ok || !cp.Done {
			t.Errorf("window %s was not read to its end: %+v", w.name(st.StartedAt), cp)
			continue
		}
		lo := w.start
		if cp.Cursor != "" {
			lo, _ = strconv.ParseInt(cp.Cursor, 10, 64)
		}
		hi := w.end
		if w.open {
			hi = math.MaxInt64
		}
		spans = append(spans, span{lo, hi})
		records += cp.Records
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	if spans[0].lo != 0 || spans[len(spans)-1].hi != math.MaxInt64 {
		t.Errorf("windows %v do not reach from 0 to the open end", spans)
	}
	for i := 1; i < len(spans); i++ {
		if spans[i].lo != spans[i-1].hi+1 {
			t.Errorf("gap or overlap between %v and %v", spans[i-1], spans[i])
		}
	}
	if records != 300 {
		t.Errorf("the windows' checkpoints count %d records, want 300", records)
	}
	// One request per page of 10, plus at most about one per window for
	// its last, part-filled page.
	if pages := 300 / 10; len(calls) > pages+len(ws)+2 {
		t.Errorf("%d opportunity requests for %d pages in %d windows", len(calls), pages, len(ws))
	}
}

// lastCheckpoints snapshots the checkpoints seen before the run finished.
func (s *memSink) lastCheckpoints() map[string]Checkpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.seen)
}

func TestSyncResumesFromCheckpoints(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, stopAt := range []int64{1, 3, 9, 17, 30} {
		t.Run(fmt.Sprint(stopAt), func(t *testing.T) {
			api := newScriptedLever()
			want := api.dataset(260)
			sink := newMemSink()
			ctx, cancel := context.WithCancel(context.Background())
			var n atomic.Int64
			api.before = func(_ context.Context, c listCall) error {
				if n.Add(1) == stopAt {
					cancel()
				}
				return nil
			}
			_, err := testEngine(api, sink, Options{Concurrency: 3}).Run(ctx, nil)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled Run = %v, want context.Canceled", err)
			}
			if sink.current == nil || sink.current.Result != ResultInterrupted {
				t.Fatalf("after cancel the run in progress is %+v, want interrupted and kept", sink.current)
			}
			id := sink.current.ID
			saved := maps.Clone(sink.checkpoints)
			firstRunCalls := len(api.calls)

			api.before = nil
			// --full resumes an interrupted full read rather than start over.
			st, err := testEngine(api, sink, Options{Full: true}).Run(context.Background(), nil)
			if err != nil {
				t.Fatalf("resumed Run: %v", err)
			}
			if st.ID != id || st.Details {
				t.Errorf("resumed run %s details=%v, want %s without details", st.ID, st.Details, id)
			}
			assertStored(t, sink, want)
			if st.Totals[lever.Opportunities] != 260 || st.Totals[lever.Users] != 25 {
				t.Errorf("totals after resume = %v, want 260 opportunities and 25 users", st.Totals)
			}
			// Each stream resumed at its saved token; finished ones were not
			// read again.
			api.mu.Lock()
			resumed := api.calls[firstRunCalls:]
			api.mu.Unlock()
			if _, planned := saved[windowsStream]; planned {
				for _, c := range resumed {
					if c.Path == "/opportunities" && c.Query.Get("limit") == "1" {
						t.Errorf("windows planned again on resume: %v", c.Query)
						break
					}
				}
			}
			for name, cp := range saved {
				for _, c := range resumed {
					if !callBelongs(c, name) {
						continue
					}
					if cp.Done {
						t.Errorf("stream %s was done but read again (%v)", name, c)
					} else if c.Offset != cp.Offset {
						t.Errorf("stream %s resumed at %q, want its checkpoint %q", name, c.Offset, cp.Offset)
					}
					break
				}
			}
		})
	}
}

// callBelongs reports whether a request reads the stream of a checkpoint.
func callBelongs(c listCall, name string) bool {
	if c.Query.Get("limit") != "" {
		return false // a probe
	}
	var lo, hi int64
	switch {
	case strings.HasPrefix(name, "opportunities/created/"):
		fmt.Sscanf(name, "opportunities/created/%d-%d", &lo, &hi)
		// Only the newest window, named after the run's start, has no end.
		end := c.Query.Get("created_at_end")
		return c.Path == "/opportunities" && c.Query.Get("created_at_start") == fmt.Sprint(lo) &&
			(end == fmt.Sprint(hi) || end == "" && hi == testNow.UnixMilli())
	case name == "postings/default":
		return c.Path == "/postings" && c.Query.Get("distributionChannel") == ""
	case name == "postings/internal":
		return c.Path == "/postings" && c.Query.Get("distributionChannel") == "internal"
	case strings.Contains(name, "/"):
		return false
	}
	return c.Path == "/"+name
}

func TestSyncRestartsStreamOnInvalidOffset(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	want := api.dataset(200)
	sink := newMemSink()
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	api.before = func(_ context.Context, c listCall) error {
		// Asking for a second page means the first, with its token, is
		// queued for commit.
		if c.Path == "/opportunities" && c.Offset != "" && n.Add(1) == 2 {
			cancel()
		}
		return nil
	}
	if _, err := testEngine(api, sink, Options{}).Run(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	pendingTokens := 0
	for _, cp := range sink.checkpoints {
		if !cp.Done && cp.Offset != "" {
			pendingTokens++
		}
	}
	if pendingTokens == 0 {
		t.Fatal("the interrupted run saved no page token to expire")
	}
	api.before = nil
	api.mu.Lock()
	api.tokenGen++ // every saved token is now stale
	api.mu.Unlock()

	ch, stop := collectEvents(t)
	st, err := testEngine(api, sink, Options{}).Run(context.Background(), ch)
	evs := stop()
	if err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	assertStored(t, sink, want)
	warnings := 0
	for _, ev := range evs {
		if ev.Type == EventWarning && strings.Contains(ev.Message, "first page") {
			warnings++
		}
	}
	if warnings != pendingTokens {
		t.Errorf("%d restart warnings, want one per stale stream (%d)", warnings, pendingTokens)
	}
	if st.Result != ResultOK {
		t.Errorf("result %q, want ok: a restart is handled, not a warning", st.Result)
	}
	if st.Totals[lever.Opportunities] != 200 {
		t.Errorf("Totals[opportunities] = %d after restarts, want 200", st.Totals[lever.Opportunities])
	}
}

func TestSyncPermissionErrorFailsTheRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, path := range []string{"/tags", "/requisitions", "/opportunities", "/postings"} {
		t.Run(path, func(t *testing.T) {
			api := newScriptedLever()
			api.dataset(50)
			api.forbidden[path] = true
			sink := newMemSink()
			ch, stop := collectEvents(t)
			st, err := testEngine(api, sink, Options{}).Run(context.Background(), ch)
			evs := stop()
			var pe *lever.PermissionError
			if !errors.As(err, &pe) || !errors.Is(err, lever.ErrForbidden) {
				t.Fatalf("Run = %v, want a *PermissionError", err)
			}
			if wantPerm := "find all " + strings.Trim(path, "/"); pe.Permission != wantPerm || !strings.Contains(err.Error(), wantPerm) {
				t.Errorf("permission %q in %q, want %q", pe.Permission, err, wantPerm)
			}
			if st.Result != ResultFailed || sink.current == nil || sink.current.Result != ResultFailed || sink.current.Error == "" {
				t.Errorf("run after 403: returned %+v, stored %+v; want failed, kept in progress with the error", st, sink.current)
			}
			if sink.last != nil {
				t.Error("a failed run was recorded as finished")
			}
			if !slices.ContainsFunc(evs, func(ev Event) bool { return ev.Type == EventError }) {
				t.Error("no error event")
			}
		})
	}
}

func TestSyncUnauthorizedFailsTheRun(t *testing.T) {
	api := newScriptedLever()
	api.dataset(10)
	api.before = func(context.Context, listCall) error {
		return &lever.APIError{Status: 401, Method: "GET", Path: "/postings", Message: "A valid API key was not provided"}
	}
	_, err := testEngine(api, newMemSink(), Options{}).Run(context.Background(), nil)
	if !errors.Is(err, lever.ErrUnauthorized) {
		t.Fatalf("Run = %v, want ErrUnauthorized", err)
	}
}

func TestSyncWithoutConfidentialAccessWarns(t *testing.T) {
	api := newScriptedLever()
	want := api.dataset(120)
	api.noConfidential = true
	sink := newMemSink()
	st, err := testEngine(api, sink, Options{}).Run(context.Background(), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Result != ResultWarnings || !slices.Contains(st.Warnings, warnNoConfidential) {
		t.Errorf("result %q warnings %q, want warnings naming confidential data", st.Result, st.Warnings)
	}
	for _, res := range []lever.Resource{lever.Opportunities, lever.Postings, lever.Requisitions} {
		got := sink.raw(res)
		nonConf := 0
		for id, raw := range want[res] {
			if strings.Contains(raw, `"confidentiality":"confidential"`) {
				if _, ok := got[id]; ok {
					t.Errorf("%s %s is confidential but stored", res, id)
				}
				continue
			}
			nonConf++
			if got[id] != raw {
				t.Errorf("%s %s missing or different", res, id)
			}
		}
		if len(got) != nonConf || nonConf == len(want[res]) {
			t.Errorf("%s: stored %d of %d non-confidential (%d in all)", res, len(got), nonConf, len(want[res]))
		}
	}
}

func TestSyncIncrementalReadsOnlyChanges(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	want := api.dataset(400)
	sink := newMemSink()
	first, err := testEngine(api, sink, Options{}).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fullRequests := len(api.callsTo("/opportunities"))

	// Lever's clock moves on a day; three candidates change, two go.
	api.mu.Lock()
	later := api.serverTime.Add(24 * time.Hour)
	api.serverTime = later
	opps := api.lists["/opportunities"]
	changed := map[string]bool{}
	for _, i := range []int{3, 150, 399} {
		opps[i]["updatedAt"] = float64(later.Add(-time.Hour).UnixMilli())
		opps[i]["name"] = "changed"
		changed[opps[i]["id"].(string)] = true
	}
	gone := []string{opps[10]["id"].(string), opps[11]["id"].(string)}
	for _, id := range gone {
		api.lists["/opportunities/deleted"] = append(api.lists["/opportunities/deleted"],
			map[string]any{"id": id, "deletedAt": float64(later.Add(-30 * time.Minute).UnixMilli())})
	}
	api.lists["/opportunities"] = slices.DeleteFunc(opps, func(o map[string]any) bool { return slices.Contains(gone, o["id"].(string)) })
	api.calls = nil
	api.mu.Unlock()

	now := testNow.Add(24 * time.Hour)
	st, err := testEngine(api, sink, Options{Now: func() time.Time { return now }}).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if wantSince := first.ServerStartedAt - defaultOverlap.Milliseconds(); st.UpdatedSince != wantSince {
		t.Errorf("UpdatedSince = %d, want last ServerStartedAt - overlap = %d", st.UpdatedSince, wantSince)
	}
	got := sink.raw(lever.Opportunities)
	if len(got) != 398 {
		t.Errorf("%d opportunities stored, want 398", len(got))
	}
	for _, id := range gone {
		if _, ok := got[id]; ok {
			t.Errorf("deleted %s still stored", id)
		}
		if _, ok := sink.tombstones[lever.Opportunities][id]; !ok {
			t.Errorf("deleted %s has no tombstone", id)
		}
	}
	for id := range changed {
		if !strings.Contains(got[id], `"name":"changed"`) {
			t.Errorf("changed %s not updated: %s", id, got[id])
		}
	}
	if st.Totals[lever.Opportunities] != len(changed) {
		t.Errorf("incremental read %d opportunities, want %d", st.Totals[lever.Opportunities], len(changed))
	}
	incRequests := len(api.callsTo("/opportunities"))
	if incRequests*10 > fullRequests {
		t.Errorf("incremental sync made %d opportunity-list requests, full %d", incRequests, fullRequests)
	}
	for _, c := range api.callsTo("/opportunities/deleted") {
		if c.Query.Get("deleted_at_start") != fmt.Sprint(st.DeletedSince) {
			t.Errorf("deleted list asked from %s, want %d", c.Query.Get("deleted_at_start"), st.DeletedSince)
		}
	}
	// Lever combines updated_at on postings only with confidentiality; the
	// pass for internal-only postings asks without it.
	for _, c := range api.callsTo("/postings") {
		q := maps.Clone(c.Query)
		q.Del("limit")
		q.Del("offset")
		if q.Has("updated_at_start") {
			if len(q) != 2 || q.Get("confidentiality") != "all" {
				t.Errorf("postings asked with updated_at and more than confidentiality: %v", c.Query)
			}
		} else if q.Get("distributionChannel") != "internal" || q.Get("state") != "published" {
			t.Errorf("postings asked whole on an incremental sync: %v", c.Query)
		}
	}
	if len(sink.raw(lever.Postings)) != len(want[lever.Postings]) {
		t.Errorf("%d postings stored, want %d", len(sink.raw(lever.Postings)), len(want[lever.Postings]))
	}
	// A day on, every reference list has aged: each is read again.
	for _, res := range []lever.Resource{lever.Users, lever.Stages, lever.ArchiveReasons, lever.Sources, lever.Tags, lever.Requisitions} {
		if len(api.callsTo("/"+string(res))) == 0 {
			t.Errorf("%s not read again a day after the last read", res)
		}
	}
}

func TestSyncDetailsReplacesEachOpportunitysDetail(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	api.dataset(130)
	for i := range 130 {
		id := fmt.Sprintf("opp-%05d", i)
		for j := range i % 4 {
			api.lists["/opportunities/"+id+"/notes"] = append(api.lists["/opportunities/"+id+"/notes"], map[string]any{"id": fmt.Sprintf("note-%d-%d", i, j)})
		}
		if i%5 == 0 {
			api.lists["/opportunities/"+id+"/offers"] = []map[string]any{{"id": "offer-" + id}}
		}
	}
	sink := newMemSink()
	// A note kept from an earlier sync that Lever no longer has.
	if err := sink.Commit(Batch{Resource: lever.Notes, Upserts: []lever.Record{{ID: "stale", Parent: "opp-00001", Raw: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	st, err := testEngine(api, sink, Options{Details: true}).Run(context.Background(), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	notes := sink.raw(lever.Notes)
	wantNotes := 0
	for i := range 130 {
		wantNotes += i % 4
	}
	if _, ok := notes["stale"]; ok {
		t.Error("a note Lever no longer has was kept")
	}
	if len(notes) != wantNotes || st.Totals[lever.Notes] != wantNotes {
		t.Errorf("stored %d notes, totals %d, want %d", len(notes), st.Totals[lever.Notes], wantNotes)
	}
	if rec := sink.records[lever.Notes]["note-6-1"]; rec.Parent != "opp-00006" {
		t.Errorf("note parent = %q, want opp-00006", rec.Parent)
	}
	if got := len(sink.raw(lever.Offers)); got != 26 || st.Totals[lever.Offers] != 26 {
		t.Errorf("stored %d offers (totals %d), want 26", got, st.Totals[lever.Offers])
	}
	// Confidential opportunities are stored, so their detail is fetched.
	if n := len(api.callsTo("/opportunities/opp-00000/interviews")); n != 1 {
		t.Errorf("interviews of opp-00000 fetched %d times, want 1", n)
	}
}

func TestSyncDetailsResumesAfterTheLastChunk(t *testing.T) {
	api := newScriptedLever()
	api.dataset(250)
	sink := newMemSink()
	ctx, cancel := context.WithCancel(context.Background())
	// Stop once the first chunk of detail is stored: the next chunk's
	// requests are going out by then.
	sink.failCommit = func(bs []Batch) error {
		if slices.ContainsFunc(bs, func(b Batch) bool { return b.Checkpoint.Stream == detailStream }) {
			cancel()
		}
		return nil
	}
	if _, err := testEngine(api, sink, Options{Details: true, Concurrency: 2}).Run(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	sink.failCommit = nil
	// The chunk in flight when the first one was stored may have been
	// stored too.
	cp := sink.checkpoints[detailStream]
	if (cp.Cursor != "opp-00099" && cp.Cursor != "opp-00199") || cp.Done {
		t.Fatalf("details checkpoint %+v, want the cursor at a stored chunk's last id", cp)
	}
	api.before = nil
	api.mu.Lock()
	api.calls = nil
	api.mu.Unlock()
	if _, err := testEngine(api, sink, Options{Details: true}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(api.callsTo("/opportunities/opp-00050/notes")); n != 0 {
		t.Errorf("detail of a committed chunk fetched again %d times", n)
	}
	if n := len(api.callsTo("/opportunities/opp-00249/notes")); n != 1 {
		t.Errorf("detail of opp-00249 fetched %d times on resume, want 1", n)
	}
	for i := range 250 {
		id := fmt.Sprintf("opp-%05d", i)
		want := 0
		if id > cp.Cursor {
			want = 1
		}
		if n := len(api.callsTo("/opportunities/" + id + "/offers")); n != want {
			t.Errorf("offers of %s fetched %d times on resume after %s, want %d", id, n, cp.Cursor, want)
		}
	}
}

func TestSyncCancelIsPrompt(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	api.dataset(300)
	sink := newMemSink()
	ctx, cancel := context.WithCancel(context.Background())
	blocked := make(chan struct{})
	var once sync.Once
	api.before = func(ctx context.Context, c listCall) error {
		if c.Path != "/opportunities" || c.Offset == "" {
			return nil
		}
		// A slow Lever: the request only ends when cancelled.
		once.Do(func() { close(blocked) })
		<-ctx.Done()
		return ctx.Err()
	}
	result := make(chan error, 1)
	go func() {
		_, err := testEngine(api, sink, Options{}).Run(ctx, nil)
		result <- err
	}()
	<-blocked
	cancel()
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
	}
	// Every committed page's records are in the store with its token.
	for name, cp := range sink.checkpoints {
		if strings.HasPrefix(name, windowPrefix) && cp.Records != countInWindow(sink, name, cp) {
			t.Errorf("%s: checkpoint says %d records, store has %d", name, cp.Records, countInWindow(sink, name, cp))
		}
	}
}

// countInWindow counts stored opportunities created in a window stream's
// range: from its lower bound (its start, or where it was split) to its
// end.
func countInWindow(sink *memSink, name string, cp Checkpoint) int {
	var lo, hi int64
	fmt.Sscanf(name, windowPrefix+"%d-%d", &lo, &hi)
	if cp.Cursor != "" {
		lo, _ = strconv.ParseInt(cp.Cursor, 10, 64)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	n := 0
	for _, rec := range sink.records[lever.Opportunities] {
		var o struct{ CreatedAt int64 }
		_ = json.Unmarshal(rec.Raw, &o)
		if o.CreatedAt >= lo && o.CreatedAt <= hi {
			n++
		}
	}
	return n
}

func TestSyncNeverBlocksOnUnreadEvents(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	want := api.dataset(200)
	sink := newMemSink()
	ch := make(chan Event) // unbuffered and never read
	result := make(chan error, 1)
	e := testEngine(api, sink, Options{})
	go func() {
		_, err := e.Run(context.Background(), ch)
		result <- err
	}()
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run blocked on an unread events channel")
	}
	assertStored(t, sink, want)
	e.OnRetry(lever.RetryInfo{Status: 429}) // between runs: dropped, never blocks
}

func TestSyncSlowConsumerLosesNoCounts(t *testing.T) {
	api := newScriptedLever()
	api.dataset(300)
	sink := newMemSink()
	ch := make(chan Event)
	var evs []Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			evs = append(evs, ev)
			time.Sleep(2 * time.Millisecond) // a slow terminal
		}
	}()
	e := testEngine(api, sink, Options{})
	api.before = func(_ context.Context, c listCall) error {
		if c.Path == "/users" {
			e.OnRetry(lever.RetryInfo{Path: "/users", Status: 429, Attempt: 1, Wait: 250 * time.Millisecond})
		}
		return nil
	}
	st, err := e.Run(context.Background(), ch)
	close(ch)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	sum := map[lever.Resource]int{}
	pages := 0
	retries := 0
	for _, ev := range evs {
		switch ev.Type {
		case EventPageStored:
			sum[ev.Resource] += ev.Records
			pages++
		case EventRetry:
			retries++
			if ev.Status != 429 || ev.WaitMS != 250 || ev.Attempt != 1 {
				t.Errorf("retry event %+v", ev)
			}
		}
	}
	for _, res := range lever.ListResources {
		if sum[res] != st.Totals[res] || sum[res] == 0 {
			t.Errorf("%s: page events add up to %d records, want %d", res, sum[res], st.Totals[res])
		}
	}
	if retries == 0 {
		t.Error("no retry event")
	}
	if evs[len(evs)-1].Type != EventSyncDone {
		t.Errorf("last event %s, want sync_done", evs[len(evs)-1].Type)
	}
	t.Logf("%d page events for %d commits", pages, sink.commits)
}

func TestSyncSharesCommitsBetweenStreams(t *testing.T) {
	api := newScriptedLever()
	api.pageSize = 5
	want := api.dataset(300)
	sink := newMemSink()
	sink.commitDelay = 3 * time.Millisecond
	if _, err := testEngine(api, sink, Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	assertStored(t, sink, want)
	if sink.commits >= sink.batches {
		t.Errorf("%d commits for %d pages: queued pages never shared a transaction", sink.commits, sink.batches)
	}
}

func TestSyncStoreFailureFailsAndResumes(t *testing.T) {
	api := newScriptedLever()
	want := api.dataset(200)
	sink := newMemSink()
	var commits atomic.Int64
	diskFull := errors.New("disk full")
	sink.failCommit = func([]Batch) error {
		if commits.Add(1) > 4 {
			return diskFull
		}
		return nil
	}
	_, err := testEngine(api, sink, Options{}).Run(context.Background(), nil)
	if !errors.Is(err, diskFull) {
		t.Fatalf("Run = %v, want the store's error", err)
	}
	sink.failCommit = nil
	if _, err := testEngine(api, sink, Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	assertStored(t, sink, want)
}

func TestRunRefusesAConcurrentRun(t *testing.T) {
	api := newScriptedLever()
	api.dataset(20)
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	api.before = func(context.Context, listCall) error {
		once.Do(func() { close(entered); <-release })
		return nil
	}
	e := testEngine(api, newMemSink(), Options{})
	result := make(chan error, 1)
	go func() { _, err := e.Run(context.Background(), nil); result <- err }()
	<-entered
	if _, err := e.Run(context.Background(), nil); !errors.Is(err, ErrSyncRunning) {
		t.Errorf("second Run = %v, want ErrSyncRunning", err)
	}
	close(release)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

func TestInternalOnly(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"id":"a","state":"published","distributionChannels":["internal"]}`: true,
		`{"id":"f","state":"closed","distributionChannels":["internal"]}`:    false,
		`{"id":"b","distributionChannels":["public","internal"]}`:            false,
		`{"id":"c","distributionChannels":null}`:                             false,
		`{"id":"d"}`:                                                         false,
		`{"id":"e","distributionChannels":["public"]}`:                       false,
	} {
		if got := internalOnly(lever.Record{Raw: []byte(raw)}); got != want {
			t.Errorf("internalOnly(%s) = %v, want %v", raw, got, want)
		}
	}
}

// TestSyncReportsEachPageAsItIsStored: a page's page_stored event arrives
// while its stream reads on, not when the stream next has to wait for a
// commit. Each request for a page of opportunities waits until the page
// two before it has been reported; before the fix the first report came
// only once eight pages were queued, so the sync stalled here.
func TestSyncReportsEachPageAsItIsStored(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	api.dataset(100) // ten pages of ten
	sink := newMemSink()
	var reported atomic.Int64 // the pages of opportunities reported stored
	ch := make(chan Event, 16)
	var evs []Event
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for ev := range ch {
			evs = append(evs, ev)
			if ev.Type == EventPageStored && ev.Phase == string(lever.Opportunities) {
				reported.Add(1)
			}
		}
	}()
	var pages atomic.Int64
	api.before = func(ctx context.Context, c listCall) error {
		if c.Path != "/opportunities" {
			return nil
		}
		n := pages.Add(1) // this request asks for the n-th page
		want := n - 2
		deadline := time.Now().Add(10 * time.Second)
		for reported.Load() < want {
			if time.Now().After(deadline) {
				return fmt.Errorf("page %d asked for while %d pages were reported stored, want %d", n, reported.Load(), want)
			}
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	_, err := testEngine(api, sink, Options{}).Run(context.Background(), ch)
	close(ch)
	<-consumed
	if err != nil {
		t.Fatal(err)
	}
	var totals []int
	for _, ev := range evs {
		if ev.Type == EventPageStored && ev.Phase == string(lever.Opportunities) {
			totals = append(totals, ev.Total)
		}
	}
	if !slices.IsSorted(totals) || len(totals) < 5 || totals[len(totals)-1] != 100 {
		t.Errorf("opportunities reported as %v, want rising page by page to 100", totals)
	}
}

// TestSetDetailsDuringARun: the detail phase can be turned on while the
// lists are read, and off while it runs; the run state records the choice.
func TestSetDetailsDuringARun(t *testing.T) {
	defer goleak.VerifyNone(t)
	t.Run("on", func(t *testing.T) {
		api := newScriptedLever()
		api.dataset(30)
		sink := newMemSink()
		e := testEngine(api, sink, Options{})
		var took atomic.Bool
		api.before = func(_ context.Context, c listCall) error {
			if c.Path == "/users" {
				took.Store(e.SetDetails(true))
			}
			return nil
		}
		st, err := e.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !took.Load() || !st.Details || sink.last == nil || !sink.last.Details {
			t.Fatalf("details turned on while the lists were read: took %v, run %+v", took.Load(), st)
		}
		if n := len(api.callsTo("/opportunities/opp-00029/notes")); n != 1 {
			t.Errorf("notes of the last opportunity fetched %d times, want 1", n)
		}
		if e.SetDetails(false) {
			t.Error("SetDetails took effect with no run in progress")
		}
	})
	t.Run("off", func(t *testing.T) {
		api := newScriptedLever()
		api.dataset(250)
		sink := newMemSink()
		e := testEngine(api, sink, Options{Details: true, Concurrency: 2})
		var turnedOff atomic.Bool
		api.before = func(_ context.Context, c listCall) error {
			if strings.HasSuffix(c.Path, "/notes") && !turnedOff.Load() {
				turnedOff.Store(e.SetDetails(false))
			}
			return nil
		}
		st, err := e.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !turnedOff.Load() || st.Details || st.Result != ResultOK {
			t.Fatalf("details turned off during the phase: run %+v", st)
		}
		// The chunk in progress is stored; the later ones are not read.
		if n := len(api.callsTo("/opportunities/opp-00000/notes")); n != 1 {
			t.Errorf("notes of the first chunk fetched %d times, want 1", n)
		}
		if n := len(api.callsTo("/opportunities/opp-00200/notes")); n != 0 {
			t.Errorf("notes of a later chunk fetched %d times after details were turned off", n)
		}
	})
}

func TestWholeListOnlyAfterACompleteRead(t *testing.T) {
	api := newScriptedLever()
	api.dataset(30)
	sink := newMemSink()
	ctx, cancel := context.WithCancel(context.Background())
	// Stop when the users' second page is asked for: the first is stored
	// with its token, the list is read in part.
	api.before = func(_ context.Context, c listCall) error {
		if c.Path == "/users" && c.Offset != "" {
			cancel()
			return context.Canceled
		}
		return nil
	}
	wholes := recordWholeLists(sink, lever.Users)
	if _, err := testEngine(api, sink, Options{Concurrency: 1}).Run(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	api.before = nil
	if cp := sink.checkpoints["users"]; cp.Offset == "" || cp.Done {
		t.Fatalf("users checkpoint %+v, want a saved token", cp)
	}
	wholes()
	// The resumed run reads users from the saved token: not a whole list.
	if _, err := testEngine(api, sink, Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := wholes(); len(got) != 0 {
		t.Fatalf("a users list read from a saved token was taken as whole (%d keys)", len(got[0].Whole.Keys))
	}
	// The next run reads it from its first page: whole.
	if _, err := testEngine(api, sink, Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := wholes(); len(got) != 1 || len(got[0].Whole.Keys) != 25 || !got[0].Checkpoint.Done {
		t.Fatalf("after a complete read: %d whole lists of users, want one of 25 keys on the last page", len(got))
	}
}

// recordWholeLists keeps the batches committed to sink that carry r's
// whole list; each call of the function it returns hands over those kept
// since the last.
func recordWholeLists(sink *memSink, r lever.Resource) func() []Batch {
	var mu sync.Mutex
	var wholes []Batch
	sink.failCommit = func(bs []Batch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, b := range bs {
			if b.Whole != nil && b.Resource == r {
				wholes = append(wholes, b)
			}
		}
		return nil
	}
	return func() []Batch {
		mu.Lock()
		defer mu.Unlock()
		got := wholes
		wholes = nil
		return got
	}
}

// An incremental sync within listsMaxAge of the last read of the reference
// lists and the internal-only postings reads none of them, unless a changed
// record names an entry a list lacks: then that list alone. Other changed
// postings come from updated_at. A list read again once aged tombstones
// what Lever removed.
func TestSyncIncrementalReadsAListOnlyWhenItAgedOrLacksANamedEntry(t *testing.T) {
	defer goleak.VerifyNone(t)
	api := newScriptedLever()
	api.dataset(200)
	sink := newMemSink()
	now := testNow
	engine := testEngine(api, sink, Options{Now: func() time.Time { return now }})
	if _, err := engine.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// kept and postingsDone are what the last step's events said.
	var kept []string
	postingsDone := 0
	// step moves both clocks on, lets change edit the data, and syncs.
	step := func(by time.Duration, change func(opps, posts []map[string]any)) {
		t.Helper()
		now = now.Add(by)
		api.mu.Lock()
		api.serverTime = api.serverTime.Add(by)
		change(api.lists["/opportunities"], api.lists["/postings"])
		api.calls = nil
		api.mu.Unlock()
		events := make(chan Event, 10000)
		if _, err := engine.Run(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		close(events)
		kept, postingsDone = nil, 0
		for ev := range events {
			switch {
			case ev.Type == EventPhaseKept:
				kept = append(kept, ev.Phase)
				if !strings.HasPrefix(ev.Message, "read ") {
					t.Errorf("phase_kept of %s says %q, not how old the copy is", ev.Phase, ev.Message)
				}
			case ev.Type == EventPhaseDone && ev.Phase == string(lever.Postings):
				postingsDone++
			}
		}
		if postingsDone != 1 {
			t.Errorf("the postings phase ended %d times", postingsDone)
		}
	}
	// read names the held lists the last step read.
	read := func() []string {
		var got []string
		for _, res := range []lever.Resource{lever.Users, lever.Stages, lever.ArchiveReasons, lever.Sources, lever.Tags, lever.Requisitions} {
			if len(api.callsTo("/"+string(res))) > 0 {
				got = append(got, string(res))
			}
		}
		for _, c := range api.callsTo("/postings") {
			if c.Query.Get("distributionChannel") == "internal" {
				return append(got, "internal-only postings")
			}
		}
		return got
	}
	changedAt := func() float64 { return float64(api.serverTime.Add(-time.Minute).UnixMilli()) }
	posting := func(id string) string { return sink.raw(lever.Postings)[id] }
	all := []string{"users", "stages", "archive_reasons", "sources", "tags", "requisitions"}

	// Known entries only: no list is read. The scripted Lever, like
	// Lever perhaps, leaves published internal-only postings out of
	// updated_at.
	step(10*time.Minute, func(opps, posts []map[string]any) {
		opps[5]["updatedAt"], opps[5]["stage"], opps[5]["owner"], opps[5]["tags"] = changedAt(), "stage-3", "user-004", []any{"Go"}
		opps[5]["archived"] = map[string]any{"archivedAt": changedAt(), "reason": "ar-2"}
		opps[5]["sources"] = []any{"Source 3"}
		posts[1]["updatedAt"], posts[1]["text"] = changedAt(), "internal-only, renamed" // published, internal job site only
		posts[3]["updatedAt"], posts[3]["text"], posts[3]["hiringManager"] = changedAt(), "public, renamed", "user-007"
	})
	if got := read(); len(got) != 0 {
		t.Errorf("read %v, want none: every entry named is stored", got)
	}
	if slices.Sort(kept); !slices.Equal(kept, slices.Sorted(slices.Values(all))) {
		t.Errorf("phase_kept for %v, want %v", kept, all)
	}
	if !strings.Contains(posting("post-003"), "renamed") {
		t.Errorf("changed posting post-003 not stored: %s", posting("post-003"))
	}

	// A new stage, a new tag, a new hiring manager, and a new
	// internal-only posting applied to: those lists, and they store them.
	step(10*time.Minute, func(opps, posts []map[string]any) {
		api.lists["/stages"] = append(api.lists["/stages"], map[string]any{"id": "stage-new", "text": "New stage"})
		api.lists["/tags"] = append(api.lists["/tags"], map[string]any{"text": "Rust", "count": float64(1)})
		api.lists["/users"] = append(api.lists["/users"], map[string]any{"id": "user-new", "name": "New user"})
		api.lists["/postings"] = append(api.lists["/postings"], map[string]any{"id": "post-new", "state": "published",
			"distributionChannels": []any{"internal"}, "confidentiality": "non-confidential", "updatedAt": changedAt()})
		opps[7]["updatedAt"], opps[7]["stage"], opps[7]["tags"] = changedAt(), "stage-new", []any{"Rust"}
		opps[7]["applications"] = []any{map[string]any{"posting": "post-new"}}
		posts[7]["updatedAt"], posts[7]["hiringManager"] = changedAt(), map[string]any{"id": "user-new"} // expanded
	})
	if got, want := read(), []string{"users", "stages", "tags", "internal-only postings"}; !slices.Equal(got, want) {
		t.Errorf("read %v, want %v: the lists lacking what a change names", got, want)
	}
	if slices.Sort(kept); !slices.Equal(kept, []string{"archive_reasons", "requisitions", "sources"}) {
		t.Errorf("phase_kept for %v, want archive_reasons, requisitions and sources", kept)
	}
	for res, key := range map[lever.Resource]string{lever.Stages: "stage-new", lever.Users: "user-new", lever.Tags: "Rust"} {
		if _, ok := sink.raw(res)[key]; !ok {
			t.Errorf("the new %s entry %s was not stored", res, key)
		}
	}
	if posting("post-new") == "" || !strings.Contains(posting("post-001"), "renamed") {
		t.Errorf("the internal-only postings read did not store post-new (%q) and the renamed post-001 (%s)", posting("post-new"), posting("post-001"))
	}

	// Past listsMaxAge since the first run, the lists not read since have
	// aged; the others were read 50 minutes ago. What Lever removed from
	// them meanwhile leaves the copy.
	step(50*time.Minute, func([]map[string]any, []map[string]any) {
		api.lists["/sources"] = slices.DeleteFunc(api.lists["/sources"], func(r map[string]any) bool { return r["text"] == "Source 2" })
		api.lists["/archive_reasons"] = slices.DeleteFunc(api.lists["/archive_reasons"], func(r map[string]any) bool { return r["id"] == "ar-1" })
	})
	if got, want := read(), []string{"archive_reasons", "sources", "requisitions"}; !slices.Equal(got, want) {
		t.Errorf("read %v, want %v: the lists read over an hour ago", got, want)
	}
	for res, key := range map[lever.Resource]string{lever.Sources: "Source 2", lever.ArchiveReasons: "ar-1"} {
		if _, ok := sink.raw(res)[key]; ok {
			t.Errorf("%s %s, removed in Lever, is still stored after the aged list was read", res, key)
		}
	}

	// A clock set back (it was ahead when a list was read) does not keep
	// a list unread.
	now = now.Add(-3 * time.Hour)
	step(time.Minute, func([]map[string]any, []map[string]any) {})
	if got := read(); !slices.Equal(got, append(slices.Clone(all), "internal-only postings")) {
		t.Errorf("read %v after the clock went back, want every list", got)
	}
}

// runRecorder is a memSink that keeps every RunState it was given to
// update, with a copy of its listedAt as it was then.
type runRecorder struct {
	*memSink
	mu     sync.Mutex
	states []RunState
	listed []map[lever.Resource]int64
}

func (s *runRecorder) UpdateRun(r RunState) error {
	s.mu.Lock()
	s.states = append(s.states, r)
	s.listed = append(s.listed, maps.Clone(r.ListedAt))
	s.mu.Unlock()
	return s.memSink.UpdateRun(r)
}

// A RunState the run hands out (to the sink, in events) is never changed
// by the run afterwards: the sink may still be writing it out. A list read
// whole records its time in a new listedAt, not in the one handed out.
func TestSyncNeverChangesARunStateItHandedOut(t *testing.T) {
	api := newScriptedLever()
	api.dataset(120)
	sink := &runRecorder{memSink: newMemSink()}
	now := testNow
	engine := testEngine(api, sink, Options{Now: func() time.Time { return now }})
	if _, err := engine.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// Two hours on, every list has aged: the incremental run hands out
	// the old listedAt (with Lever's clock, at its first answer), then
	// reads every list again.
	now = now.Add(2 * time.Hour)
	api.mu.Lock()
	api.serverTime = api.serverTime.Add(2 * time.Hour)
	api.mu.Unlock()
	sink.mu.Lock()
	sink.states, sink.listed = nil, nil
	sink.mu.Unlock()
	if _, err := engine.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	handedOut := 0
	for i, st := range sink.states {
		if len(sink.listed[i]) > 0 {
			handedOut++
		}
		if !maps.Equal(st.ListedAt, sink.listed[i]) {
			t.Errorf("update %d: listedAt was %v when handed out, %v since", i+1, sink.listed[i], st.ListedAt)
		}
	}
	if handedOut == 0 {
		t.Fatal("no RunState with a listedAt was handed out: the test proves nothing")
	}
}

// The same for a record skipped after a copy of the run state, with
// records skipped before, was handed out (as the first answer, or the
// dashboard's d key, hands one out).
func TestSkipNeverChangesARunStateHandedOut(t *testing.T) {
	sink := newMemSink()
	r := &run{e: testEngine(newScriptedLever(), sink, Options{}), counts: map[string]*streamCount{},
		st: RunState{ID: "resumed", Skipped: map[lever.Resource]int{lever.Tags: 1}}}
	r.pump = newEventPump(nil, r.e.opts.Now, func() int64 { return 0 })
	defer r.pump.close()
	if err := sink.StartRun(r.st); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	handed := r.st
	r.mu.Unlock()
	r.skip(lever.Tags, 1, json.RawMessage(`{"text":""}`), "", errors.New("no id"))
	if handed.Skipped[lever.Tags] != 1 {
		t.Errorf("the handed-out state now counts %d skipped tags, want the 1 it had", handed.Skipped[lever.Tags])
	}
	if got := r.state().Skipped[lever.Tags]; got != 2 {
		t.Errorf("the run counts %d skipped tags, want 2", got)
	}
}

// TestWholeListNotAfterASkippedRecord: a complete read of a reference list
// that had to skip a record it could not read is not taken as the whole
// list (what it skipped would be tombstoned); once the record reads, it is.
func TestWholeListNotAfterASkippedRecord(t *testing.T) {
	api := newScriptedLever()
	api.dataset(30)
	api.mu.Lock()
	api.lists["/users"] = append(api.lists["/users"], map[string]any{"name": "a user without an id"})
	api.mu.Unlock()
	sink := newMemSink()
	wholes := recordWholeLists(sink, lever.Users)
	if _, err := testEngine(api, sink, Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := wholes(); len(got) != 0 {
		t.Fatalf("a users list read with a record skipped was taken as whole (%d keys)", len(got[0].Whole.Keys))
	}
	api.mu.Lock()
	api.lists["/users"] = api.lists["/users"][:len(api.lists["/users"])-1]
	api.mu.Unlock()
	if _, err := testEngine(api, sink, Options{Full: true}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := wholes(); len(got) != 1 || len(got[0].Whole.Keys) != 25 {
		t.Fatalf("after a read with nothing skipped: %d whole lists of users, want one of 25 keys", len(got))
	}
}
