package ui

import (
	"fmt"

	"charm.land/huh/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
	"github.com/leversync/leversync/steps"
)

// The steps that are plain forms: organization type, data, permissions.

func newOrganization(c *common, s steps.State) screen {
	build := func(_ *common, s steps.State) *huh.Form {
		var opts []huh.Option[string]
		for _, o := range steps.OrgTypes {
			opts = append(opts, huh.NewOption(o.Title(), string(o)))
		}
		return huh.NewForm(huh.NewGroup(
			huh.NewSelect[string]().Key("org").
				Title("What kind of system are you connecting?").
				Description("Recruiting is the type that connects an ATS (applicant tracking system) such as Lever.").
				Options(opts...).
				Value(ptr(string(s.Organization))),
		))
	}
	finish := func(f *huh.Form, s steps.State) (steps.State, error) {
		next, err := steps.AnswerOrganization(s, steps.OrgType(f.GetString("org")))
		if err != nil {
			// Offer the switch: Recruiting is highlighted, Enter takes it.
			next.Organization = steps.Recruiting
		}
		return next, err
	}
	return newFormScreen(c, s, build, finish, nil)
}

func newData(c *common, s steps.State) screen {
	build := func(c *common, s steps.State) *huh.Form {
		var opts []huh.Option[string]
		for _, e := range lever.Environments {
			opts = append(opts, huh.NewOption(envLabel(e), string(e)))
		}
		return huh.NewForm(huh.NewGroup(
			huh.NewSelect[string]().Key("env").
				Title("Which Lever data will leversync read?").
				Description("A key belongs to one Lever host: a key made in your sandbox account is rejected by production, and the other way round.").
				Options(opts...).
				Value(ptr(string(s.Environment))),
		))
	}
	finish := func(f *huh.Form, s steps.State) (steps.State, error) {
		return steps.AnswerEnvironment(s, lever.Environment(f.GetString("env")))
	}
	intro := func(c *common, _ steps.State) string {
		if c.demo {
			return c.para(c.styles.Muted, "Demo: every choice here talks to the built-in fake Lever.")
		}
		return ""
	}
	return newFormScreen(c, s, build, finish, intro)
}

func envLabel(e lever.Environment) string {
	switch e {
	case lever.Production:
		return "Production data (api.lever.co)"
	case lever.Sandbox:
		return "Sandbox data (api.sandbox.lever.co)"
	case lever.EU:
		return "EU-hosted production data (api.eu.lever.co, unconfirmed host)"
	}
	return e.Title()
}

func newPermissions(c *common, s steps.State) screen {
	// The granular list scrolls inside what the terminal leaves for it.
	var list *huh.MultiSelect[string]
	listHeight := func(c *common) int { return max(c.height-4, 6) }
	build := func(c *common, s steps.State) *huh.Form {
		var access []huh.Option[string]
		for _, a := range steps.Accesses {
			access = append(access, huh.NewOption(a.Title(), string(a)))
		}
		chosen := s.Permissions
		if len(chosen) == 0 {
			for _, p := range steps.SyncReads() {
				chosen = append(chosen, p.Name)
			}
		}
		var perms []huh.Option[string]
		for _, p := range permission.All {
			label := "Read: " + p.Name
			if p.Write {
				label = "Write: " + p.Name
			}
			perms = append(perms, huh.NewOption(label, p.Name))
		}
		accessValue := string(s.Access)
		list = huh.NewMultiSelect[string]().Key("perms").
			Title("Tick the permissions the key will have").
			Description("The sync needs the reads ticked already. Permissions cannot be edited after the key is created.").
			Options(perms...).
			Value(&chosen).
			Height(listHeight(c))
		return huh.NewForm(
			huh.NewGroup(
				huh.NewSelect[string]().Key("access").
					Title("Which permissions will the key have?").
					Description(`Lever recommends "Select All": permissions cannot be edited after the key is created, so a key made now keeps working when write features come. leversync's sync only reads.`).
					Options(access...).
					Value(&accessValue),
				huh.NewConfirm().Key("confidential").
					Title(`Turn on "`+steps.ConfidentialName+`"?`).
					Description("Without it, confidential jobs and candidates are left out of the sync.").
					Affirmative("Yes, include them").Negative("No").
					Value(ptr(s.Confidential)),
			),
			huh.NewGroup(list).WithHideFunc(func() bool { return accessValue != string(steps.Custom) }),
		)
	}
	finish := func(f *huh.Form, s steps.State) (steps.State, error) {
		var custom []string
		if v, ok := f.Get("perms").([]string); ok {
			custom = v
		}
		return steps.AnswerPermissions(s, steps.Access(f.GetString("access")), custom, f.GetBool("confidential"))
	}
	intro := func(c *common, s steps.State) string {
		return c.para(c.styles.Muted, fmt.Sprintf("Read/Write grants every permission (%d checked when you connect); Read only grants the reads (%d checked); or pick them one by one.",
			len(steps.RequiredPermissions(steps.State{Access: steps.ReadWrite})), len(steps.SyncReads())))
	}
	f := newFormScreen(c, s, build, finish, intro)
	f.onResize = func(c *common) { list.Height(listHeight(c)) }
	return f
}
