package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// syncOnce runs one sync of fake into db the way every command does
// (app.Start), and waits for its end.
func syncOnce(t *testing.T, fake *fakelever.Server, db string) {
	t.Helper()
	if err := syncTo(t, fake.URL(), db, syncer.Options{}); err != nil {
		t.Fatal(err)
	}
}

func syncTo(t *testing.T, root, db string, o syncer.Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := app.Start(ctx, app.SyncJob{
		Target: app.Target{Env: lever.Custom, BaseURL: root}, Key: lever.NewAPIKey(fakelever.KeyFull), DBPath: db,
		Client: lever.Options{Rate: -1, MaxRetries: 2, BaseBackoff: time.Millisecond},
		Sync:   o,
	})
	if err != nil {
		return err
	}
	for range run.Events() {
	}
	_, err = run.Wait()
	return err
}

// personalData is the text of the given candidates that names or reaches
// them (name, emails, phones, links), less what a live record of the fake
// also holds (two candidates may share a name): that cannot leave the file.
func personalData(t *testing.T, fake *fakelever.Server, before map[string]json.RawMessage, ids []string) []string {
	t.Helper()
	var live []byte
	for _, r := range []string{"opportunities", "users"} {
		for _, raw := range fake.Expected(r) {
			live = append(live, raw...)
		}
	}
	var out []string
	for _, id := range ids {
		var o struct {
			Name   string
			Emails []string
			Phones []struct{ Value string }
			Links  []string
		}
		if err := json.Unmarshal(before[id], &o); err != nil || len(o.Emails) == 0 {
			t.Fatalf("candidate %s before: %v: %s", id, err, before[id])
		}
		texts := append(append([]string{o.Name}, o.Emails...), o.Links...)
		for _, p := range o.Phones {
			texts = append(texts, p.Value)
		}
		for _, s := range texts {
			if q, _ := json.Marshal(s); !bytes.Contains(live, q) {
				out = append(out, s)
			}
		}
	}
	return out
}

// assertGone fails if the data file, read whole (free pages included) and
// decoded as the store decodes its values, holds any of texts.
func assertGone(t *testing.T, db, what string, texts []string) {
	t.Helper()
	raw := store.FileText(t, db)
	for _, s := range texts {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("after a sync that %s, the file still holds %q", what, s)
		}
	}
}

// TestSyncLeavesNoRemovedPersonalData: after a sync that reads candidates
// anonymized in Lever (a data-protection request), or deleted, none of
// their personal data is left anywhere in the file, free pages included,
// even decompressed. A sync that only moves candidates through stages does
// not rewrite the file.
func TestSyncLeavesNoRemovedPersonalData(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Seed: 51, Opportunities: 400, Rate: -1}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	db := filepath.Join(t.TempDir(), "ls.db")
	syncOnce(t, fake, db)

	before := fake.Expected("opportunities")
	anon := fake.AnonymizeOpportunities(8)
	fake.UpdateOpportunities(8)
	gone := personalData(t, fake, before, anon)
	if len(gone) < len(anon) {
		t.Fatalf("only %d personal texts to look for", len(gone))
	}
	syncOnce(t, fake, db)
	assertGone(t, db, "anonymized candidates", gone)
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	want := fake.Expected("opportunities")
	n := 0
	err = st.Export(lever.Opportunities, false, func(id string, raw []byte) error {
		if string(raw) != string(want[id]) {
			t.Errorf("the copy of %s differs from Lever's", id)
		}
		n++
		return nil
	})
	st.Close()
	if err != nil || n != len(want) {
		t.Fatalf("export: %v, %d of %d candidates", err, n, len(want))
	}

	before = fake.Expected("opportunities")
	deleted := fake.DeleteOpportunities(8)
	gone = personalData(t, fake, before, deleted)
	syncOnce(t, fake, db)
	assertGone(t, db, "deleted candidates", gone)

	// Stage moves drop no personal data: the file is not rewritten.
	was, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	fake.UpdateOpportunities(8)
	syncOnce(t, fake, db)
	now, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(was, now) {
		t.Error("a sync that only moved candidates through stages rewrote the file")
	}
}

// TestFailedSyncStillScrubs: a sync that stored deletions and then failed
// (here: Lever fails every note request, in the details phase that comes
// after the deletions) still leaves none of the deleted candidates' data in
// the file. The account is larger than one transaction of the committer
// (8 pages of 100), so that some records are written after the first
// dictionary and the search also covers compressed ones: with 200, both
// pages often went into the transaction that trained it, and stayed plain.
func TestFailedSyncStillScrubs(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Seed: 52, Opportunities: 1200, Rate: -1}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	target, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	proxy := httputil.NewSingleHostReverseProxy(target)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/notes") {
			http.Error(w, `{"code":"InternalError","message":"down"}`, http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer failing.Close()
	root := failing.URL + "/v1"
	db := filepath.Join(t.TempDir(), "ls.db")
	if err := syncTo(t, root, db, syncer.Options{}); err != nil {
		t.Fatal(err)
	}
	before := fake.Expected("opportunities")
	gone := personalData(t, fake, before, fake.DeleteOpportunities(8))
	if err := syncTo(t, root, db, syncer.Options{Details: true}); err == nil {
		t.Fatal("a sync whose note requests all fail succeeded")
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := st.DeletedCounts()
	st.Close()
	if err != nil || deleted[lever.Opportunities] != 8 {
		t.Fatalf("the failed sync stored %d deletions (%v), want 8 before it failed", deleted[lever.Opportunities], err)
	}
	assertGone(t, db, "deleted candidates and then failed", gone)
}
