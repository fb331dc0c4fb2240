package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/steps"
)

// provider is step 3: a searchable list of ATS providers; type to filter.
type provider struct {
	c      *common
	state  steps.State
	filter textinput.Model
	shown  []steps.Provider
	cursor int
	err    error
}

func newProvider(c *common, s steps.State) screen {
	ti := textinput.New()
	ti.Prompt = "Search: "
	ti.Placeholder = "type to filter, e.g. lever"
	ti.CharLimit = 40
	ti.SetWidth(30)
	p := &provider{c: c, state: s, filter: ti}
	p.refilter()
	for i, pr := range p.shown {
		if pr.ID == s.Provider {
			p.cursor = i
		}
	}
	return p
}

func (p *provider) Init() tea.Cmd { return p.filter.Focus() }

func (p *provider) refilter() {
	p.shown = steps.FilterProviders(p.filter.Value())
	p.cursor = 0
	// Keep Lever highlighted when it is in the list.
	for i, pr := range p.shown {
		if pr.Supported {
			p.cursor = i
			break
		}
	}
}

func (p *provider) Update(msg tea.Msg) (tea.Cmd, *move) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if _, paste := msg.(tea.PasteMsg); paste {
			var cmd tea.Cmd
			p.filter, cmd = p.filter.Update(msg)
			p.refilter()
			return cmd, nil
		}
		return nil, nil
	}
	keys := p.c.keys
	switch {
	case key.Matches(k, keys.Up):
		p.cursor = max(p.cursor-1, 0)
		p.err = nil
		return nil, nil
	case key.Matches(k, keys.Down):
		p.cursor = min(p.cursor+1, max(len(p.shown)-1, 0))
		p.err = nil
		return nil, nil
	case key.Matches(k, keys.ClearFilter):
		p.filter.SetValue("")
		p.refilter()
		return nil, nil
	case key.Matches(k, keys.Select):
		if len(p.shown) == 0 {
			return nil, nil
		}
		next, err := steps.AnswerProvider(p.state, p.shown[p.cursor].ID)
		if err != nil {
			p.err = err
			return nil, nil
		}
		return nil, &move{state: next}
	}
	before := p.filter.Value()
	var cmd tea.Cmd
	p.filter, cmd = p.filter.Update(msg)
	if p.filter.Value() != before {
		p.err = nil
		p.refilter()
	}
	return cmd, nil
}

func (p *provider) View() string {
	st := p.c.styles
	intro := p.c.para(st.Text, "Find Lever in the list of applicant tracking systems. The others are listed so you know they are on the way; they cannot be chosen yet.")
	var b strings.Builder
	b.WriteString(p.filter.View())
	b.WriteString("\n\n")
	if len(p.shown) == 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("No provider matches %q. esc clears the search.", p.filter.Value())))
	}
	// Show a window of the list around the cursor when space is short.
	room := max(p.c.height-7, 3)
	start := 0
	if p.cursor >= room {
		start = p.cursor - room + 1
	}
	for i := start; i < len(p.shown) && i < start+room; i++ {
		pr := p.shown[i]
		cursor := "  "
		if i == p.cursor {
			cursor = st.Cursor.Render("> ")
		}
		name := st.Text.Render(pr.Name)
		if i == p.cursor {
			name = st.Selected.Render(pr.Name)
		}
		note := st.Ok.Render("supported")
		if !pr.Supported {
			name = st.Disabled.Render(pr.Name)
			note = st.Disabled.Render("not supported yet")
		}
		fmt.Fprintf(&b, "%s%-*s  %s\n", cursor, 22+len(name)-len(pr.Name), name, note)
	}
	if more := len(p.shown) - (start + room); more > 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  … %d more: type to filter", more)))
	}
	return join(intro, strings.TrimRight(b.String(), "\n"), p.c.errorView(p.err))
}

func (p *provider) Bindings() []key.Binding {
	k := p.c.keys
	b := []key.Binding{k.Up, k.Down, k.Select}
	if p.WantsEsc() {
		b = append(b, k.ClearFilter)
	}
	return b
}

// WantsEsc: esc clears a search before it means back.
func (p *provider) WantsEsc() bool { return p.filter.Value() != "" }
