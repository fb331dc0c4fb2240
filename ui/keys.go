package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the wizard answers to, in one place.
type KeyMap struct {
	Up, Down     key.Binding
	Select       key.Binding
	Toggle       key.Binding
	Back         key.Binding
	Help         key.Binding
	Quit         key.Binding
	Confirm      key.Binding
	Deny         key.Binding
	Handoff      key.Binding
	Copy         key.Binding
	Retry        key.Binding
	CheckAgain   key.Binding
	Continue     key.Binding
	NewKey       key.Binding
	Cancel       key.Binding
	ClearFilter  key.Binding
	TickAll      key.Binding
	ContinueSync key.Binding

	// The dashboard and the Jobs page. Move is ↑ and ↓ in one for the
	// help line.
	Move     key.Binding
	Pause    key.Binding
	Details  key.Binding
	Switch   key.Binding
	QuitNow  key.Binding
	Open     key.Binding
	Search   key.Binding
	Sort     key.Binding
	SyncNow  key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	// Profiles lists the profiles on the Jobs page, to show another's
	// jobs.
	Profiles key.Binding
}

// DefaultKeyMap is the wizard's key map.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:           key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "up")),
		Down:         key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "down")),
		Select:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Toggle:       key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "tick")),
		Back:         key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:         key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "keys")),
		Quit:         key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Confirm:      key.NewBinding(key.WithKeys("y", "Y", "ctrl+c"), key.WithHelp("y", "quit")),
		Deny:         key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "stay")),
		Handoff:      key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hand-off text")),
		Copy:         key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		Retry:        key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		CheckAgain:   key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "check again")),
		Continue:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "continue without")),
		NewKey:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new key")),
		Cancel:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		ClearFilter:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		TickAll:      key.NewBinding(key.WithKeys("ctrl+a"), key.WithHelp("ctrl+a", "tick all")),
		ContinueSync: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),

		Move:     key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "move")),
		Pause:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Details:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "details on/off")),
		Switch:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "jobs")),
		QuitNow:  key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		SyncNow:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "sync")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
		Profiles: key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "profiles")),
	}
}

// relabel is b with another description, for a screen where the key means
// something more specific.
func relabel(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
