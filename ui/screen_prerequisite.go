package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/leversync/leversync/steps"
)

// prerequisite is step 1: admin rights and the Super Admin role, with a
// hand-off text for someone who has to ask an admin.
type prerequisite struct {
	*formScreen
	handoff bool
	copied  bool
}

func newPrerequisite(c *common, s steps.State) screen {
	build := func(c *common, s steps.State) *huh.Form {
		return huh.NewForm(huh.NewGroup(
			huh.NewSelect[string]().Key("admin").
				Title("Do you have administrator rights in Lever?").
				Description("Open Settings in Lever; if you see Integrations and API on the left, you have them.").
				Options(answerOptions()...).
				Value(ptr(string(s.Admin))),
			huh.NewSelect[string]().Key("super").
				Title("Are you a Lever Super Admin?").
				Description("Only a Lever Super Admin can generate API keys.").
				Options(answerOptions()...).
				Value(ptr(string(s.SuperAdmin))),
		))
	}
	finish := func(f *huh.Form, s steps.State) (steps.State, error) {
		return steps.AnswerPrerequisite(s, steps.Answer(f.GetString("admin")), steps.Answer(f.GetString("super")))
	}
	intro := func(c *common, _ steps.State) string {
		return c.para(c.styles.Text, "leversync connects your Lever account with an API key. Making one takes a Lever Super Admin; these questions check that first.")
	}
	return &prerequisite{formScreen: newFormScreen(c, s, build, finish, intro)}
}

func answerOptions() []huh.Option[string] {
	var out []huh.Option[string]
	for _, a := range steps.Answers {
		out = append(out, huh.NewOption(a.Title(), string(a)))
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func (p *prerequisite) Update(msg tea.Msg) (tea.Cmd, *move) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case p.handoff && key.Matches(k, p.c.keys.Copy):
			p.copied = true
			return tea.SetClipboard(steps.HandoffText(p.state)), nil
		case key.Matches(k, p.c.keys.Handoff), p.handoff && key.Matches(k, p.c.keys.Back):
			p.handoff = !p.handoff
			p.copied = false
			return nil, nil
		case p.handoff:
			return nil, nil
		}
	}
	return p.formScreen.Update(msg)
}

func (p *prerequisite) View() string {
	if !p.handoff {
		return join(p.formScreen.View(), p.c.styles.Muted.Render("Not an admin, or not sure? Press h for a short note to send one."))
	}
	st := p.c.styles
	hint := st.Muted.Render("A note for a Lever Super Admin; it holds no secret. c copies it, h or esc closes it.")
	if p.copied {
		hint = st.Ok.Render("Copied to the clipboard (if your terminal allows it). ") + st.Muted.Render("h closes it.")
	}
	note := st.Notice.Render(st.Text.Width(p.c.width - 2).Render(strings.TrimRight(steps.HandoffText(p.state), "\n")))
	return note + "\n\n" + p.c.para(st.Muted, hint)
}

func (p *prerequisite) Bindings() []key.Binding {
	if p.handoff {
		return []key.Binding{p.c.keys.Copy, p.c.keys.Handoff}
	}
	return append(p.formScreen.Bindings(), p.c.keys.Handoff)
}

// WantsEsc closes the hand-off note before anything else.
func (p *prerequisite) WantsEsc() bool { return p.handoff }
