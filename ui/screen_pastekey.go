package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/steps"
)

// pasteKey is step 8: a masked input for the key. A bracketed paste arrives
// whole (newlines turned into spaces by the input) and is trimmed; obvious
// mistakes are caught before any request.
type pasteKey struct {
	c     *common
	state steps.State
	input textinput.Model
	err   error
}

func newPasteKey(c *common, s steps.State) screen {
	ti := textinput.New()
	ti.Prompt = "API key: "
	ti.Placeholder = "paste the key here"
	ti.EchoMode = textinput.EchoPassword
	ti.EchoCharacter = '•'
	ti.CharLimit = 512
	ti.SetWidth(max(min(c.width-14, 60), 10))
	if c.demo && c.demoKey != "" {
		ti.SetValue(c.demoKey)
	}
	return &pasteKey{c: c, state: s, input: ti}
}

func (p *pasteKey) Init() tea.Cmd { return p.input.Focus() }

func (p *pasteKey) Update(msg tea.Msg) (tea.Cmd, *move) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.input.SetWidth(max(min(p.c.width-14, 60), 10))
		return nil, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, p.c.keys.Select) {
			next, k, err := steps.AnswerPasteKey(p.state, p.input.Value())
			if err != nil {
				p.err = err
				return nil, nil
			}
			return nil, &move{state: next, key: &k}
		}
	case tea.PasteMsg:
		// A pasted key often carries a newline or spaces around it.
		msg.Content = strings.TrimSpace(msg.Content)
		p.err = nil
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(msg)
		return cmd, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd, nil
}

func (p *pasteKey) View() string {
	st := p.c.styles
	intro := p.c.para(st.Text, "Paste the key you copied from Lever. It stays hidden on screen, and is kept only in your OS keyring or a private file, never in the data file.")
	var demo string
	if p.c.demo && p.c.demoKey != "" {
		demo = p.c.para(st.Warn, "Demo: the built-in fake Lever's demo key is filled in for you. It is not a secret:") +
			"\n" + st.Code.Render(p.c.demoKey)
	}
	field := st.Input.Render(p.input.View())
	hint := st.Muted.Render("Press enter to connect. Paste with your terminal's paste (e.g. ctrl+shift+v or cmd+v); ctrl+v reads the clipboard.")
	return join(p.c.problemView(p.state.Problem), intro, demo, field, p.c.errorView(p.err), p.c.para(st.Muted, hint))
}

func (p *pasteKey) Bindings() []key.Binding {
	return []key.Binding{relabel(p.c.keys.Select, "connect")}
}

func (p *pasteKey) WantsEsc() bool { return false }
