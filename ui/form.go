package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/leversync/leversync/steps"
)

// formScreen is a step drawn as an embedded huh form. build makes the form
// from the state (so a refused answer is shown again as given), finish
// reads the completed form and applies the step's transition.
type formScreen struct {
	c      *common
	state  steps.State
	build  func(c *common, s steps.State) *huh.Form
	finish func(f *huh.Form, s steps.State) (steps.State, error)
	// intro and extra are drawn above and below the form.
	intro func(c *common, s steps.State) string
	extra func(c *common, s steps.State) string
	// onResize adjusts fields that size themselves to the terminal.
	onResize func(c *common)

	form *huh.Form
	err  error
	// focused is the field focused when the background was last handed on.
	focused huh.Field
}

func newFormScreen(c *common, s steps.State,
	build func(*common, steps.State) *huh.Form,
	finish func(*huh.Form, steps.State) (steps.State, error),
	intro func(*common, steps.State) string,
) *formScreen {
	f := &formScreen{c: c, state: s, build: build, finish: finish, intro: intro}
	f.form = f.make(s)
	return f
}

func (f *formScreen) make(s steps.State) *huh.Form {
	form := f.build(f.c, s).
		WithShowHelp(false).
		WithShowErrors(true).
		WithTheme(f.c.styles.FormTheme()).
		WithWidth(f.c.width)
	f.focused = nil
	f.handBackground(form)
	return form
}

// handBackground gives form the terminal's background colour, which a form
// built after start-up never receives itself. A form passes it only to the
// group on screen, so it is handed on again when focus reaches another
// group.
func (f *formScreen) handBackground(form *huh.Form) {
	if f.c.background == nil || form.GetFocusedField() == f.focused {
		return
	}
	f.focused = form.GetFocusedField()
	form.Update(*f.c.background)
}

func (f *formScreen) Init() tea.Cmd { return f.form.Init() }

func (f *formScreen) Update(msg tea.Msg) (tea.Cmd, *move) {
	if _, ok := msg.(tea.WindowSizeMsg); ok {
		// Reflow at the new width; the form keeps its answers. The form
		// sizes its groups to fit the content area, not the terminal.
		f.form = f.form.WithWidth(f.c.width)
		if f.onResize != nil {
			f.onResize(f.c)
		}
		msg = tea.WindowSizeMsg{Width: f.c.width, Height: f.c.height}
	}
	m, cmd := f.form.Update(msg)
	if form, ok := m.(*huh.Form); ok {
		f.form = form
	}
	f.handBackground(f.form)
	if f.form.State != huh.StateCompleted {
		return cmd, nil
	}
	next, err := f.finish(f.form, f.state)
	if err != nil {
		// Show the refusal with the form again, answers kept.
		f.err = err
		f.state = next
		f.form = f.make(next)
		return f.form.Init(), nil
	}
	return cmd, &move{state: next}
}

func (f *formScreen) View() string {
	var intro, extra string
	if f.intro != nil {
		intro = f.intro(f.c, f.state)
	}
	if f.extra != nil {
		extra = f.extra(f.c, f.state)
	}
	// A refusal goes first, where a tall form cannot push it off screen.
	return join(f.c.problemView(f.state.Problem), f.c.errorView(f.err), intro, f.form.View(), extra)
}

func (f *formScreen) Bindings() []key.Binding {
	k := f.c.keys
	switch f.form.GetFocusedField().(type) {
	case *huh.MultiSelect[string]:
		return []key.Binding{k.Up, k.Down, relabel(k.Toggle, "tick"), relabel(k.Select, "done")}
	case *huh.Confirm:
		return []key.Binding{key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "yes or no")), k.Select}
	}
	return []key.Binding{k.Up, k.Down, k.Select}
}

func (f *formScreen) WantsEsc() bool { return false }
