package steps

import (
	"context"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
)

// Services is everything the wizard needs from the outside world: the
// network, the credential store and the data file. Front ends call it only
// from background work (a tea.Cmd), never while drawing.
type Services interface {
	// LoadProgress returns the saved wizard state; ok is false when there
	// is none (or it was unreadable, which starts the wizard over).
	LoadProgress(ctx context.Context) (s State, ok bool, err error)
	// SaveProgress saves the state so a restart resumes at its step.
	SaveProgress(ctx context.Context, s State) error
	// Connect verifies key against the environment s chose, then checks
	// every permission RequiredPermissions(s) names and, if s wants it,
	// confidential access. It sends each finished check on checks as it
	// arrives (never blocking once ctx is done) and returns the report.
	// When the key is rejected it tries the other hosted environment, to
	// tell "this key belongs to Sandbox".
	Connect(ctx context.Context, s State, key lever.APIKey, checks chan<- Check) ConnectReport
	// SaveKey keeps the key for later runs, one per environment, and says
	// where it went in words for the user, to follow "Key ": "saved in the
	// system keyring ...", "saved in <file> ...", or "not saved: ...". The
	// demo saves nothing.
	SaveKey(ctx context.Context, env lever.Environment, key lever.APIKey) (where string, err error)
	// StartSync starts a sync of the environment s chose in the background.
	// A zero key means the saved one (or the demo key).
	StartSync(ctx context.Context, s State, key lever.APIKey) (SyncRun, error)
}

// SyncRun is a sync running in the background.
type SyncRun interface {
	// Events delivers the engine's progress; it is closed when the run ends.
	Events() <-chan syncer.Event
	// Wait blocks until the run ends and returns how it ended.
	Wait() (syncer.RunState, error)
}
