package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/store"
)

// TestFullReadLeavesTheFilePacked: a sync that read everything (the
// first) packs the file's pages, which the same records as written leave
// about two-thirds full, and holds exactly the same data; a later
// incremental sync does not rewrite it.
func TestFullReadLeavesTheFilePacked(t *testing.T) {
	fake, err := fakelever.Start(fakelever.Config{Seed: 41, Opportunities: 3000, Rate: -1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := t.TempDir()
	packed, written := filepath.Join(dir, "packed.db"), filepath.Join(dir, "written.db")
	syncOnce(t, fake, packed)

	// The same records as the engine writes them, without the wiring.
	client, err := lever.NewClient(lever.Options{BaseURL: fake.URL(), Key: lever.NewAPIKey(fakelever.KeyFull), Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(written, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.NewEngine(client, st, syncer.Options{}).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	p, w := store.OpportunityPagesFill(t, packed), store.OpportunityPagesFill(t, written)
	if p < 0.8 || w > 0.75 {
		t.Errorf("the opportunities' pages are %.2f full in the synced file, %.2f as written: not packed", p, w)
	}
	a, b := exportAll(t, packed), exportAll(t, written)
	if !bytes.Equal(a, b) {
		t.Errorf("the packed file exports %d bytes, the written one %d: not the same data", len(a), len(b))
	}

	size := func(path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	fake.UpdateOpportunities(30)
	before := size(packed)
	syncOnce(t, fake, packed)
	if after := size(packed); after < before {
		t.Errorf("an incremental sync rewrote the file: %d bytes, then %d", before, after)
	}
}

// exportAll is every live and deleted record of the file at path, each
// resource in turn, as export writes them; the store's check passes.
func exportAll(t *testing.T, path string) []byte {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out bytes.Buffer
	for _, r := range lever.AllResources {
		if err := st.Export(r, true, func(id string, v []byte) error {
			out.WriteString(string(r) + " " + id + " ")
			out.Write(v)
			out.WriteByte('\n')
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}
