// Package ui is the terminal face of the onboarding wizard: one bubbletea
// root model that owns the screen, draws the header ("Step 5 of 10"), the
// current step's screen and the key help, and routes keys, pastes and
// background results. Every step is a small component the root calls; the
// flow itself (choices, validation, where an answer leads) lives in package
// steps, and anything that touches the network or the disk goes through
// steps.Services from a tea.Cmd, never from Update or View. The same flow
// runs as plain line-by-line prompts in accessible mode. The sync view and
// the accessible mode only lay out package progress's snapshot of the
// sync's events.
package ui
