package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/leversync/leversync/lever/fakelever"
)

// TestSoakFaultsAndKills syncs against a fake failing 5% of its requests
// (503s, resets, truncated bodies) while Lever changes, killing the
// process (SIGKILL) every few seconds, with and without --details; then
// syncs to the end. The file passes `status --check` and holds the fake's
// exact dataset. It lasts about 20 s; LEVERSYNC_SOAK=10m (any duration)
// runs it longer.
func TestSoakFaultsAndKills(t *testing.T) {
	length := 20 * time.Second
	if v := os.Getenv("LEVERSYNC_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("LEVERSYNC_SOAK=%q: give a duration such as 10m", v)
		}
		length = d
	}
	srv := startFake(t, fakelever.Config{Seed: 31, Opportunities: 2000, Faults: 0.05})
	env := keyEnv(t, fakelever.KeyFull)
	db := filepath.Join(t.TempDir(), "soak.db")
	rng := rand.New(rand.NewPCG(31, 1))
	end := time.Now().Add(length)
	kills, finished := 0, 0
	for round := 0; time.Now().Before(end); round++ {
		// An incremental run reads a few pages and ends before any kill:
		// full reads and detail phases are what get killed.
		args := syncArgs(srv, db)
		switch round % 3 {
		case 0:
			args = append(args, "--full")
		case 2:
			args = append(args, "--details")
		}
		cmd := exec.Command(binPath, args...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(time.Duration(50+rng.IntN(1000))*time.Millisecond, func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		})
		err := cmd.Wait()
		timer.Stop()
		switch code := cmd.ProcessState.ExitCode(); {
		case code == 0:
			finished++
		case code == -1 || code == exitUnavailable:
			// Killed, or a fault outlasted the retries: the next run
			// resumes.
			kills++
		default:
			t.Fatalf("round %d: exit %d (%v)", round, code, err)
		}
		if round%4 == 3 {
			srv.UpdateOpportunities(30)
			srv.DeleteOpportunities(5)
			srv.RemoveFromList("tags", 1)
		}
	}
	// Sync to the end, twice: the first may finish a run that read some
	// lists before Lever last changed; the second, a full read, reads
	// every list from then on (an incremental one reads a list again
	// only once it is an hour old). Faults may still outlast the retries
	// now and then.
	for pass := range 2 {
		ok := false
		for try := 0; try < 10 && !ok; try++ {
			args := syncArgs(srv, db)
			if pass == 1 {
				args = append(args, "--full")
			}
			res := runBin(t, env, "", args...)
			switch res.code {
			case 0:
				ok = true
			case exitUnavailable:
			default:
				t.Fatalf("final sync %d: exit %d: %s", pass+1, res.code, res.stderr)
			}
		}
		if !ok {
			t.Fatalf("final sync %d: none finished in 10 tries at 5%% faults", pass+1)
		}
	}
	if res := runBin(t, env, "", "status", "--check", "--db", db); res.code != 0 {
		t.Fatalf("status --check: exit %d: %s", res.code, res.stderr)
	}
	assertExact(t, srv, db)
	t.Logf("%d runs killed or stopped, %d finished, then exact", kills, finished)
	if kills == 0 {
		t.Error("no run was killed: the soak proved nothing")
	}
}
