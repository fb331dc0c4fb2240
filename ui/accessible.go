package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// accessible runs the wizard as plain prompts: the same steps, the same
// transitions and the same Services as the full-screen wizard.
type accessible struct {
	ctx context.Context
	cfg Config
	p   prompter
	s   steps.State
	key lever.APIKey
}

func runAccessible(ctx context.Context, cfg Config, initial steps.State, p prompter) error {
	a := &accessible{ctx: ctx, cfg: cfg, p: p, s: steps.Resume(initial, false)}
	p.Say("leversync setup, in plain prompts. At any question, type b to go back or q to quit; your progress is saved after each step.")
	if cfg.Demo {
		p.Say("Demo mode: everything talks to the built-in fake Lever.")
	}
	if err := a.askProfile(); errors.Is(err, errQuit) {
		a.p.Say("Quitting. Nothing was changed.")
		return nil
	} else if err != nil {
		return err
	}
	for {
		if err := a.ctx.Err(); err != nil {
			return err
		}
		if a.s.Step == steps.StepSync {
			return a.sync()
		}
		a.p.Say("")
		a.p.Say(a.s.Step.Header())
		if a.s.Problem != nil {
			a.p.Say("Problem: " + a.s.Problem.Reason)
			a.p.Say("Fix: " + a.s.Problem.Fix)
		}
		next, err := a.ask()
		switch {
		case errors.Is(err, errQuit):
			a.p.Say("Quitting. Your progress is saved: run leversync --accessible again to continue.")
			return nil
		case errors.Is(err, errBack):
			next = steps.Back(a.s)
		case err != nil:
			var se *steps.StepError
			if !errors.As(err, &se) {
				return err
			}
			a.p.Say("Not yet: " + se.Error() + ".")
			a.s = next
			if se.Step == steps.StepPrerequisite {
				a.offerHandoff()
			}
			continue
		}
		a.s = next
		a.save()
	}
}

func (a *accessible) save() {
	if a.cfg.Services == nil {
		return
	}
	if err := a.cfg.Services.SaveProgress(a.ctx, a.s); err != nil {
		a.p.Say("Note: progress not saved: " + err.Error())
	}
}

// ask runs the current step's questions and applies its transition.
func (a *accessible) ask() (steps.State, error) {
	s := a.s
	switch s.Step {
	case steps.StepPrerequisite:
		var titles []string
		for _, an := range steps.Answers {
			titles = append(titles, an.Title())
		}
		admin, err := a.p.Select("Do you have administrator rights in Lever?",
			"Open Settings in Lever; if you see Integrations and API on the left, you have them.", titles, indexOf(steps.Answers, s.Admin))
		if err != nil {
			return s, err
		}
		super, err := a.p.Select("Are you a Lever Super Admin?", "Only a Lever Super Admin can generate API keys.", titles, indexOf(steps.Answers, s.SuperAdmin))
		if err != nil {
			return s, err
		}
		return steps.AnswerPrerequisite(s, steps.Answers[admin], steps.Answers[super])

	case steps.StepOrganization:
		var titles []string
		for _, o := range steps.OrgTypes {
			titles = append(titles, o.Title())
		}
		i, err := a.p.Select("What kind of system are you connecting?",
			"Recruiting is the type that connects an ATS (applicant tracking system) such as Lever.", titles, indexOf(steps.OrgTypes, s.Organization))
		if err != nil {
			return s, err
		}
		next, err := steps.AnswerOrganization(s, steps.OrgTypes[i])
		if err != nil {
			next.Organization = steps.Recruiting
		}
		return next, err

	case steps.StepProvider:
		q, err := a.p.Input("Which applicant tracking system? Type part of its name to search, or press Enter to list them all.", "")
		if err != nil {
			return s, err
		}
		found := steps.FilterProviders(q)
		if len(found) == 0 {
			a.p.Say(fmt.Sprintf("No provider matches %q.", q))
			return s, nil
		}
		var titles []string
		def := 0
		for i, pr := range found {
			t := pr.Name
			if !pr.Supported {
				t += " (not supported yet)"
			}
			if pr.Supported {
				def = i
			}
			titles = append(titles, t)
		}
		i, err := a.p.Select("Choose the provider.", "", titles, def)
		if err != nil {
			return s, err
		}
		return steps.AnswerProvider(s, found[i].ID)

	case steps.StepAuthMethod:
		i, err := a.p.Select("How will leversync sign in to Lever?", "",
			[]string{steps.AuthAPIKey.Title(), steps.AuthCredentials.Title() + " (planned, not available yet)"}, 0)
		if err != nil {
			return s, err
		}
		return steps.AnswerAuthMethod(s, steps.AuthMethods[i])

	case steps.StepData:
		var titles []string
		for _, e := range lever.Environments {
			titles = append(titles, envLabel(e))
		}
		i, err := a.p.Select("Which Lever data will leversync read?",
			"A key belongs to one Lever host: a key made in your sandbox account is rejected by production, and the other way round.",
			titles, indexOf(lever.Environments, s.Environment))
		if err != nil {
			return s, err
		}
		return steps.AnswerEnvironment(s, lever.Environments[i])

	case steps.StepPermissions:
		return a.permissions()

	case steps.StepCreateKey:
		a.p.Say("Do these in Lever, in your browser. Press Enter after each one.")
		items := steps.CreateKeyChecklist(s)
		for i, it := range items {
			if s.Ticked(it.ID) {
				continue
			}
			if _, err := a.p.Input(fmt.Sprintf("%d of %d: %s", i+1, len(items), it.Text), ""); err != nil {
				return s, err
			}
			s = steps.ToggleTick(s, it.ID)
		}
		return steps.AnswerCreateKey(s)

	case steps.StepPasteKey:
		help := "Paste the key you copied from Lever and press Enter. It is not shown as you type."
		if a.cfg.Demo && a.cfg.DemoKey != "" {
			help = "Demo: press Enter to use the built-in fake Lever's demo key, " + a.cfg.DemoKey + " (it is not a secret)."
		}
		raw, err := a.p.Secret("Paste the API key.", help)
		if err != nil {
			return s, err
		}
		if raw == "" && a.cfg.Demo {
			raw = a.cfg.DemoKey
		}
		next, k, err := steps.AnswerPasteKey(s, raw)
		if err == nil {
			a.key = k
		}
		return next, err

	case steps.StepConnect:
		return a.connect()
	}
	return s, fmt.Errorf("unknown step %q", s.Step)
}

func (a *accessible) permissions() (steps.State, error) {
	s := a.s
	var titles []string
	for _, ac := range steps.Accesses {
		titles = append(titles, ac.Title())
	}
	i, err := a.p.Select("Which permissions will the key have?",
		`Lever recommends "Select All": permissions cannot be edited after the key is created, so a key made now keeps working when write features come. leversync's sync only reads.`,
		titles, indexOf(steps.Accesses, s.Access))
	if err != nil {
		return s, err
	}
	conf, err := a.p.Confirm(`Turn on "`+steps.ConfidentialName+`"?`, "Without it, confidential jobs and candidates are left out of the sync.", s.Confidential)
	if err != nil {
		return s, err
	}
	var custom []string
	if steps.Accesses[i] == steps.Custom {
		var lines []string
		for n, p := range permission.All {
			col := "Read"
			if p.Write {
				col = "Write"
			}
			lines = append(lines, fmt.Sprintf("  %d. %s: %s", n+1, col, p.Name))
		}
		a.p.Say(strings.Join(lines, "\n"))
		raw, err := a.p.Input("Type the numbers of the permissions to tick, separated by spaces or commas. Enter alone takes the reads the sync needs.", "")
		if err != nil {
			return s, err
		}
		if strings.TrimSpace(raw) == "" {
			for _, p := range steps.SyncReads() {
				custom = append(custom, p.Name)
			}
		}
		for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' }) {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 || n > len(permission.All) {
				return s, &steps.StepError{Step: steps.StepPermissions, Reason: fmt.Sprintf("%q is not one of the numbers listed", f), Fix: "type numbers from the list"}
			}
			custom = append(custom, permission.All[n-1].Name)
		}
	}
	return steps.AnswerPermissions(s, steps.Accesses[i], custom, conf)
}

// connect checks the key, printing each result as it arrives.
func (a *accessible) connect() (steps.State, error) {
	s := a.s
	if a.key.IsZero() || a.cfg.Services == nil {
		return steps.Back(s), nil
	}
	a.p.Say(fmt.Sprintf("Checking the key with Lever %s. This can take up to a minute.", s.Environment.Title()))
	checks := make(chan steps.Check, len(steps.RequiredPermissions(s))+8)
	done := make(chan steps.ConnectReport, 1)
	go func() {
		done <- a.cfg.Services.Connect(a.ctx, s, a.key, checks)
		close(checks)
	}()
	for c := range checks {
		a.p.Say(fmt.Sprintf("  %s: %s", c.Name, c.Label()))
	}
	r := <-done
	next := steps.AfterConnect(s, r)
	if next.Step != steps.StepSync {
		a.diagnose(s, next.Problem)
	}
	if next.Step != steps.StepConnect && next.Step != steps.StepSync {
		return next, nil // routed back; the loop prints the problem
	}
	if next.Step == steps.StepConnect && next.Problem != nil {
		a.p.Say("Problem: " + next.Problem.Reason)
		a.p.Say("Fix: " + next.Problem.Fix)
		switch {
		case next.Problem.CanContinue:
			i, err := a.p.Select("What now?", "", []string{"Continue without confidential data", "Generate a new key with the toggle on"}, 0)
			if err != nil {
				return next, err
			}
			if i == 1 {
				return steps.GenerateNewKey(next), nil
			}
			cont, err := steps.ContinueWithoutConfidential(next)
			if err != nil {
				return next, err
			}
			next = cont
		case next.Problem.CanRetry:
			if _, err := a.p.Input("Press Enter to check again.", ""); err != nil {
				return next, err
			}
			return next, nil
		}
	}
	a.p.Say("Connected to Lever " + next.Environment.Title() + ".")
	where, err := a.cfg.Services.SaveKey(a.ctx, next.Environment, a.key)
	if err != nil {
		a.p.Say("The key could not be saved: " + err.Error())
	} else {
		a.p.Say("Key " + where + ".")
	}
	return next, nil
}

// askProfile asks, as the wizard does before its first step, which profile
// the account goes in when the current one holds an account already; a new
// profile's services then take over, with that profile's earlier answers.
func (a *accessible) askProfile() error {
	p := a.cfg.Profiles
	if p == nil || !p.AskFirst || p.Setup == nil || a.s.Step != steps.StepPrerequisite {
		return nil
	}
	a.p.Say("")
	a.p.Say("Profile " + p.Current + " already holds a Lever account: a saved key or a data file. Each profile keeps one account's key, settings and data file; nothing crosses between them.")
	for {
		answer, err := a.p.Input("Which profile is this Lever account for?",
			"Press Enter to keep "+p.Current+" and set that account up again (its saved key is replaced, its data file kept), or type a new profile's name, such as client-a or sandbox, to keep both.")
		switch {
		case errors.Is(err, errBack):
			continue
		case err != nil:
			return err
		case answer == "":
			answer = p.Current
		}
		name, err := p.Parse(answer)
		if err != nil {
			a.p.Say("Not a profile name: " + err.Error())
			continue
		}
		if name == p.Current {
			return nil
		}
		s, ok, err := a.loadProfile(name)
		if err != nil {
			a.p.Say(fmt.Sprintf("Profile %s cannot be set up: %v.", name, err))
			continue
		}
		a.s = steps.NewState()
		if ok {
			a.s = steps.StartOver(s)
		}
		a.p.Say("The account goes in profile " + name + ".")
		return nil
	}
}

// loadProfile makes the profile called name this run's: its services,
// and its saved progress if any.
func (a *accessible) loadProfile(name string) (steps.State, bool, error) {
	svc, _, err := a.cfg.Profiles.Setup(name)
	if err != nil {
		return steps.State{}, false, err
	}
	s, ok, err := svc.LoadProgress(a.ctx)
	if err != nil {
		return steps.State{}, false, err
	}
	p := *a.cfg.Profiles
	p.Current, p.AskFirst = name, false
	a.cfg.Profiles, a.cfg.Services = &p, svc
	return s, ok, nil
}

// diagnose runs the checks of leversync doctor after the connect failure p
// and says the ones that fail or warn, the one matching p first, each with
// its evidence and fix: what the wizard draws below the step it routes to.
func (a *accessible) diagnose(s steps.State, p *steps.Problem) {
	d, ok := a.cfg.Services.(steps.Diagnoser)
	if !ok || p == nil {
		return
	}
	a.p.Say("Looking for the cause with the checks of leversync doctor…")
	concerns := d.Diagnose(a.ctx, s, a.key, nil).Concerns(p.Check())
	if len(concerns) == 0 {
		a.p.Say("Diagnosis: no check fails now.")
		return
	}
	for _, f := range concerns {
		verdict := "fails"
		if f.Status == steps.Warn {
			verdict = "warns"
		}
		a.p.Say(fmt.Sprintf("Diagnosis: %s %s: %s", f.Title, verdict, f.Summary))
		for _, e := range evidenceShown(f) {
			a.p.Say("  " + e)
		}
		if f.Fix != "" {
			a.p.Say("  Fix: " + f.Fix)
		}
	}
}

// sync runs the sync and prints its progress plainly: a line for each
// change in the progress model's snapshot.
func (a *accessible) sync() error {
	a.p.Say("")
	a.p.Say(steps.StepSync.Header())
	run, err := a.cfg.Services.StartSync(a.ctx, a.s, a.key)
	if err != nil {
		return fmt.Errorf("starting the sync: %w", err)
	}
	m := progress.New()
	var shown progress.Snapshot
	for ev := range run.Events() {
		m.Apply(ev)
		s := m.Snapshot()
		for _, c := range s.PhaseChanges(shown) {
			switch c.Phase.State {
			case progress.Syncing:
				a.p.Say("Syncing " + c.Phase.Title() + "…")
			case progress.Done:
				a.p.Say(fmt.Sprintf("%s: %s.", c.Phase.Title(), progress.Count(c.Phase.Records, "record", "records")))
			case progress.Kept:
				a.p.Say(fmt.Sprintf("%s: kept, %s.", c.Phase.Title(), c.Phase.Reason))
			}
		}
		if s.Retries > shown.Retries && s.LastRetry != nil {
			a.p.Say("Retrying: " + retryText(*s.LastRetry) + ".")
		}
		for _, w := range s.Warnings[len(shown.Warnings):] {
			a.p.Say("Warning: " + w)
		}
		for _, e := range s.Errors[len(shown.Errors):] {
			a.p.Say("Error: " + e)
		}
		shown = s
	}
	st, err := run.Wait()
	if err != nil {
		return fmt.Errorf("the sync stopped: %w", err)
	}
	m.Finish(st, nil)
	a.p.Say(fmt.Sprintf("Sync done: %s.", progress.ResultPhrase(m.Snapshot().Result())))
	return nil
}

// offerHandoff prints the note for an admin when the user asks for it.
func (a *accessible) offerHandoff() {
	ok, err := a.p.Confirm("Show a short note to send a Lever Super Admin?", "It holds no secret.", true)
	if err == nil && ok {
		a.p.Say(steps.HandoffText(a.s))
	}
}

func indexOf[T comparable](xs []T, v T) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return 0
}

// retryText says what was retried: "HTTP 429 on /opportunities, attempt
// 1, waited 1.5s".
func retryText(r progress.Retry) string {
	what := r.Cause()
	if r.Path != "" {
		what += " on " + r.Path
	}
	return fmt.Sprintf("%s, attempt %d, waited %s", what, r.Attempt, r.Wait())
}
