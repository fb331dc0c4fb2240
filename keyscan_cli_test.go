package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever/fakelever"
)

// written is everything the program wrote that a test has collected: each
// output and file, by what it was.
type written map[string][]byte

func (w written) add(what string, b []byte) { w[what] = append(w[what], b...) }

func (w written) run(what string, r result) result {
	w.add(what+": stdout", []byte(r.stdout))
	w.add(what+": stderr", []byte(r.stderr))
	return r
}

// secretForms are the ways a key could be written, by name: as it is, and
// in Base64, alone and as the "key:" of HTTP Basic auth, padded or not.
func secretForms(key string) map[string]string {
	return map[string]string{
		"as it is":                   key,
		"in Base64":                  base64.StdEncoding.EncodeToString([]byte(key)),
		"in unpadded Base64":         base64.RawStdEncoding.EncodeToString([]byte(key)),
		"as Basic auth's key:":       base64.StdEncoding.EncodeToString([]byte(key + ":")),
		"as unpadded Basic auth key": base64.RawStdEncoding.EncodeToString([]byte(key + ":")),
	}
}

// dataFileText is a data file's bytes, free pages included, followed by
// every zstd frame found in them decoded with the file's own dictionaries,
// as the store decodes its values: compressed text is searched too.
func dataFileText(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dicts [][]byte
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("dictionaries")); b != nil {
			return b.ForEach(func(_, v []byte) error { dicts = append(dicts, bytes.Clone(v)); return nil })
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(raw)
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	frames := 0
	for i := 0; ; i += len(magic) {
		j := bytes.Index(raw[i:], magic)
		if j < 0 {
			break
		}
		i += j
		d, err := zstd.NewReader(bytes.NewReader(raw[i:]), zstd.WithDecoderDicts(dicts...), zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(d)
		d.Close()
		if len(text) > 0 {
			frames++
			out = append(out, text...)
		}
	}
	if frames == 0 {
		t.Fatalf("no compressed record in %s: the search would miss compressed text", path)
	}
	return out
}

// readTree adds every regular file under dir to w, data files decoded.
func readTree(t *testing.T, w written, dir string, skip func(path string) bool) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || skip(path) {
			return err
		}
		files++
		if strings.HasSuffix(path, ".db") {
			w.add(path, dataFileText(t, path))
			return nil
		}
		b, err := os.ReadFile(path)
		w.add(path, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestKeyNowhere: the key appears in nothing the program writes, in any
// form: not on stdout or stderr (plain and --json) of login, sync, status,
// export, jobs, doctor and watch, not in the bytes a watcher reads from the
// sync's socket, not in the data file (free pages included, compressed
// values decoded) nor anything else in the data folder (the pid sidecar
// while a sync runs), not in doctor's support bundle, and not in the
// config folder, except in the one place it is kept by design when no
// keyring works: credentials.json, which must be mode 0600. A rejected key
// is searched for too. After logout, no file at all holds it.
func TestKeyNowhere(t *testing.T) {
	key, rejected := fakelever.KeyFull, fakelever.KeySandbox
	srv := startFake(t, fakelever.Config{Seed: 61, Opportunities: 800, Latency: 20 * time.Millisecond, Rate: 10})
	env := isolatedEnv(t)
	home := strings.TrimPrefix(env[0], "HOME=")
	dataDir := filepath.Join(home, "data", "leversync")
	db := filepath.Join(dataDir, "leversync.db")
	credFile := filepath.Join(home, "config", "leversync", "credentials.json")
	withKey := append(append([]string(nil), env...), "LEVER_API_KEY="+key)
	w := written{}
	ok := func(what string, r result) result {
		t.Helper()
		w.run(what, r)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s%s", what, r.code, r.stdout, r.stderr)
		}
		return r
	}

	ok("login", runBin(t, env, key+"\n", "login", "--key-stdin", "--base-url", srv.URL()))

	// A sync with the saved key, followed by watchers and read from the
	// socket while it runs.
	live := startLiveSync(t, env, "sync", "--base-url", srv.URL(), "--json")
	live.waitFirstPage(t)
	sock, err := net.Dial("unix", db+".sock")
	if err != nil {
		t.Fatal(err)
	}
	fromSocket := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(sock); fromSocket <- b }()
	watchers := map[string]*child{"watch --json": startWatch(t, env, "--json"), "watch": startWatch(t, env)}
	if n := readTree(t, w, dataDir, func(p string) bool { return strings.HasSuffix(p, ".db") }); n == 0 {
		t.Fatal("no file beside the data file while the sync runs (the pid sidecar)")
	}
	if _, err := os.Stat(db + ".pid"); err != nil {
		t.Fatalf("the pid sidecar while the sync runs: %v", err)
	}
	w.run("status during the sync", runBin(t, env, "", "status"))
	code, events := live.wait(t)
	if code != 0 {
		t.Fatalf("sync --json: exit %d: %s", code, live.stderr.String())
	}
	asJSON, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	w.add("sync --json: stdout", asJSON)
	w.add("sync --json: stderr", live.stderr.Bytes())
	sock.Close()
	w.add("the watch socket", <-fromSocket)
	for what, c := range watchers {
		if code := c.wait(t); code != 0 {
			t.Fatalf("%s: exit %d: %s", what, code, c.stderr.String())
		}
		w.add(what+": stdout", c.stdout.Bytes())
		w.add(what+": stderr", c.stderr.Bytes())
	}

	// Changes in Lever, then syncs with the key from each source.
	srv.UpdateOpportunities(20)
	srv.DeleteOpportunities(5)
	ok("sync --key-stdin", runBin(t, env, key+"\n", "sync", "--base-url", srv.URL(), "--key-stdin"))
	ok("sync with LEVER_API_KEY --json", runBin(t, withKey, "", "sync", "--base-url", srv.URL(), "--json"))
	if r := w.run("sync with a rejected key", runBin(t, env, rejected+"\n", "sync", "--base-url", srv.URL(), "--key-stdin")); r.code != exitNoKey {
		t.Fatalf("sync with a rejected key: exit %d, want %d", r.code, exitNoKey)
	}
	if r := w.run("login with a rejected key", runBin(t, env, rejected+"\n", "login", "--key-stdin", "--base-url", srv.URL())); r.code != exitNoKey {
		t.Fatalf("login with a rejected key: exit %d, want %d", r.code, exitNoKey)
	}

	ok("status", runBin(t, env, "", "status"))
	ok("status --json --check", runBin(t, env, "", "status", "--json", "--check"))
	ok("export", runBin(t, env, "", "export", "--resource", "opportunities", "--include-deleted"))
	ok("export csv", runBin(t, env, "", "export", "--resource", "opportunities", "--format", "csv"))
	ok("export users", runBin(t, env, "", "export", "--resource", "users"))
	var jobs []struct{ ID string }
	if err := json.Unmarshal([]byte(ok("jobs --json", runBin(t, env, "", "jobs", "--json")).stdout), &jobs); err != nil || len(jobs) == 0 {
		t.Fatalf("jobs --json: %v, %d jobs", err, len(jobs))
	}
	ok("jobs JOB_ID", runBin(t, env, "", "jobs", jobs[0].ID))
	ok("watch --json with no sync", runBin(t, env, "", "watch", "--json"))
	report := filepath.Join(home, "bundle.txt")
	ok("doctor --report", runBin(t, env, "", "doctor", "--base-url", srv.URL(), "--report", report))
	if _, err := os.Stat(report); err != nil {
		t.Fatalf("no support bundle: %v", err)
	}

	// Every file under HOME: the data folder, the config folder, the
	// bundle. The credentials file is where the key lives by design.
	info, err := os.Stat(credFile)
	if err != nil {
		t.Fatalf("no credentials file, although no keyring works here: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o, want 0600: it holds the key", credFile, info.Mode().Perm())
	}
	readTree(t, w, home, func(p string) bool { return p == credFile })
	for _, p := range []string{db, report, filepath.Join(home, "config", "leversync", "settings.json")} {
		if len(w[p]) == 0 {
			t.Fatalf("%s was not read: the search proves little", p)
		}
	}
	assertNowhere := func() {
		t.Helper()
		for what, b := range w {
			for name, k := range map[string]string{"the key": key, "the rejected key": rejected} {
				for form, text := range secretForms(k) {
					if bytes.Contains(b, []byte(text)) {
						t.Errorf("%s holds %s %s", what, name, form)
					}
				}
			}
		}
	}
	assertNowhere()

	// After logout nothing at all may hold it, credentials.json included.
	ok("logout", runBin(t, env, "", "logout"))
	clear(w)
	readTree(t, w, home, func(string) bool { return false })
	assertNowhere()
}
