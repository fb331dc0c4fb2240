package ui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/leversync/leversync/lever"
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
}

// common is what every screen shares: styles, keys, size and mode.
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

// Model is the wizard's root model. It owns the screen.
type Model struct {
	cfg    Config
	c      *common
	state  steps.State
	key    lever.APIKey // only in memory
	screen screen

	ctx    context.Context
	cancel context.CancelFunc

	help        help.Model
	showHelp    bool
	confirmQuit bool
	quitting    bool
	saveErr     error
	ready       bool // a window size arrived
}

// NewModel is the wizard at state initial (resumed: a completed setup opens
// on the sync view, a connect step without a key on the paste step).
func NewModel(cfg Config, initial steps.State) Model {
	if initial.Version == 0 {
		initial = steps.NewState()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := Model{
		cfg: cfg,
		c: &common{
			styles:  NewStyles(true),
			keys:    DefaultKeyMap(),
			width:   80 - 2,
			height:  24 - 4,
			demo:    cfg.Demo,
			demoKey: cfg.DemoKey,
		},
		state:  steps.Resume(initial, false),
		ctx:    ctx,
		cancel: cancel,
		help:   help.New(),
	}
	m.help.Styles = help.DefaultStyles(true)
	m.screen = m.newScreen(m.state)
	return m
}

// Init asks for the background color and starts the first screen.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.screen.Init())
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
	case steps.StepConnect:
		return newConnect(m.c, m.ctx, m.cfg.Services, s, m.key)
	default:
		return newSync(m.c, m.ctx, m.cfg.Services, s, m.key)
	}
}

// Update routes a message: window and color changes to everyone, the
// global keys (ctrl+c, ?, esc) first, then the current screen.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ready = true
		m.c.width = max(msg.Width-2, 1)
		m.c.height = max(msg.Height-4, 1)
		m.help.SetWidth(m.c.width - 2)
		cmd, mv := m.screen.Update(msg)
		return m.apply(cmd, mv)
	case tea.BackgroundColorMsg:
		m.c.background = &msg
		m.c.styles = NewStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		cmd, mv := m.screen.Update(msg)
		return m.apply(cmd, mv)
	case progressSavedMsg:
		m.saveErr = msg.err
		return m, nil
	case tea.PasteMsg:
		if m.confirmQuit {
			return m, nil
		}
		// Pastes go to the focused input; a screen without one ignores it.
		cmd, mv := m.screen.Update(msg)
		return m.apply(cmd, mv)
	case tea.KeyPressMsg:
		if m.confirmQuit {
			switch {
			case key.Matches(msg, m.c.keys.Confirm):
				return m.quit()
			case key.Matches(msg, m.c.keys.Deny):
				m.confirmQuit = false
			}
			return m, nil
		}
		switch {
		case key.Matches(msg, m.c.keys.Quit):
			m.confirmQuit = true
			m.showHelp = false
			return m, nil
		case key.Matches(msg, m.c.keys.Help):
			m.showHelp = !m.showHelp
			return m, nil
		case key.Matches(msg, m.c.keys.Back):
			if m.showHelp {
				m.showHelp = false
				return m, nil
			}
			if !m.screen.WantsEsc() {
				return m.back()
			}
		}
	}
	cmd, mv := m.screen.Update(msg)
	return m.apply(cmd, mv)
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
	changed := s.Step != m.state.Step
	m.state = s
	cmds = append(cmds, saveProgress(m.cfg.Services, s))
	if changed {
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

// quit stops background work; progress was saved after every step.
func (m Model) quit() (tea.Model, tea.Cmd) {
	m.quitting = true
	m.cancel()
	return m, tea.Quit
}

// View draws the header, the screen and the key help.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "leversync: " + m.state.Step.Header()
	return v
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
	body := m.screen.View()
	if m.confirmQuit {
		body = m.quitDialog()
	}
	footer := m.footer()

	// Keep the footer at the bottom; cut a body that does not fit, so a
	// small terminal never scrolls or wraps into garbage.
	room := h - lipgloss.Height(header) - lipgloss.Height(footer)
	body = clip(lipgloss.NewStyle().MaxWidth(m.c.width).Render(body), room)
	gap := max(room-lipgloss.Height(body), 0)
	out := header + "\n" + body + strings.Repeat("\n", gap) + "\n" + footer
	return st.App.Render(out)
}

func (m Model) header() string {
	st := m.c.styles
	left := st.Header.Render("leversync") + st.Muted.Render("  ·  ") +
		st.StepCount.Render(fmt.Sprintf("Step %d of %d", m.state.Step.Number(), steps.Total)) +
		st.Muted.Render("  ·  ") + st.Title.Render(m.state.Step.Title())
	right := ""
	if m.cfg.Demo {
		right = st.Warn.Render("demo")
	}
	gap := max(m.c.width-lipgloss.Width(left)-lipgloss.Width(right), 1)
	line := left + strings.Repeat(" ", gap) + right
	rule := st.Muted.Render(strings.Repeat("─", m.c.width))
	return line + "\n" + rule
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
	bindings := append(m.screen.Bindings(), m.globalBindings()...)
	fit := lipgloss.NewStyle().MaxWidth(m.c.width)
	if m.showHelp {
		return status + fit.Render(m.help.FullHelpView(columns(bindings, 4)))
	}
	return status + fit.Render(m.help.ShortHelpView(bindings))
}

func (m Model) globalBindings() []key.Binding {
	k := m.c.keys
	out := []key.Binding{}
	if m.state.Step != steps.StepPrerequisite && m.state.Step != steps.StepSync && !m.screen.WantsEsc() {
		out = append(out, k.Back)
	}
	return append(out, k.Help, k.Quit)
}

func (m Model) quitDialog() string {
	st := m.c.styles
	msg := st.Em.Render("Quit leversync?") + "\n\n" +
		st.Text.Render("Your progress is saved: run leversync again to continue from this step.") + "\n\n" +
		st.Muted.Render("y: quit    n or esc: stay")
	if m.state.Step == steps.StepSync {
		msg = st.Em.Render("Quit leversync?") + "\n\n" +
			st.Text.Render("The sync stops after the page it is writing; the next run resumes where it stopped.") + "\n\n" +
			st.Muted.Render("y: quit    n or esc: stay")
	}
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
