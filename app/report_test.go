package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// Should Lever's or the engine's words ever carry a candidate's data or the
// key into a finding, the bundle still leaves them out.
func TestReportRedactsTheKeyAndPersonalData(t *testing.T) {
	fake := startFake(t)
	db := filepath.Join(t.TempDir(), "leversync.db")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := Start(ctx, SyncJob{Target: Target{Env: lever.Production, BaseURL: fake.URL()}, Key: lever.NewAPIKey(fakelever.KeyFull),
		DBPath: db, Client: lever.Options{Rate: -1}, Sync: syncer.Options{Details: true}})
	if err != nil {
		t.Fatal(err)
	}
	for range run.Events() {
	}
	if _, err := run.Wait(); err != nil {
		t.Fatal(err)
	}

	var opp struct {
		Name   string   `json:"name"`
		Emails []string `json:"emails"`
		Links  []string `json:"links"`
		Phones []struct {
			Value string `json:"value"`
		} `json:"phones"`
	}
	for _, raw := range fake.Expected("opportunities") {
		if err := json.Unmarshal(raw, &opp); err != nil {
			t.Fatal(err)
		}
		if len(opp.Emails) > 0 && len(opp.Phones) > 0 && len(opp.Links) > 0 {
			break
		}
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var note string
	_ = st.Export(lever.Notes, false, func(_ string, raw []byte) error {
		var n struct{ Text string }
		if json.Unmarshal(raw, &n) == nil && len(n.Text) > 20 {
			note = n.Text
			return context.Canceled // one is enough
		}
		return nil
	})
	st.Close()
	if opp.Name == "" || len(opp.Emails) == 0 || len(opp.Phones) == 0 || len(opp.Links) == 0 || note == "" {
		t.Fatalf("the fake's data has no candidate with every kind of personal data: %+v, note %q", opp, note)
	}

	d := NewDoctor(doctorOn(fake, fakelever.KeyFull, db))
	diag := d.Run(ctx, nil)
	basic := base64.StdEncoding.EncodeToString([]byte(fakelever.KeyFull + ":"))
	secrets := []string{fakelever.KeyFull, basic, opp.Name, opp.Emails[0], opp.Phones[0].Value, opp.Links[0], note}
	diag.Findings[0].Evidence = append(diag.Findings[0].Evidence, "Lever said: "+strings.Join(secrets, " | "))

	path := filepath.Join(t.TempDir(), "report.txt")
	if err := d.WriteReport(path, "test", diag); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("the bundle holds %q", s)
		}
	}
	for _, want := range []string{"== Checks", "[pass] Key accepted:", "opportunities: 30 stored", "last finished run: ", "Lever said: [redacted key] | [redacted key] | [redacted]"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the bundle lacks %q", want)
		}
	}
}
