package ui

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// The smallest terminal the wizard draws in; below it, it says so.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Config is what the command line hands the wizard.
type Config struct {
	// Services reaches the network, the credential store and the data file.
	Services steps.Services
	// Demo runs against the built-in fake Lever; DemoKey is its key, shown
	// and pre-filled on the paste step.
	Demo    bool
	DemoKey string
	// Accessible runs the flow as plain line-by-line prompts.
	Accessible bool
	// Setup runs the wizard again from step 1 (leversync setup), with the
	// saved answers as the defaults, instead of resuming.
	Setup bool
	// In and Out default to the process's standard streams.
	In  io.Reader
	Out io.Writer
	// Attach follows the sync another process runs on the same data file,
	// read-only; it fails when none runs. With it, leversync started while
	// another process syncs the file shows that sync live instead of
	// failing, and so does r when the file turns out to be held.
	Attach func(ctx context.Context) (Watched, error)
	// Profiles, when set, names the profile in the Jobs page's header,
	// lets that page show another profile's jobs, and lets the wizard
	// set an account up in another profile.
	Profiles *Profiles
}

// common is what every screen shares: styles, keys, size, mode and clock.
type common struct {
	styles  Styles
	keys    KeyMap
	width   int // content width, inside the app padding
	height  int // content height, between header and help
	demo    bool
	demoKey string
	// background is the terminal's background colour once it answered;
	// forms built later are handed it, since only the first screen sees
	// the message.
	background *tea.BackgroundColorMsg
	// now is the clock of live pages (elapsed time, "3 min ago").
	now func() time.Time
	// env names the Lever environment synced, for the dashboard.
	env string
	// frames counts the redraws of a live sync, for its spinner.
	frames int
	// diag is the diagnosis of the last connect failure; diagSeq numbers
	// them.
	diag    *diagnosis
	diagSeq int
	// helpLine and ruleLine keep drawn lines that seldom change.
	helpLine struct {
		sig, text string
		styles    bool
	}
	ruleLine struct {
		width  int
		text   string
		styles bool
	}
}

// screen is one step's component. The root calls it; it never touches the
// network or the disk itself.
type screen interface {
	Init() tea.Cmd
	// Update handles a message and returns a move when the step is
	// answered.
	Update(msg tea.Msg) (tea.Cmd, *move)
	View() string
	Bindings() []key.Binding
	// WantsEsc reports whether esc belongs to the screen right now (to
	// cancel a check or clear a filter) rather than meaning "back".
	WantsEsc() bool
}

// move is a step answered: the state to go to and, from the paste step,
// the key to hold in memory.
type move struct {
	state steps.State
	key   *lever.APIKey
}

// page is what the root shows: a wizard step, or, once set up, the sync
// dashboard or the Jobs page.
type page int

const (
	pageWizard page = iota
	pageSync
	pageJobs
)

// Model is leversync's root model. It owns the current step's screen, the
// sync session, the dashboard and the Jobs page, and routes every message.
type Model struct {
	cfg    Config
	c      *common
	state  steps.State
	key    lever.APIKey // only in memory
	screen screen       // the wizard step's; nil on the pages

	page page
	sync *session
	dash *dashboard
	jobs *jobsPage
	// clockSeq numbers the clock's tick chain, so one runs at a time.
	clockSeq int

	// follow is another process's sync to show from the start, read-only.
	follow Watched
	// watchOnly: following that sync is all this program does (leversync
	// watch); it starts no sync of its own.
	watchOnly bool
	// scheduled: this program shows the runs of a schedule (leversync sync
	// --every), which starts them; it starts none itself.
	scheduled bool
	// setupUnread: the saved setup could not be read, since another
	// process's sync held the file; it is read once that sync ends.
	// loadingSetup: a read is in flight.
	setupUnread  bool
	loadingSetup bool

	ctx    context.Context
	cancel context.CancelFunc

	help        help.Model
	showHelp    bool
	confirmQuit bool
	quitting    bool
	saveErr     error
	ready       bool // a window size arrived
}

// NewModel is the wizard at state initial, resumed: a completed setup opens
// on the Jobs page with a sync running in its header, a connect step
// without a key on the paste step.
func NewModel(cfg Config, initial steps.State) Model {
	if initial.Version == 0 {
		initial = steps.NewState()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &common{
		styles:  NewStyles(true),
		keys:    DefaultKeyMap(),
		width:   80 - 2,
		height:  24 - 4,
		demo:    cfg.Demo,
		demoKey: cfg.DemoKey,
		now:     time.Now,
	}
	m := Model{
		cfg:    cfg,
		c:      c,
		state:  steps.Resume(initial, false),
		ctx:    ctx,
		cancel: cancel,
		help:   help.New(),
		sync:   newSession(c, ctx, cfg.Services, cfg.Attach),
		jobs:   newJobsPage(c, cfg.Services, cfg.Profiles),
	}
	m.dash = newDashboard(c, m.sync)
	m.help.Styles = help.DefaultStyles(true)
	c.env = m.state.Environment.Title()
	switch {
	case m.state.Step == steps.StepSync:
		m.page = pageJobs
	case m.state.Step == steps.StepPrerequisite && cfg.Profiles != nil && cfg.Profiles.AskFirst && cfg.Profiles.Setup != nil:
		// This profile holds an account already: ask where the new one
		// goes before anything is saved.
		m.screen = newProfileQuestion(c, m.state, cfg.Profiles)
	default:
		m.screen = m.newScreen(m.state)
	}
	return m
}

// Init asks for the background color and starts the first screen, or on a
// set-up machine the sync and the Jobs page, or follows another process's
// sync.
func (m Model) Init() tea.Cmd {
	switch {
	case m.page == pageWizard:
		return tea.Batch(tea.RequestBackgroundColor, m.screen.Init())
	case m.follow != nil:
		return tea.Batch(tea.RequestBackgroundColor, m.sync.follow(m.follow), tickClock(m.clockSeq, time.Second))
	case m.scheduled:
		return tea.Batch(tea.RequestBackgroundColor, tickClock(m.clockSeq, time.Second))
	}
	return tea.Batch(tea.RequestBackgroundColor, m.sync.start(m.state, m.key), m.jobs.load(), m.sync.readFile(), tickClock(m.clockSeq, time.Second))
}

func (m Model) newScreen(s steps.State) screen {
	switch s.Step {
	case steps.StepPrerequisite:
		return newPrerequisite(m.c, s)
	case steps.StepOrganization:
		return newOrganization(m.c, s)
	case steps.StepProvider:
		return newProvider(m.c, s)
	case steps.StepAuthMethod:
		return newAuthMethod(m.c, s)
	case steps.StepData:
		return newData(m.c, s)
	case steps.StepPermissions:
		return newPermissions(m.c, s)
	case steps.StepCreateKey:
		return newCreateKey(m.c, s)
	case steps.StepPasteKey:
		return newPasteKey(m.c, s)
	}
	return newConnect(m.c, m.ctx, m.cfg.Services, s, m.key)
}

// Update routes a message: window and color changes to everyone, the
// sync's messages to the session, the global keys (ctrl+c, ?, esc) first,
// then the current screen or page.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ready = true
		m.c.width = max(msg.Width-2, 1)
		m.c.height = max(msg.Height-4, 1)
		m.help.SetWidth(m.c.width - 2)
		m.jobs.resize()
		return m.toScreen(msg)
	case tea.BackgroundColorMsg:
		m.c.background = &msg
		m.c.styles = NewStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		m.jobs.restyle()
		return m.toScreen(msg)
	case progressSavedMsg:
		m.saveErr = msg.err
		return m, nil
	case progressLoadedMsg:
		return m.setupLoaded(msg)
	case clockMsg:
		return m.tick(msg)
	case jobsMsg, candidatesMsg, searchMsg, profilesMsg, profileBrowsedMsg:
		return m, m.jobs.update(msg)
	case scheduledRunMsg:
		return m, m.sync.show(msg.run)
	case nextRunMsg:
		m.sync.next = &msg.next
		return m, nil
	case profileChosenMsg:
		return m.profileChosen(msg)
	case profileReadyMsg:
		return m.profileReady(msg)
	case tea.PasteMsg:
		if m.confirmQuit {
			return m, nil
		}
		if m.page == pageJobs {
			cmd, _ := m.jobs.key(tea.KeyPressMsg{Text: msg.Content})
			return m, cmd
		}
		// Pastes go to the focused input; a screen without one ignores it.
		return m.toScreen(msg)
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	}
	if cmd, ok := m.c.updateDiagnosis(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.sync.update(msg); ok {
		return m.afterSync(msg, cmd)
	}
	return m.toScreen(msg)
}

// toScreen hands a message to the wizard step's screen, if one is shown.
func (m Model) toScreen(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.screen == nil {
		return m, nil
	}
	cmd, mv := m.screen.Update(msg)
	return m.apply(cmd, mv)
}

// afterSync follows a sync message: the spinner moves with each delivery,
// the Jobs page reads again when jobs or candidates were stored, and a
// finished sync opens the Jobs page.
func (m Model) afterSync(msg tea.Msg, cmd tea.Cmd) (tea.Model, tea.Cmd) {
	cmds := []tea.Cmd{cmd}
	switch msg := msg.(type) {
	case syncStartedMsg:
		// A started (or refused) sync wants the clock ticking.
		m.clockSeq++
		cmds = append(cmds, tickClock(m.clockSeq, time.Second))
	case syncEventsMsg:
		m.c.frames++
		for _, ev := range msg.events {
			if ev.Type == syncer.EventPhaseDone && (ev.Phase == string(lever.Postings) || ev.Phase == string(lever.Opportunities)) && m.jobs.loaded && !m.sync.following() {
				cmds = append(cmds, m.jobs.refresh())
				break
			}
		}
	case syncDoneMsg:
		cmds = append(cmds, m.jobs.refresh(), m.readSetup())
		// A watch stays on the sync it watched.
		if r := m.sync.snap.Result(); m.page == pageSync && !m.watchOnly && !m.scheduled && (r == syncer.ResultOK || r == syncer.ResultWarnings) {
			m.page = pageJobs
		}
	}
	return m, tea.Batch(cmds...)
}

// readSetup reads the saved setup, unread while another process's sync
// held the file, once that sync has ended.
func (m *Model) readSetup() tea.Cmd {
	if !m.setupUnread || m.loadingSetup || !m.sync.finished || m.cfg.Services == nil {
		return nil
	}
	m.loadingSetup = true
	return loadProgress(m.cfg.Services)
}

// setupLoaded takes the saved setup read after a watched sync: on a set-up
// machine, r now syncs this machine's environment. A failed read is tried
// again with the clock.
func (m Model) setupLoaded(msg progressLoadedMsg) (tea.Model, tea.Cmd) {
	m.loadingSetup = false
	if !m.setupUnread || msg.err != nil {
		return m, nil
	}
	m.setupUnread = false
	m.state = steps.NewState()
	if msg.ok {
		m.state = steps.Resume(msg.state, false)
	}
	m.c.env = m.state.Environment.Title()
	return m, nil
}

// tick moves the clock of the live pages: every second while a sync runs,
// twice a minute otherwise (for "last synced 3 min ago"). A page that could
// not read the data file tries again.
func (m Model) tick(msg clockMsg) (tea.Model, tea.Cmd) {
	if msg.seq != m.clockSeq || m.page == pageWizard {
		return m, nil
	}
	every := 30 * time.Second
	var cmds []tea.Cmd
	if m.sync.active() {
		every = time.Second
		m.c.frames++
		cmds = append(cmds, m.sync.catchUp())
	}
	if m.sync.awaitingFile() || m.setupUnread {
		// Another process's sync ended: read the file as soon as that
		// process lets it go.
		every = time.Second
		cmds = append(cmds, m.sync.readFile(), m.readSetup())
	}
	if m.jobs.loadErr != nil && !m.sync.following() {
		cmds = append(cmds, m.jobs.load())
	}
	return m, tea.Batch(append(cmds, tickClock(m.clockSeq, every))...)
}

func (m Model) keyPress(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	if m.confirmQuit {
		switch {
		case key.Matches(msg, k.Confirm):
			return m.quit()
		case key.Matches(msg, k.Deny):
			m.confirmQuit = false
		}
		return m, nil
	}
	if key.Matches(msg, k.Quit) {
		return m.askQuit()
	}
	switch m.page {
	case pageSync:
		return m.dashboardKey(msg)
	case pageJobs:
		if m.showHelp && key.Matches(msg, k.Back) {
			m.showHelp = false
			return m, nil
		}
		if cmd, ok := m.jobs.key(msg); ok {
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Switch):
			m.page = pageSync
		case key.Matches(msg, k.QuitNow):
			return m.askQuit()
		case key.Matches(msg, k.Help):
			m.showHelp = !m.showHelp
		case key.Matches(msg, k.SyncNow):
			return m, m.startSync()
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.CheckAgain) && m.canCheckAgain():
		next, err := steps.CheckAgain(m.state)
		if err != nil {
			return m, nil
		}
		return m.goTo(next)
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
		return m, nil
	case key.Matches(msg, k.Back):
		if m.showHelp {
			m.showHelp = false
			return m, nil
		}
		if !m.screen.WantsEsc() {
			return m.back()
		}
	}
	return m.toScreen(msg)
}

func (m Model) dashboardKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
	case key.Matches(msg, k.Back):
		m.showHelp = false
	case key.Matches(msg, k.QuitNow):
		return m.askQuit()
	case key.Matches(msg, k.Switch):
		m.page = pageJobs
		if m.sync.following() {
			// The file is the other process's until its sync ends.
			return m, nil
		}
		return m, m.jobs.load()
	case key.Matches(msg, k.Pause):
		return m, m.sync.togglePause()
	case key.Matches(msg, k.Details):
		return m, m.sync.toggleDetails()
	case key.Matches(msg, k.SyncNow) && !m.sync.active() && m.sync.startErr == nil:
		return m, m.startSync()
	case key.Matches(msg, k.Select) && m.sync.startErr != nil:
		// Most often the saved key is gone: paste it again.
		next := m.state
		next.Step, next.Completed, next.Problem = steps.StepPasteKey, false, nil
		return m.goTo(next)
	}
	return m, nil
}

// canCheckAgain: the step the connect step routed a failure to shows its
// diagnosis, and the key is still in memory, so ctrl+r checks it again. The
// connect step handles its own problems.
func (m Model) canCheckAgain() bool {
	p := m.state.Problem
	return m.page == pageWizard && m.state.Step != steps.StepConnect && !m.key.IsZero() &&
		m.c.diagnosisOf(p) != nil && p.Kind != steps.ProblemOtherEnvironment
}

// startSync starts an incremental sync in place, with the saved key.
func (m Model) startSync() tea.Cmd {
	if m.watchOnly {
		m.sync.note = "This only watches: leversync, or leversync sync, syncs again."
		return nil
	}
	if m.scheduled {
		m.sync.note = "The schedule starts the next sync; leversync sync in another terminal syncs now, between runs."
		return nil
	}
	if !m.canSync() {
		return nil
	}
	return m.sync.start(m.state, m.key)
}

// canSync: r starts a sync of this machine's environment; not in a watch,
// nor before a set-up machine's setup has been read.
func (m Model) canSync() bool {
	return !m.watchOnly && !m.scheduled && !m.setupUnread && m.state.Step == steps.StepSync && !m.jobs.browsing()
}

// apply moves to the state a screen answered with, saving progress.
func (m Model) apply(cmd tea.Cmd, mv *move) (tea.Model, tea.Cmd) {
	if mv == nil {
		return m, cmd
	}
	if mv.key != nil {
		m.key = *mv.key
	}
	return m.goTo(mv.state, cmd)
}

func (m Model) goTo(s steps.State, cmds ...tea.Cmd) (tea.Model, tea.Cmd) {
	changed := s.Step != m.state.Step || m.page != pageWizard
	m.state = s
	m.c.env = s.Environment.Title()
	if s.Problem == nil {
		m.c.stopDiagnosis()
	}
	cmds = append(cmds, saveProgress(m.cfg.Services, s))
	switch {
	case s.Step == steps.StepSync:
		// The wizard's last step: the dashboard, with the sync starting.
		m.page, m.screen = pageSync, nil
		cmds = append(cmds, m.sync.start(s, m.key))
	case changed:
		m.page = pageWizard
		m.screen = m.newScreen(s)
		cmds = append(cmds, m.screen.Init())
	}
	return m, tea.Batch(cmds...)
}

func (m Model) back() (tea.Model, tea.Cmd) {
	prev := steps.Back(m.state)
	if prev.Step == m.state.Step {
		return m, nil
	}
	return m.goTo(prev)
}

// askQuit quits at once when nothing would be lost: on a page with no sync
// of this process running (another process's sync goes on without its
// watchers). Otherwise it asks first.
func (m Model) askQuit() (tea.Model, tea.Cmd) {
	if m.page != pageWizard && (!m.sync.active() || m.sync.following()) {
		return m.quit()
	}
	m.confirmQuit = true
	m.showHelp = false
	return m, nil
}

// quit stops background work; progress was saved after every step, and a
// sync stops at its page boundary.
func (m Model) quit() (tea.Model, tea.Cmd) {
	m.quitting = true
	m.cancel()
	return m, tea.Quit
}

// View draws the header, the screen or page, and the key help.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "leversync: " + m.title()
	v.ProgressBar = m.progressBar()
	return v
}

// title is what the header and the window call the current screen.
func (m Model) title() string {
	switch m.page {
	case pageSync:
		if m.sync.watched {
			return "Watch"
		}
		return "Sync"
	case pageJobs:
		return "Jobs"
	}
	return m.state.Step.Header()
}

// progressBar mirrors the sync in the terminal's own progress indicator:
// a share when an estimate exists, busy otherwise, a warning while paused,
// an error when it failed.
func (m Model) progressBar() *tea.ProgressBar {
	s := m.sync
	switch {
	case s.startErr != nil || s.failed() != "":
		return tea.NewProgressBar(tea.ProgressBarError, 100)
	case !s.active():
		return nil
	}
	share := -1
	if left, ok := s.snap.EstimateLeft(m.c.now().UnixMilli()); ok {
		share = int(left.Share() * 100)
	}
	switch {
	case s.snap.Paused:
		return tea.NewProgressBar(tea.ProgressBarWarning, max(share, 0))
	case share >= 0:
		return tea.NewProgressBar(tea.ProgressBarDefault, share)
	}
	return tea.NewProgressBar(tea.ProgressBarIndeterminate, 0)
}

func (m Model) render() string {
	st := m.c.styles
	w, h := m.c.width+2, m.c.height+4
	if m.quitting {
		return ""
	}
	if w < MinWidth || h < MinHeight {
		msg := fmt.Sprintf("This terminal is %dx%d.\nleversync needs at least %dx%d.\nEnlarge the window to continue\n(ctrl+c quits).", w, h, MinWidth, MinHeight)
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, st.Text.Width(max(w-2, 10)).Align(lipgloss.Center).Render(msg))
	}

	header := m.header()
	footer := m.footer()
	room := h - lipgloss.Height(header) - lipgloss.Height(footer)
	var body string
	switch {
	case m.confirmQuit:
		body = m.quitDialog()
	case m.page == pageSync:
		body = m.dash.View(m.c.width, room)
	case m.page == pageJobs && m.sync.following() && !m.jobs.loaded && !m.jobs.browsing():
		body = m.c.para(st.Muted, "Another process is syncing the data file and holds it until its sync ends; the jobs show here then. tab shows that sync live.")
	case m.page == pageJobs:
		body = m.jobs.View()
	default:
		body = m.screen.View()
		if d := m.c.diagnosisView(room - lipgloss.Height(body) - 1); d != "" {
			body = join(body, d)
		}
	}

	// Keep the footer at the bottom; cut a body that does not fit, so a
	// small terminal never scrolls or wraps into garbage.
	body = clip(body, room)
	gap := max(room-lipgloss.Height(body), 0)
	return frame(m.c.width, header+"\n"+body+strings.Repeat("\n", gap)+"\n"+footer)
}

// frame sets the screen's lines in from the edge by a cell, each cut to
// width. Measuring a styled line is most of what drawing costs, so a line
// is measured only when it may be too wide.
func frame(width int, s string) string {
	var b strings.Builder
	b.Grow(len(s) + strings.Count(s, "\n") + 1)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte(' ')
		if maxWidth(line) > width {
			line = ansi.Truncate(line, width, "")
		}
		b.WriteString(line)
	}
	return b.String()
}

// maxWidth is at least the cells s takes: its runes outside escape
// sequences, counting two for any that is not ASCII.
func maxWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
		case c < 0x80:
			n++
		case c >= 0xc0:
			n += 2 // the first byte of a rune that may be wide
		}
	}
	return n
}

// skipEscape returns the index of the last byte of the escape sequence
// that starts at s[i]: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST),
// or a two-byte escape.
func skipEscape(s string, i int) int {
	if i+1 >= len(s) {
		return i
	}
	switch s[i+1] {
	case '[':
		for j := i + 2; j < len(s); j++ {
			if s[j] >= 0x40 && s[j] <= 0x7e {
				return j
			}
		}
	case ']':
		for j := i + 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 1
			}
		}
	default:
		return i + 1
	}
	return len(s) - 1
}

func (m Model) header() string {
	st := m.c.styles
	var left, right string
	switch {
	case m.asksProfile():
		left = st.Ink.Header.Render("leversync") + st.Ink.Muted.Render("  ·  ") + st.Ink.Title.Render("Profile")
	case m.page == pageWizard:
		left = st.Ink.Header.Render("leversync") + st.Ink.Muted.Render("  ·  ") +
			st.Ink.Muted.Render(fmt.Sprintf("Step %d of %d", m.state.Step.Number(), steps.Total)) +
			st.Ink.Muted.Render("  ·  ") + st.Ink.Title.Render(m.state.Step.Title())
	default:
		left = st.Ink.Header.Render("leversync") + st.Ink.Muted.Render("  ·  ") + st.Ink.Title.Render(m.title())
		right = m.indicator()
		if m.page == pageJobs {
			left, right = m.profileHeader(left, right)
		}
	}
	if m.cfg.Demo {
		if right != "" {
			right += st.Ink.Muted.Render("  ·  ")
		}
		right += st.Ink.Warn.Render("demo")
	}
	right = truncate(right, max(m.c.width-lipgloss.Width(left)-2, 0))
	gap := max(m.c.width-lipgloss.Width(left)-lipgloss.Width(right), 1)
	line := left + strings.Repeat(" ", gap) + right
	return line + "\n" + m.c.rule()
}

// indicator is the header's word on the sync: syncing, up to date, or
// failed, offering leversync doctor.
func (m Model) indicator() string {
	st := m.c.styles
	s := m.sync
	switch {
	case s.starting:
		return st.Ink.Muted.Render("Starting the sync…")
	case s.failed() != "":
		// leversync doctor checks what a failed sync depends on and says
		// what to do; it comes before the error, which may be cut.
		return st.Ink.Bad.Render("Last sync failed") + st.Ink.Muted.Render(" · ") + st.Ink.Em.Render("run leversync doctor") +
			st.Ink.Muted.Render(" · ") + st.Ink.Text.Render(firstLine(s.failed()))
	case s.active() && s.snap.Paused:
		return st.Ink.Warn.Render("Paused") + st.Ink.Muted.Render(" · "+progress.Count(s.candidates(), "candidate", "candidates")+" so far")
	case s.active():
		return st.Ink.Cursor.Render("Syncing") + st.Ink.Muted.Render(" · "+progress.Count(s.candidates(), "candidate", "candidates")+" so far")
	case s.finished && s.snap.Result() == syncer.ResultInterrupted:
		return st.Ink.Warn.Render("Sync stopped") + st.Ink.Muted.Render(" · the next run resumes it")
	}
	last := s.snap.Run.FinishedAt
	if !s.finished || last == 0 {
		last = 0
		if s.file != nil && s.file.LastRun != nil {
			last = s.file.LastRun.FinishedAt
		}
	}
	if last == 0 {
		return ""
	}
	return st.Ink.Ok.Render("Up to date") + st.Ink.Muted.Render(" · last synced "+ago(m.c.now().Sub(time.UnixMilli(last))))
}

// ago is a past span as people say it: "just now", "3 min ago".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (m Model) footer() string {
	st := m.c.styles
	if m.confirmQuit {
		return st.Help.Render("y quit · n stay")
	}
	var status string
	if m.saveErr != nil {
		status = m.c.para(st.Warn, "progress not saved: "+m.saveErr.Error()) + "\n"
	}
	bindings := append(m.bindings(), m.globalBindings()...)
	if m.showHelp {
		return status + m.help.FullHelpView(columns(bindings, 4))
	}
	return status + m.c.shortHelp(m.help, bindings)
}

// shortHelp is the one-line key help, kept while the keys stay the same:
// the pages redraw often, their keys seldom change.
func (c *common) shortHelp(h help.Model, bindings []key.Binding) string {
	var sig strings.Builder
	sig.WriteString(strconv.Itoa(h.Width()) + "\x00")
	for _, b := range bindings {
		sig.WriteString(b.Help().Key + "\x00" + b.Help().Desc + "\x00")
	}
	if c.helpLine.sig != sig.String() || c.helpLine.styles != c.styles.isDark {
		c.helpLine.sig, c.helpLine.styles = sig.String(), c.styles.isDark
		c.helpLine.text = h.ShortHelpView(bindings)
	}
	return c.helpLine.text
}

// rule is the line under the header, kept per width.
func (c *common) rule() string {
	if c.ruleLine.width != c.width || c.ruleLine.styles != c.styles.isDark {
		c.ruleLine.width, c.ruleLine.styles = c.width, c.styles.isDark
		c.ruleLine.text = c.styles.Ink.Muted.Render(strings.Repeat("─", c.width))
	}
	return c.ruleLine.text
}

// bindings are the current screen's or page's keys.
func (m Model) bindings() []key.Binding {
	k := m.c.keys
	switch m.page {
	case pageSync:
		if m.sync.startErr != nil {
			return []key.Binding{relabel(k.Select, "paste the key again"), relabel(k.Switch, "jobs")}
		}
		var b []key.Binding
		switch {
		case m.sync.following():
		case m.sync.active():
			pause := k.Pause
			if m.sync.snap.Paused {
				pause = relabel(pause, "resume")
			}
			b = append(b, pause, k.Details)
		case m.canSync():
			b = append(b, k.SyncNow)
		}
		return append(b, relabel(k.Switch, "jobs"))
	case pageJobs:
		b := m.jobs.Bindings()
		if !m.canSync() {
			b = slices.DeleteFunc(b, func(b key.Binding) bool { return b.Help() == k.SyncNow.Help() })
		}
		return append(b, relabel(k.Switch, "dashboard"))
	}
	if m.canCheckAgain() {
		return append(m.screen.Bindings(), k.CheckAgain)
	}
	return m.screen.Bindings()
}

func (m Model) globalBindings() []key.Binding {
	k := m.c.keys
	quit := k.QuitNow
	if m.sync.following() {
		quit = relabel(quit, "leave (the sync goes on)")
	}
	switch m.page {
	case pageSync:
		return []key.Binding{k.Help, quit}
	case pageJobs:
		if m.jobs.typing() {
			return []key.Binding{k.Quit}
		}
		if m.jobs.profiles != nil && m.jobs.view != viewProfiles {
			// Last: a narrow terminal's help line drops it first.
			return []key.Binding{k.Help, quit, k.Profiles}
		}
		return []key.Binding{k.Help, quit}
	}
	out := []key.Binding{}
	if m.state.Step != steps.StepPrerequisite && !m.screen.WantsEsc() {
		out = append(out, k.Back)
	}
	return append(out, k.Help, k.Quit)
}

func (m Model) quitDialog() string {
	st := m.c.styles
	text := "Your progress is saved: run leversync again to continue from this step."
	if m.page != pageWizard {
		text = "The sync stops after the page it is writing; the next run resumes where it stopped."
	}
	msg := st.Em.Render("Quit leversync?") + "\n\n" + st.Text.Render(text) + "\n\n" + st.Muted.Render("y: quit    n or esc: stay")
	return st.Dialog.Width(min(m.c.width, 64)).Render(msg)
}

// columns splits bindings into groups of n for the full help view.
func columns(b []key.Binding, n int) [][]key.Binding {
	var out [][]key.Binding
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// clip cuts s to at most n lines.
func clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "\n")
}
