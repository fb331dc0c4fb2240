package main

import (
	"context"
	"errors"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/fakelever"
	"github.com/leversync/leversync/steps"
	"github.com/leversync/leversync/store"
	"github.com/leversync/leversync/ui"
)

// runWizard runs the set-up wizard (ui) on the services of steps.
func (a *cli) runWizard(ctx context.Context, job wizardJob) error {
	svc, attach, err := a.wizardServices(job, job.dbPath, a.config)
	if err != nil {
		return err
	}
	uiCfg := ui.Config{Services: svc, Attach: attach, Accessible: job.accessible, Setup: job.flags.restart, In: a.stdin, Out: a.stdout}
	if job.demo != nil {
		uiCfg.Demo = true
		uiCfg.DemoKey = fakelever.KeyFull
	} else {
		uiCfg.Profiles = a.profileHooks(job)
	}
	return ui.Run(ctx, uiCfg)
}

// wizardServices are the wizard's services over the data file dbPath with
// the keys and settings of cfg, and the way to follow another process's
// sync of that file.
func (a *cli) wizardServices(job wizardJob, dbPath string, conf app.Config) (steps.Services, func(context.Context) (ui.Watched, error), error) {
	cfg := app.ServicesConfig{DBPath: dbPath}
	if job.demo != nil {
		cfg.Demo = true
		cfg.DemoKey = lever.NewAPIKey(fakelever.KeyFull)
		cfg.BaseURLs = map[lever.Environment]string{
			lever.Production: job.demo.URL(),
			lever.Sandbox:    job.demo.SandboxURL(),
			lever.EU:         job.demo.URL(),
		}
	} else {
		cfg.Config = conf
		if job.flags.baseURL != "" {
			u, err := lever.NormalizeBaseURL(job.flags.baseURL)
			if err != nil {
				return nil, nil, usageError{err}
			}
			cfg.BaseURLs = map[lever.Environment]string{lever.Production: u, lever.Sandbox: u, lever.EU: u}
		}
	}
	// Another process syncing the same file holds it: show its sync.
	attach := func(ctx context.Context) (ui.Watched, error) {
		w, err := app.Attach(ctx, dbPath)
		if err != nil {
			return nil, err
		}
		return app.WatchedSync{Watch: w}, nil
	}
	return app.NewServices(cfg), attach, nil
}

// profileHooks let the wizard put a new account in another profile, and
// the Jobs page show another profile's jobs, read-only. The wizard asks
// for the profile only when this one already holds an account and its data
// file is the profile's own (no --db).
func (a *cli) profileHooks(job wizardJob) *ui.Profiles {
	return &ui.Profiles{
		Current:  a.profile.Name,
		AskFirst: job.flags.db == "" && holdsAccount(a.profile),
		Parse:    app.ParseProfileName,
		Setup: func(name string) (steps.Services, func(context.Context) (ui.Watched, error), error) {
			p, err := app.LookupProfile(name, a.getenv)
			if err != nil {
				return nil, nil, err
			}
			if p.DataFile == "" {
				return nil, nil, errors.New("no data folder: set XDG_DATA_HOME or HOME")
			}
			return a.wizardServices(job, p.DataFile, p.Config())
		},
		List: func() ([]ui.ProfileEntry, error) {
			ps, err := app.ListProfiles(a.getenv)
			if err != nil {
				return nil, err
			}
			out := make([]ui.ProfileEntry, 0, len(ps))
			for _, p := range ps {
				out = append(out, ui.ProfileEntry{Name: p.Name, HasData: exists(p.DataFile)})
			}
			return out, nil
		},
		Browse: func(name string) (steps.Services, error) {
			p, err := app.LookupProfile(name, a.getenv)
			if err != nil {
				return nil, err
			}
			return app.NewServices(app.ServicesConfig{DBPath: p.DataFile, Store: store.Options{ReadOnly: true}}), nil
		},
	}
}

// holdsAccount reports whether profile p already holds a Lever account: an
// environment saved with a key (by the wizard or login), or a data file.
func holdsAccount(p app.Profile) bool {
	if p.ConfigDir != "" {
		if s, err := config.LoadSettings(p.ConfigDir); err == nil && s.Environment != "" {
			return true
		}
	}
	return exists(p.DataFile)
}
