package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/leversync/leversync/steps"
)

// Profiles is what the command line tells the UI about profiles: one Lever
// account's own key, settings and data file each. The UI reaches them only
// through these functions, called from commands.
type Profiles struct {
	// Current is the profile this program runs as.
	Current string
	// AskFirst: Current already holds an account (a saved key or a data
	// file), so the wizard asks, before its first step, which profile the
	// account it sets up goes in, rather than replace that one unasked.
	AskFirst bool
	// Parse checks a profile name as the command line does and returns it
	// as it is kept; its error says what a name may be.
	Parse func(name string) (string, error)
	// Setup is the wizard's services and Attach for the profile called
	// name: the key, settings and data file of the account it sets up go
	// there.
	Setup func(name string) (steps.Services, func(context.Context) (Watched, error), error)
	// List lists the profiles, for the Jobs page's switch.
	List func() ([]ProfileEntry, error)
	// Browse is services that read the data file of the profile called
	// name, read-only, for the Jobs page.
	Browse func(name string) (steps.Services, error)
}

// ProfileEntry is one profile in the Jobs page's list.
type ProfileEntry struct {
	Name string
	// HasData: the profile has a data file to read.
	HasData bool
}

type (
	// profileChosenMsg: the wizard's profile question was answered.
	profileChosenMsg struct{ name string }
	// profileReadyMsg is the services of the profile the wizard now sets
	// up, with its saved progress.
	profileReadyMsg struct {
		name   string
		svc    steps.Services
		attach func(context.Context) (Watched, error)
		state  steps.State
		ok     bool
		err    error
	}
	// profilesMsg is the list of profiles for the Jobs page.
	profilesMsg struct {
		list []ProfileEntry
		err  error
	}
	// profileBrowsedMsg is the read-only services of the profile the Jobs
	// page shows now.
	profileBrowsedMsg struct {
		name string
		svc  steps.Services
		err  error
	}
)

// profileQuestion asks which profile the account the wizard sets up goes
// in: the current one (its key and data file are replaced) or another.
type profileQuestion struct {
	*formScreen
	profiles *Profiles
	chosen   string
}

func newProfileQuestion(c *common, s steps.State, p *Profiles) *profileQuestion {
	q := &profileQuestion{profiles: p}
	build := func(_ *common, _ steps.State) *huh.Form {
		name := q.profiles.Current
		if q.chosen != "" {
			name = q.chosen
		}
		return huh.NewForm(huh.NewGroup(
			huh.NewInput().Key("profile").
				Title("Which profile is this Lever account for?").
				Description("Keep " + q.profiles.Current + " to set that account up again (its saved key is replaced, its data file kept), or name a new profile, such as client-a or sandbox, to keep both.").
				CharLimit(64).
				Value(&name).
				Validate(func(v string) error {
					_, err := q.profiles.Parse(v)
					return err
				}),
		))
	}
	finish := func(f *huh.Form, s steps.State) (steps.State, error) {
		name, err := q.profiles.Parse(f.GetString("profile"))
		q.chosen = name
		return s, err
	}
	intro := func(c *common, _ steps.State) string {
		return c.para(c.styles.Text, "Profile "+q.profiles.Current+" already holds a Lever account: a saved key or a data file. Each profile keeps one account's key, settings and data file; nothing crosses between them.")
	}
	q.formScreen = newFormScreen(c, s, build, finish, intro)
	return q
}

// Update answers with the chosen profile once the form is done; the root
// then sets that profile up, or goes on with the current one.
func (q *profileQuestion) Update(msg tea.Msg) (tea.Cmd, *move) {
	cmd, mv := q.formScreen.Update(msg)
	if mv == nil {
		return cmd, nil
	}
	name := q.chosen
	return tea.Batch(cmd, func() tea.Msg { return profileChosenMsg{name: name} }), nil
}

// refuse shows why the chosen profile cannot be set up, and asks again.
func (q *profileQuestion) refuse(err error) tea.Cmd {
	q.err = err
	q.form = q.make(q.state)
	return q.form.Init()
}

func (q *profileQuestion) Bindings() []key.Binding {
	return []key.Binding{relabel(q.c.keys.Select, "continue")}
}

// setUpProfile reads the saved progress of the profile the wizard now sets
// up, through its own services.
func setUpProfile(p *Profiles, name string) tea.Cmd {
	return func() tea.Msg {
		svc, attach, err := p.Setup(name)
		if err != nil {
			return profileReadyMsg{name: name, err: err}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, ok, err := svc.LoadProgress(ctx)
		return profileReadyMsg{name: name, svc: svc, attach: attach, state: s, ok: ok, err: err}
	}
}

// profileSwitch is the Jobs page's part that shows another profile's jobs,
// read-only: the list of profiles, and which one the page reads.
type profileSwitch struct {
	profiles *Profiles
	// own is the services of the profile this program runs as.
	own steps.Services
	// showing is the profile the page reads; "" is the one this program
	// runs as.
	showing string
	// source numbers the profiles shown, so a read of the one before is
	// ignored.
	source int
	// backTo is the view the list was opened from.
	backTo jobsView

	list       []ProfileEntry
	listed     bool
	listErr    error
	switchNote string
	profTable  drawnTable
}

// browsing: the page shows another profile's jobs than the one this
// program runs as (and syncs).
func (s *profileSwitch) browsing() bool {
	return s.profiles != nil && s.showing != "" && s.showing != s.profiles.Current
}

// shownProfile names the profile whose jobs the page shows; "" without
// profiles.
func (s *profileSwitch) shownProfile() string {
	switch {
	case s.profiles == nil:
		return ""
	case s.showing != "":
		return s.showing
	}
	return s.profiles.Current
}

// openProfiles lists the profiles to choose from.
func (p *jobsPage) openProfiles() tea.Cmd {
	if p.profiles.List == nil {
		return nil
	}
	p.backTo, p.view = p.view, viewProfiles
	p.list, p.listed, p.listErr, p.switchNote = nil, false, nil, ""
	p.setProfileRows()
	list := p.profiles.List
	return func() tea.Msg {
		l, err := list()
		return profilesMsg{list: l, err: err}
	}
}

func (p *jobsPage) profileUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case profilesMsg:
		p.list, p.listed, p.listErr = msg.list, msg.err == nil, msg.err
		p.setProfileRows()
		// The profile shown is selected.
		for i, e := range p.list {
			if e.Name == p.shownProfile() {
				p.profTable.SetCursor(i)
				markCursor(&p.profTable)
			}
		}
	case profileBrowsedMsg:
		if msg.err != nil {
			p.switchNote = "Profile " + msg.name + " cannot be read: " + msg.err.Error()
			return nil
		}
		p.show(msg.name, msg.svc)
		return p.load()
	}
	return nil
}

func (p *jobsPage) profileKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := p.c.keys
	switch {
	case key.Matches(msg, k.Back):
		p.view = p.backTo
		return nil, true
	case key.Matches(msg, k.Open):
		return p.pickProfile(), true
	}
	return nil, false
}

// pickProfile shows the selected profile's jobs: this program's own, or
// another's data file read-only; a profile without one says so.
func (p *jobsPage) pickProfile() tea.Cmd {
	c := p.profTable.Cursor()
	if c < 0 || c >= len(p.list) {
		return nil
	}
	e := p.list[c]
	switch {
	case e.Name == p.profiles.Current:
		p.show(e.Name, p.own)
		return p.load()
	case !e.HasData:
		p.switchNote = "Profile " + e.Name + " has no data yet: run leversync --profile " + e.Name + " to set it up."
		return nil
	case p.profiles.Browse == nil:
		return nil
	}
	browse, name := p.profiles.Browse, e.Name
	return func() tea.Msg {
		svc, err := browse(name)
		return profileBrowsedMsg{name: name, svc: svc, err: err}
	}
}

// show makes the page read the profile called name through svc, from its
// list of jobs.
func (p *jobsPage) show(name string, svc steps.Services) {
	p.svc, p.showing = svc, name
	p.source++
	p.view = viewJobs
	p.jobs, p.loaded, p.loading, p.loadErr, p.filter = nil, false, false, nil, ""
	p.job, p.cands, p.candsLoaded, p.candsErr = steps.Job{}, nil, false, nil
	p.searchSeq++
	p.input.Reset()
	p.query, p.found, p.more, p.searchErr = "", nil, false, nil
	p.arrange()
	p.setFoundRows()
}

func (p *jobsPage) setProfileRows() {
	rows := make([]table.Row, 0, len(p.list))
	for _, e := range p.list {
		data := "no data yet"
		if e.HasData {
			data = "a data file"
		}
		var notes []string
		if p.profiles != nil && e.Name == p.profiles.Current {
			notes = append(notes, "in use")
		}
		if e.Name == p.shownProfile() {
			notes = append(notes, "shown")
		}
		if len(notes) > 0 {
			data += " · " + strings.Join(notes, ", ")
		}
		rows = append(rows, table.Row{e.Name, data})
	}
	setTable(&p.profTable, []column{{"Profile", 34}, {"Holds", 0}}, rows, p.c.width, max(min(len(rows)+1, p.tableHeight(3)), 2))
}

func (p *jobsPage) profilesView() string {
	st := p.c.styles
	line := st.Text.Render("Profiles") + st.Muted.Render(" · enter shows one's jobs, read-only · esc back")
	switch {
	case p.listErr != nil:
		return line + "\n\n" + p.c.para(st.Bad, "The profiles cannot be listed: "+p.listErr.Error())
	case !p.listed:
		return line + "\n\n" + st.Muted.Render("Listing the profiles…")
	}
	out := line + "\n" + p.profTable.View()
	if p.switchNote != "" {
		out += "\n" + p.c.para(st.Warn, p.switchNote)
	}
	return out
}

// asksProfile: the wizard's profile question is on screen.
func (m Model) asksProfile() bool {
	_, ok := m.screen.(*profileQuestion)
	return ok
}

// profileChosen goes on with the wizard: at its first step for the current
// profile, or once the chosen profile's services are ready.
func (m Model) profileChosen(msg profileChosenMsg) (tea.Model, tea.Cmd) {
	if !m.asksProfile() {
		return m, nil
	}
	if msg.name == m.cfg.Profiles.Current {
		m.screen = m.newScreen(m.state)
		return m, m.screen.Init()
	}
	return m, setUpProfile(m.cfg.Profiles, msg.name)
}

// profileReady moves the wizard to the chosen profile: from here on its key,
// settings, progress and data file are that profile's, and the wizard
// starts again from its first step with that profile's earlier answers.
func (m Model) profileReady(msg profileReadyMsg) (tea.Model, tea.Cmd) {
	q, ok := m.screen.(*profileQuestion)
	if !ok {
		return m, nil
	}
	if msg.err != nil {
		return m, q.refuse(fmt.Errorf("profile %s cannot be set up: %w", msg.name, msg.err))
	}
	p := *m.cfg.Profiles
	p.Current, p.AskFirst = msg.name, false
	m.cfg.Profiles, m.cfg.Services, m.cfg.Attach = &p, msg.svc, msg.attach
	m.sync = newSession(m.c, m.ctx, msg.svc, msg.attach)
	m.dash = newDashboard(m.c, m.sync)
	m.jobs = newJobsPage(m.c, msg.svc, &p)
	m.jobs.resize()
	m.state = steps.NewState()
	if msg.ok {
		m.state = steps.StartOver(msg.state)
	}
	m.c.env = m.state.Environment.Title()
	m.screen = m.newScreen(m.state)
	return m, m.screen.Init()
}

// profileHeader adds the profile whose jobs the Jobs page shows to its
// header; another profile's are read-only, and this program's sync is not
// theirs.
func (m Model) profileHeader(left, right string) (string, string) {
	name := m.jobs.shownProfile()
	if name == "" {
		return left, right
	}
	st := m.c.styles
	left += st.Ink.Muted.Render("  ·  profile ") + st.Ink.Title.Render(name)
	if m.jobs.browsing() {
		left += st.Ink.Muted.Render(" (read-only)")
		right = st.Ink.Muted.Render("ctrl+o back to " + m.cfg.Profiles.Current)
	}
	return left, right
}
