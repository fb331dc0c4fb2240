package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/steps"
)

// createKey is step 7: the exact clicks in Lever, as a checklist the user
// ticks. Enter ticks the highlighted click and moves on; once every click
// is ticked, Enter goes to the paste step.
type createKey struct {
	c      *common
	state  steps.State
	cursor int
	err    error
}

func newCreateKey(c *common, s steps.State) screen {
	ck := &createKey{c: c, state: s}
	ck.cursor = ck.firstUnticked()
	return ck
}

func (ck *createKey) firstUnticked() int {
	for i, it := range steps.CreateKeyChecklist(ck.state) {
		if !ck.state.Ticked(it.ID) {
			return i
		}
	}
	return len(steps.CreateKeyChecklist(ck.state)) - 1
}

func (ck *createKey) Init() tea.Cmd { return nil }

func (ck *createKey) Update(msg tea.Msg) (tea.Cmd, *move) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	items := steps.CreateKeyChecklist(ck.state)
	keys := ck.c.keys
	switch {
	case key.Matches(k, keys.Up):
		ck.cursor = max(ck.cursor-1, 0)
	case key.Matches(k, keys.Down):
		ck.cursor = min(ck.cursor+1, len(items)-1)
	case key.Matches(k, keys.Toggle):
		ck.state = steps.ToggleTick(ck.state, items[ck.cursor].ID)
		ck.err = nil
		return nil, &move{state: ck.state}
	case key.Matches(k, keys.TickAll):
		for _, it := range steps.Unticked(ck.state) {
			ck.state = steps.ToggleTick(ck.state, it.ID)
		}
		ck.err = nil
		return nil, &move{state: ck.state}
	case key.Matches(k, keys.Select):
		if len(steps.Unticked(ck.state)) == 0 {
			next, err := steps.AnswerCreateKey(ck.state)
			if err != nil {
				ck.err = err
				return nil, nil
			}
			return nil, &move{state: next}
		}
		if !ck.state.Ticked(items[ck.cursor].ID) {
			ck.state = steps.ToggleTick(ck.state, items[ck.cursor].ID)
		}
		ck.cursor = ck.firstUnticked()
		ck.err = nil
		return nil, &move{state: ck.state}
	}
	return nil, nil
}

func (ck *createKey) View() string {
	st := ck.c.styles
	items := steps.CreateKeyChecklist(ck.state)
	var intro string
	if ck.state.Problem == nil {
		intro = ck.c.para(st.Text, "Do these in Lever, in your browser, and tick each one here (enter or space):")
	}
	var b strings.Builder
	for i, it := range items {
		cursor := "  "
		if i == ck.cursor {
			cursor = st.Cursor.Render("> ")
		}
		box := st.Muted.Render("[ ]")
		text := st.Text.Render(it.Text)
		if ck.state.Ticked(it.ID) {
			box = st.Ok.Render("[x]")
			text = st.Muted.Render(it.Text)
		}
		if i == ck.cursor {
			text = st.Selected.Render(it.Text)
		}
		fmt.Fprintf(&b, "%s%s %2d. %s\n", cursor, box, i+1, text)
	}
	list := strings.TrimRight(b.String(), "\n")

	var perms string
	if ck.state.Access == steps.Custom || ck.state.Problem != nil && len(ck.state.Problem.Missing) > 0 {
		perms = ck.permissionList()
	}
	done := ""
	if len(steps.Unticked(ck.state)) == 0 {
		done = st.Ok.Render("All done. Press enter to paste the key.")
	}
	return join(ck.c.problemView(ck.state.Problem), intro, list, perms, done, ck.c.errorView(ck.err))
}

// permissionList names the permissions to tick: the chosen ones, with the
// ones the last key lacked marked.
func (ck *createKey) permissionList() string {
	st := ck.c.styles
	var missing map[string]bool
	if ck.state.Problem != nil {
		missing = map[string]bool{}
		for _, n := range ck.state.Problem.Missing {
			missing[n] = true
		}
	}
	var names []string
	for _, p := range steps.RequiredPermissions(ck.state) {
		n := p.Name
		if missing[n] {
			n = st.Bad.Render(n + " (missing)")
		}
		if ck.state.Access == steps.Custom || missing[p.Name] {
			names = append(names, n)
		}
	}
	title := "Permissions to tick:"
	if ck.state.Access != steps.Custom {
		title = "Make sure the new key has:"
	}
	return ck.c.para(st.Em, title) + "\n" + ck.c.para(st.Text, strings.Join(names, ", "))
}

func (ck *createKey) Bindings() []key.Binding {
	k := ck.c.keys
	return []key.Binding{k.Toggle, relabel(k.Select, "tick / continue"), k.TickAll}
}

func (ck *createKey) WantsEsc() bool { return false }
