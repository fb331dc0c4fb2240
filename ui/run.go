package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/steps"
)

// Run runs the wizard until the user quits, resuming saved progress (a
// completed setup opens on the Jobs page with a sync running; cfg.Setup
// starts again at step 1).
// With cfg.Accessible it runs the same flow as line-by-line prompts. When
// another process is syncing the data file (it holds the file), Run shows
// that sync live instead, through cfg.Attach, and reads the file once the
// sync frees it. It returns ctx's error when ctx ended the run.
func Run(ctx context.Context, cfg Config) error {
	cfg = withStreams(cfg)
	followable := cfg.Attach != nil && !cfg.Setup && !cfg.Accessible
	if followable {
		if w, err := cfg.Attach(ctx); err == nil {
			return runFollowing(ctx, cfg, w)
		}
	}
	initial := steps.NewState()
	if cfg.Services != nil {
		s, ok, err := cfg.Services.LoadProgress(ctx)
		if err != nil {
			// A sync that started since holds the file.
			if followable {
				if w, aerr := cfg.Attach(ctx); aerr == nil {
					return runFollowing(ctx, cfg, w)
				}
			}
			return fmt.Errorf("reading the saved setup progress: %w", err)
		}
		if ok {
			initial = s
		}
	}
	if cfg.Setup {
		initial = steps.StartOver(initial)
	}
	if cfg.Accessible {
		return runAccessible(ctx, cfg, initial, newLinePrompter(ctx, cfg.In, cfg.Out))
	}
	_, err := runProgram(ctx, cfg, NewModel(cfg, initial))
	return err
}

// runFollowing runs the program on another process's sync, and says when
// the user left it running.
func runFollowing(ctx context.Context, cfg Config, w Watched) error {
	fm, err := runProgram(ctx, cfg, newFollowingModel(cfg, w, false))
	if err == nil && fm != nil && fm.sync.following() {
		fmt.Fprintln(cfg.Out, "Stopped watching; the sync goes on.")
	}
	return err
}

func withStreams(cfg Config) Config {
	if cfg.In == nil {
		cfg.In = os.Stdin
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	return cfg
}

// runProgram runs m until the user quits, then lets its background work
// end. It returns the final model, nil if there is none.
func runProgram(ctx context.Context, cfg Config, m Model) (*Model, error) {
	return finishProgram(ctx, newProgram(ctx, cfg, m))
}

func newProgram(ctx context.Context, cfg Config, m Model) *tea.Program {
	return tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(cfg.In), tea.WithOutput(cfg.Out), tea.WithFPS(maxFPS))
}

// finishProgram runs p until the user quits, then lets its background work
// end.
func finishProgram(ctx context.Context, p *tea.Program) (*Model, error) {
	final, err := p.Run()
	fm, ok := final.(Model)
	if ok {
		fm.release(10 * time.Second)
	}
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("the terminal interface stopped: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return &fm, nil
}

// maxFPS caps the renderer: the screen is written at most ten times a
// second, and its timer is all an idle page wakes for.
const maxFPS = 10

// release ends the background work before the process exits: a sync of
// this process stops at its page boundary and closes the data file, within
// limit; a watch of another process's sync disconnects, and that sync goes
// on.
func (m Model) release(limit time.Duration) {
	m.cancel()
	run := m.sync.run
	if run == nil {
		return
	}
	if w, ok := run.(Watched); ok {
		_ = w.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = run.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}
