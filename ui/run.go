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
// With cfg.Accessible it runs the same flow as line-by-line prompts. It
// returns ctx's error when ctx ended the run.
func Run(ctx context.Context, cfg Config) error {
	if cfg.In == nil {
		cfg.In = os.Stdin
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	initial := steps.NewState()
	if cfg.Services != nil {
		s, ok, err := cfg.Services.LoadProgress(ctx)
		if err != nil {
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
		return runAccessible(ctx, cfg, initial, newLinePrompter(cfg.In, cfg.Out))
	}

	m := NewModel(cfg, initial)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(cfg.In), tea.WithOutput(cfg.Out), tea.WithFPS(maxFPS))
	final, err := p.Run()
	if fm, ok := final.(Model); ok {
		fm.cancel()
		fm.waitSync(10 * time.Second)
	}
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("the wizard stopped: %w", err)
	}
	return nil
}

// maxFPS caps the renderer: the screen is written at most ten times a
// second, and its timer is all an idle page wakes for.
const maxFPS = 10

// waitSync lets a running sync stop at its page boundary and close the data
// file before the process exits.
func (m Model) waitSync(limit time.Duration) {
	run := m.sync.run
	if run == nil {
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
