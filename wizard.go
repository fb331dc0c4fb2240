package main

import (
	"context"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/ui"
)

// runWizard runs the set-up wizard (ui) on the services of steps.
func (a *cli) runWizard(ctx context.Context, job wizardJob) error {
	cfg := app.ServicesConfig{DBPath: job.dbPath}
	if job.demo != nil {
		cfg.Demo = true
		cfg.DemoKey = lever.NewAPIKey(fakelever.KeyFull)
		cfg.BaseURLs = map[lever.Environment]string{
			lever.Production: job.demo.URL(),
			lever.Sandbox:    job.demo.SandboxURL(),
			lever.EU:         job.demo.URL(),
		}
	} else {
		cfg.Config = a.config
		if job.flags.baseURL != "" {
			u, err := lever.NormalizeBaseURL(job.flags.baseURL)
			if err != nil {
				return usageError{err}
			}
			cfg.BaseURLs = map[lever.Environment]string{lever.Production: u, lever.Sandbox: u, lever.EU: u}
		}
	}
	svc := app.NewServices(cfg)
	uiCfg := ui.Config{Services: svc, Accessible: job.accessible, Setup: job.flags.restart, In: a.stdin, Out: a.stdout}
	// Another process syncing the same file holds it: show its sync.
	uiCfg.Attach = func(ctx context.Context) (ui.Watched, error) {
		w, err := app.Attach(ctx, job.dbPath)
		if err != nil {
			return nil, err
		}
		return app.WatchedSync{Watch: w}, nil
	}
	if job.demo != nil {
		uiCfg.Demo = true
		uiCfg.DemoKey = fakelever.KeyFull
	}
	return ui.Run(ctx, uiCfg)
}
