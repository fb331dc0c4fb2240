package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/steps"
)

// authMethod is step 4: the API key; "Use my credentials" is shown as
// planned and cannot be chosen.
type authMethod struct {
	c     *common
	state steps.State
	err   error
}

func newAuthMethod(c *common, s steps.State) screen { return &authMethod{c: c, state: s} }

func (a *authMethod) Init() tea.Cmd { return nil }

func (a *authMethod) Update(msg tea.Msg) (tea.Cmd, *move) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	switch {
	case key.Matches(k, a.c.keys.Select):
		next, err := steps.AnswerAuthMethod(a.state, steps.AuthAPIKey)
		if err != nil {
			a.err = err
			return nil, nil
		}
		return nil, &move{state: next}
	case key.Matches(k, a.c.keys.Down), key.Matches(k, a.c.keys.Up):
		// The only other method is not selectable yet; say so.
		_, a.err = steps.AnswerAuthMethod(a.state, steps.AuthCredentials)
	}
	return nil, nil
}

func (a *authMethod) View() string {
	st := a.c.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("How will leversync sign in to Lever?") + "\n\n")
	b.WriteString(st.Cursor.Render("> ") + st.Selected.Render(steps.AuthAPIKey.Title()) + "\n")
	b.WriteString("    " + st.Muted.Render("A Lever API key, made by a Super Admin in Lever's settings.") + "\n\n")
	b.WriteString("  " + st.Disabled.Render(steps.AuthCredentials.Title()+"  (planned, not available yet)") + "\n")
	b.WriteString("    " + st.Disabled.Render("Signing in with your Lever user name and password."))
	return join(b.String(), a.c.errorView(a.err))
}

func (a *authMethod) Bindings() []key.Binding {
	return []key.Binding{relabel(a.c.keys.Select, "use an API key")}
}

func (a *authMethod) WantsEsc() bool { return false }
